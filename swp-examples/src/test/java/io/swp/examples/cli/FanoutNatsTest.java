package io.swp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.nats.testing.NatsServerExtension;
import io.swp.nats.testing.NatsTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code swp publish} to ten {@code swp subscribe}s through a real nats-server: every
 * subscriber stores byte-identical files, with and without 5 % loss on every subscriber.
 * The default build moves 16 MiB; {@code -Pbench} adds the 256 MiB run.
 */
@ExtendWith(NatsServerExtension.class)
class FanoutNatsTest {
    private static final int SUBSCRIBERS = 10;

    @Test
    void tenSubscribersGetIdenticalFiles(NatsTestServer server, @TempDir Path dir) throws Exception {
        run(server, dir, 16L << 20, 0);
    }

    @Test
    void tenSubscribersEachLosingFivePercentGetIdenticalFiles(NatsTestServer server, @TempDir Path dir)
            throws Exception {
        run(server, dir, 16L << 20, 0.05);
    }

    @Test
    @Tag("benchmark")
    void tenSubscribersGet256MiB(NatsTestServer server, @TempDir Path dir) throws Exception {
        run(server, dir, 256L << 20, 0);
    }

    @Test
    @Tag("benchmark")
    void tenSubscribersEachLosingFivePercentGet256MiB(NatsTestServer server, @TempDir Path dir) throws Exception {
        run(server, dir, 256L << 20, 0.05);
    }

    private static void run(NatsTestServer server, Path dir, long size, double loss) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Path file = src.resolve("payload.bin");
        Transfers.generateFile(file, size, 42);
        String subject = "fanout.test." + System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(SUBSCRIBERS);
        try {
            List<CompletableFuture<SwpCliTest.Run>> subs = new ArrayList<>();
            List<Path> outs = new ArrayList<>();
            for (int i = 0; i < SUBSCRIBERS; i++) {
                Path out = Files.createDirectories(dir.resolve("out" + i));
                outs.add(out);
                subs.add(CompletableFuture.supplyAsync(() -> SwpCliTest.run("subscribe", "--server", server.url(),
                        "--subject", subject, "--out", out.toString(), "--loss", Double.toString(loss),
                        "--timeout", "2m"), pool));
            }
            long start = System.nanoTime();
            SwpCliTest.Run pub = SwpCliTest.run("publish", "--server", server.url(), "--subject", subject,
                    "--expect", Integer.toString(SUBSCRIBERS), file.toString());
            double secs = (System.nanoTime() - start) / 1e9;
            assertEquals(0, pub.code(), pub.out() + pub.err());
            assertEquals(SUBSCRIBERS, pub.out().strip().split("\n").length, pub.out());
            for (int i = 0; i < SUBSCRIBERS; i++) {
                SwpCliTest.Run r = subs.get(i).get(120, TimeUnit.SECONDS);
                assertEquals(0, r.code(), r.out() + r.err());
                assertTrue(r.out().contains("verified"), r.out());
                assertEquals(size, Files.size(outs.get(i).resolve("payload.bin")));
                assertArrayEquals(hash(file), hash(outs.get(i).resolve("payload.bin")), "subscriber " + i);
            }
            System.out.printf("fan-out over nats-server: %d MiB to %d subscribers, loss %.2f: %.2f s%n",
                    size >> 20, SUBSCRIBERS, loss, secs);
        } finally {
            pool.shutdownNow();
        }
    }

    private static byte[] hash(Path f) throws Exception {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(f)) {
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return md.digest();
    }
}
