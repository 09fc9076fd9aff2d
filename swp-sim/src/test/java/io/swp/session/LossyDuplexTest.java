package io.swp.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.swp.Session;
import io.swp.SessionConfig;
import io.swp.sim.Impairments;
import io.swp.sim.InMemoryNetwork;
import io.swp.sim.LossyNetwork;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Full duplex over a lossy in-memory network: both sides write and read at once, and the
 * bytes must arrive identical (compared by running hashes). The size defaults to a fast
 * run; {@code -Dswp.duplexBytes=268435456} (the {@code session-soak} profile) runs 256 MiB.
 */
class LossyDuplexTest {
    private static final Logger LOG = LoggerFactory.getLogger(LossyDuplexTest.class);
    private static final long BYTES = Long.getLong("swp.duplexBytes", 256L * 1024 * 1024);
    private static final long SEED = Long.getLong("swp.seed", 20261124L);
    private static final double LOSS = 0.10;

    @Test
    void fullDuplexAtTenPercentLossWithReorderingAndDuplication() throws Exception {
        Impairments imp = Impairments.builder()
                .lossRate(LOSS)
                .reorder(0.05, Duration.ofMillis(2))
                .duplicate(0.02, Duration.ofMillis(2))
                .build();
        String params = "seed=" + SEED + " bytes=" + BYTES + " loss=" + LOSS + " reorder=5%/2ms dup=2%/2ms";
        try (InMemoryNetwork net = InMemoryNetwork.create();
             LossyNetwork clientNet = LossyNetwork.builder(net).outbound(imp).seed(SEED).closeDelegate(false).build();
             LossyNetwork serverNet = LossyNetwork.builder(net).outbound(imp).seed(SEED + 1).closeDelegate(false).build();
             Harness.Pair p = Harness.connect(clientNet, serverNet, SessionConfig.defaults())) {
            long start = System.nanoTime();
            CompletableFuture<byte[]> clientWrites = writer(p.client(), SEED * 31);
            CompletableFuture<byte[]> serverWrites = writer(p.server(), SEED * 37);
            CompletableFuture<Harness.Result> serverReads = reader(p.server());
            CompletableFuture<Harness.Result> clientReads = reader(p.client());
            Duration limit = Duration.ofMinutes(5);
            Harness.Result atServer;
            Harness.Result atClient;
            try {
                atServer = Harness.get(serverReads, limit);
                atClient = Harness.get(clientReads, limit);
            } catch (Exception | AssertionError e) {
                throw new AssertionError("duplex transfer failed; " + params, e);
            }
            double secs = (System.nanoTime() - start) / 1e9;
            assertEquals(BYTES, atServer.bytes(), params);
            assertEquals(BYTES, atClient.bytes(), params);
            assertArrayEquals(Harness.get(clientWrites, limit), atServer.digest(), "client->server differs; " + params);
            assertArrayEquals(Harness.get(serverWrites, limit), atClient.digest(), "server->client differs; " + params);
            LOG.info("duplex {}: {} s, {} MiB/s each way; client {}; server {}", params, String.format("%.1f", secs),
                    String.format("%.1f", BYTES / secs / (1 << 20)), p.client().stats(), p.server().stats());
            p.client().close();
            p.server().close();
        }
    }

    private static CompletableFuture<byte[]> writer(Session s, long seed) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                byte[] d = Harness.writeGenerated(s.getOutputStream(), seed, BYTES, 64 * 1024);
                s.shutdownOutput();
                return d;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, r -> new Thread(r, "writer").start());
    }

    private static CompletableFuture<Harness.Result> reader(Session s) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return Harness.readAll(s.getInputStream(), 64 * 1024);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, r -> new Thread(r, "reader").start());
    }
}
