package io.swp.session;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.Session;
import io.swp.SessionConfig;
import io.swp.sim.InMemoryNetwork;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * An application thread blocked in a read or write is released when another thread
 * closes the session, closes the input stream or shuts the output down, as with a socket,
 * even though the peer stays alive and keeps its own side open.
 */
class ConcurrentCloseTest {
    private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(5);

    @Test
    void blockedReaderFailsWhenAnotherThreadClosesTheSession() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            Blocked reader = Blocked.start("read", () -> p.client().getInputStream().read(new byte[16]));
            reader.awaitParked();
            p.client().close();
            reader.assertFailsWith(IOException.class);
        }
    }

    @Test
    void blockedMessageReaderFailsWhenAnotherThreadClosesTheSession() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            Blocked reader = Blocked.start("receiveMessage", () -> p.client().receiveMessage());
            reader.awaitParked();
            p.client().close();
            reader.assertFailsWith(IOException.class);
        }
    }

    @Test
    void blockedReaderFailsWhenAnotherThreadClosesTheInputStream() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            InputStream in = p.client().getInputStream();
            Blocked reader = Blocked.start("read", () -> in.read(new byte[16]));
            reader.awaitParked();
            in.close();
            reader.assertFailsWith(IOException.class);
        }
    }

    @Test
    void blockedWriterFailsWhenAnotherThreadShutsTheOutputDown() throws Exception {
        // Small buffers both ways, so the 16 MiB write blocks for good, not just now and then.
        SessionConfig small = SessionConfig.builder().sendBufferBytes(64 * 1024).windowBytes(64 * 1024).build();
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, small)) {
            // The server never reads, so the writer fills the peer's window and then its own buffer.
            byte[] big = new byte[16 * 1024 * 1024];
            Blocked writer = Blocked.start("write", () -> {
                p.client().getOutputStream().write(big);
                return null;
            });
            writer.awaitParked();
            p.client().shutdownOutput();
            writer.assertFailsWith(IOException.class);
        }
    }

    /** A call running in its own thread, which the test waits to see blocked. */
    private static final class Blocked {
        private final CompletableFuture<Object> result = new CompletableFuture<>();
        private final AtomicReference<Thread> thread = new AtomicReference<>();
        private final String method;

        private Blocked(String method) {
            this.method = method;
        }

        interface Call {
            Object run() throws Exception;
        }

        /** @param method the Session method (or its streams') the call must block in */
        static Blocked start(String method, Call call) {
            Blocked b = new Blocked(method);
            Thread t = new Thread(() -> {
                try {
                    b.result.complete(call.run());
                } catch (Throwable e) {
                    b.result.completeExceptionally(e);
                }
            }, "blocked-call");
            t.setDaemon(true);
            b.thread.set(t);
            t.start();
            return b;
        }

        /**
         * Waits until the call is parked on a condition inside the expected Session method:
         * not merely running, nor waiting for a lock.
         */
        void awaitParked() {
            Thread t = thread.get();
            await().atMost(RELEASE_TIMEOUT).pollInterval(Duration.ofMillis(5)).untilAsserted(() -> {
                assertFalse(result.isDone(), () -> "the call never blocked: " + result);
                ParkedThreads.assertParkedIn(t, method);
            });
        }

        void assertFailsWith(Class<? extends Throwable> type) throws Exception {
            try {
                Object r = result.get(RELEASE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                throw new AssertionError("expected " + type.getSimpleName() + ", the call returned " + r);
            } catch (java.util.concurrent.TimeoutException e) {
                thread.get().interrupt();
                throw new AssertionError("the blocked call was not released within " + RELEASE_TIMEOUT, e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                assertTrue(type.isInstance(cause), "expected " + type.getSimpleName() + ", got " + cause);
            }
        }
    }
}
