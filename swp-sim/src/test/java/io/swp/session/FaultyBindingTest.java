package io.swp.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.Endpoint;
import io.swp.Network;
import io.swp.Session;
import io.swp.SessionException;
import io.swp.protocol.CloseReason;
import io.swp.SessionConfig;
import io.swp.sim.InMemoryNetwork;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A transport whose capacity query fails does not stop the endpoint's event loop: its
 * sessions go on (without that capacity hint) instead of all hanging. An Error that does
 * stop the loop fails everything loudly instead of leaving threads waiting forever.
 */
class FaultyBindingTest {
    @Test
    void aThrowingCapacityQueryDoesNotStopTheEventLoop() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create()) {
            FaultyNetwork faulty = new FaultyNetwork(net);
            try (Harness.Pair p = Harness.connect(net, faulty, SessionConfig.defaults())) {
                faulty.failing = true;
                byte[] message = "still here".getBytes(java.nio.charset.StandardCharsets.UTF_8);
                p.client().sendMessage(message);
                p.server().setReadTimeout(Duration.ofSeconds(5));
                assertArrayEquals(message, p.server().receiveMessage());
                CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> {
                    try {
                        p.server().sendMessage(message);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
                Harness.get(echo, Duration.ofSeconds(5));
                p.client().setReadTimeout(Duration.ofSeconds(5));
                assertArrayEquals(message, p.client().receiveMessage());
            }
        }
    }

    @Test
    void anErrorInTheLoopFailsEverySessionAndEveryWaiterWithTheCause() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create()) {
            FaultyNetwork faulty = new FaultyNetwork(net);
            try (Harness.Pair p = Harness.connect(net, faulty, SessionConfig.defaults())) {
                Endpoint server = p.serverEndpoint();
                CompletableFuture<byte[]> blockedRead = CompletableFuture.supplyAsync(() -> {
                    try {
                        return p.server().receiveMessage();
                    } catch (IOException e) {
                        throw new CompletionException(e);
                    }
                });
                CompletableFuture<Session> blockedAccept = server.acceptAsync();
                CompletableFuture<CloseReason> closed = p.server().closeFuture();
                faulty.error = new OutOfMemoryError("simulated, in the capacity query");
                faulty.failing = true;
                p.client().sendMessage(new byte[] {1}); // makes the server's loop step

                ExecutionException read = assertThrows(ExecutionException.class,
                        () -> blockedRead.get(10, TimeUnit.SECONDS));
                SessionException e = assertInstanceOf(SessionException.class, read.getCause());
                assertTrue(e.getMessage().contains("OutOfMemoryError") && e.getMessage().contains("server"),
                        e.getMessage());
                ExecutionException accept = assertThrows(ExecutionException.class,
                        () -> blockedAccept.get(10, TimeUnit.SECONDS));
                assertTrue(accept.getCause().getMessage().contains("failed"), accept.getCause().getMessage());
                assertEquals(CloseReason.ABORTED, closed.get(10, TimeUnit.SECONDS));
                assertInstanceOf(OutOfMemoryError.class, server.failure());
                assertEquals(1, server.stats().loopFailures());
                assertTrue(server.isTerminated());
                assertThrows(IOException.class, () -> server.accept(Duration.ofSeconds(1)));
                assertThrows(SessionException.class, () -> p.server().getOutputStream().write(1));
                assertThrows(SessionException.class, () -> p.server().close());
            }
        }
    }

    /** Binds through the delegate, but the bindings' capacity queries throw while {@link #failing}. */
    private static final class FaultyNetwork implements Network {
        private final Network delegate;
        volatile boolean failing;
        volatile Error error;

        FaultyNetwork(Network delegate) {
            this.delegate = delegate;
        }

        @Override
        public InboxBinding bind(String inbox, FrameHandler handler) throws IOException {
            InboxBinding b = delegate.bind(inbox, handler);
            return new InboxBinding() {
                @Override
                public String inbox() {
                    return b.inbox();
                }

                @Override
                public long freeFrames() {
                    if (failing) {
                        if (error != null) {
                            throw error;
                        }
                        throw new IllegalStateException("transport failure (test)");
                    }
                    return b.freeFrames();
                }

                @Override
                public long freeBytes() {
                    return b.freeBytes();
                }

                @Override
                public void close() {
                    b.close();
                }
            };
        }

        @Override
        public void send(String inbox, byte[] frame) throws IOException {
            delegate.send(inbox, frame);
        }

        @Override
        public int maxFrameSize() {
            return delegate.maxFrameSize();
        }

        @Override
        public void close() {
        }
    }
}
