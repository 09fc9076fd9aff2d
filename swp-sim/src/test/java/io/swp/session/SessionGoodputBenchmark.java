package io.swp.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.swp.Endpoint;
import io.swp.EndpointConfig;
import io.swp.Session;
import io.swp.SessionConfig;
import io.swp.protocol.EngineStats;
import io.swp.sim.Impairments;
import io.swp.sim.InMemoryNetwork;
import io.swp.sim.LossyNetwork;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Stream goodput of real sessions over an {@link InMemoryNetwork} in a {@link LossyNetwork}
 * (real time, real threads), and the heap an idle session costs. Prints a table; a
 * benchmark, not part of the default build:
 * <pre>
 * ./mvnw -B -o -pl swp-sim -am test -Pbench -Dtest=SessionGoodputBenchmark \
 *     -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * ({@code -Dswp.benchBytes=N} changes the transfer size, default 128 MiB.)
 */
@Tag("benchmark")
@Timeout(value = 60, unit = TimeUnit.MINUTES) // the run length follows the size properties
class SessionGoodputBenchmark {
    private static final long BYTES = Long.getLong("swp.benchBytes", 128L << 20);
    private static final long SEED = 77;
    private static final int IDLE_SESSIONS = 1000;
    /** A first transfer that warms the JIT up, so the 0 % row is not a cold start. */
    private static final long WARMUP_BYTES = 64L << 20;
    private static final int RUNS_PER_ROW = 3;

    @Test
    void goodputTableAndMemory() throws Exception {
        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, "%nstream goodput, one direction, %d MiB, default SessionConfig%n",
                BYTES >> 20));
        table.append("| loss | MiB/s | seconds | retransmits | fast | RTOs | srtt ms | peak heap MiB |\n");
        table.append("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        run(0, WARMUP_BYTES);
        for (double loss : new double[] {0, 0.01, 0.10}) {
            for (int i = 0; i < RUNS_PER_ROW; i++) {
                table.append(run(loss, BYTES));
            }
        }
        table.append(idleSessionMemory());
        System.out.println(table);
    }

    private static String run(double loss, long bytes) throws Exception {
        Impairments imp = Impairments.builder().lossRate(loss).build();
        System.gc();
        resetPeaks();
        try (InMemoryNetwork net = InMemoryNetwork.create();
             LossyNetwork a = LossyNetwork.builder(net).outbound(imp).seed(SEED).closeDelegate(false).build();
             LossyNetwork b = LossyNetwork.builder(net).outbound(imp).seed(SEED + 1).closeDelegate(false).build();
             Harness.Pair p = Harness.connect(a, b, SessionConfig.defaults())) {
            long start = System.nanoTime();
            CompletableFuture<byte[]> writer = CompletableFuture.supplyAsync(() -> {
                try {
                    byte[] d = Harness.writeGenerated(p.client().getOutputStream(), 5, bytes, 64 * 1024);
                    p.client().shutdownOutput();
                    return d;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Harness.Result r = Harness.readAll(p.server().getInputStream(), 64 * 1024);
            double secs = (System.nanoTime() - start) / 1e9;
            assertEquals(bytes, r.bytes());
            assertArrayEquals(Harness.get(writer, Duration.ofMinutes(5)), r.digest());
            EngineStats s = p.client().stats();
            return String.format(Locale.ROOT, "| %.0f %% | %.1f | %.2f | %d | %d | %d | %.1f | %d |%n", loss * 100,
                    bytes / secs / (1 << 20), secs, s.retransmits(), s.fastRetransmits(), s.timeouts(),
                    s.srttNanos() / 1e6, peakHeap() >> 20);
        }
    }

    private static String idleSessionMemory() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Endpoint server = Endpoint.open(net, "server", EndpointConfig.builder().acceptBacklog(IDLE_SESSIONS).build());
             Endpoint client = Endpoint.open(net, "client")) {
            System.gc();
            long before = usedHeap();
            List<Session> sessions = new ArrayList<>();
            for (int i = 0; i < IDLE_SESSIONS; i++) {
                sessions.add(client.connect("server"));
                sessions.add(server.accept(Duration.ofSeconds(10)));
            }
            System.gc();
            long after = usedHeap();
            for (Session s : sessions) {
                s.abort();
            }
            return String.format(Locale.ROOT, "%n%d idle sessions (both ends, %d Session objects): heap +%d KiB,"
                    + " about %d bytes per session%n", IDLE_SESSIONS, sessions.size(), (after - before) >> 10,
                    (after - before) / sessions.size());
        }
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            pool.resetPeakUsage();
        }
    }

    private static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }
}
