package io.swp.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.swp.Network;
import io.swp.SessionConfig;
import io.swp.sim.InMemoryNetwork;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A transport whose capacity query fails does not stop the endpoint's event loop: its
 * sessions go on (without that capacity hint) instead of all hanging.
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

    /** Binds through the delegate, but the bindings' capacity queries throw while {@link #failing}. */
    private static final class FaultyNetwork implements Network {
        private final Network delegate;
        volatile boolean failing;

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
