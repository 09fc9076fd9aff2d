package io.swp.session;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import io.swp.sim.InMemoryNetwork;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A reader that does not keep up makes the writer block; nothing buffers without bound. */
class SlowReaderTest {
    private static final long SEND_BUFFER = 256 * 1024;
    private static final long WINDOW_BYTES = 128 * 1024;
    private static final int CHUNK = 4096;
    private static final long TOTAL = 8L * 1024 * 1024;

    @Test
    void writerBlocksInsteadOfBuffering() throws Exception {
        SessionConfig config = SessionConfig.builder()
                .sendBufferBytes(SEND_BUFFER).windowBytes(WINDOW_BYTES).windowFrames(64).build();
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, config)) {
            AtomicLong written = new AtomicLong();
            AtomicReference<Thread> writerThread = new AtomicReference<>();
            CompletableFuture<byte[]> writer = CompletableFuture.supplyAsync(() -> {
                writerThread.set(Thread.currentThread());
                try {
                    Harness.Generator g = new Harness.Generator(99);
                    Harness.Digest d = new Harness.Digest();
                    byte[] buf = new byte[CHUNK];
                    for (long left = TOTAL; left > 0; left -= CHUNK) {
                        g.fill(buf, 0, CHUNK);
                        d.update(buf, 0, CHUNK);
                        p.client().getOutputStream().write(buf);
                        written.addAndGet(CHUNK);
                    }
                    p.client().shutdownOutput();
                    return d.finish();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, r -> new Thread(r, "slow-reader-writer").start());

            // Nobody reads: the writer must stall once the receive window and send buffer are full.
            // Blocked in write on the session's condition (not contending for its lock) with
            // more than half the send buffer full.
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).untilAsserted(() -> {
                assertNotNull(writerThread.get(), "writer never started");
                assertTrue(p.client().bufferedOutputBytes() > SEND_BUFFER / 2,
                        () -> "writer never blocked; written " + written.get() + ", buffered "
                                + p.client().bufferedOutputBytes());
                ParkedThreads.assertParkedIn(writerThread.get(), "write");
            });
            long stalledAt = written.get();
            assertTrue(stalledAt <= SEND_BUFFER + WINDOW_BYTES + CHUNK,
                    "writer got " + stalledAt + " bytes past a " + SEND_BUFFER + " B buffer and "
                            + WINDOW_BYTES + " B window");
            assertTrue(p.server().getInputStream().available() <= WINDOW_BYTES);

            // Now read slowly, checking the bounds as the data drains.
            InputStream in = p.server().getInputStream();
            Harness.Digest d = new Harness.Digest();
            byte[] buf = new byte[1024];
            long total = 0;
            int n;
            long maxBuffered = 0;
            long maxReadable = 0;
            while ((n = in.read(buf)) >= 0) {
                d.update(buf, 0, n);
                total += n;
                maxBuffered = Math.max(maxBuffered, p.client().bufferedOutputBytes());
                maxReadable = Math.max(maxReadable, in.available());
            }
            assertEquals(TOTAL, total);
            assertArrayEquals(Harness.get(writer, Duration.ofSeconds(30)), d.finish());
            assertTrue(maxBuffered <= SEND_BUFFER, "send side held " + maxBuffered);
            assertTrue(maxReadable <= WINDOW_BYTES, "receive side held " + maxReadable);
        }
    }
}
