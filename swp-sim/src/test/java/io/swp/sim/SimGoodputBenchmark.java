package io.swp.sim;

import io.swp.SessionConfig;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goodput over a simulated 100 Mbit/s, 20 ms RTT path at 0..30 % loss (both directions),
 * as a fraction of the link rate (mean and worst of a few seeds; per-seed counters are
 * means), with the window above the bandwidth-delay product and
 * a queue deep enough that the window never overflows it. A benchmark, not part of the
 * default build; run it with
 * {@code ./mvnw -q -o -pl swp-sim -am test -Pbench -Dtest=SimGoodputBenchmark -Dsurefire.failIfNoSpecifiedTests=false}
 * or through {@link #main(String[])}.
 */
@Tag("benchmark")
@Timeout(value = 60, unit = TimeUnit.MINUTES) // seconds today; the bound all benchmarks share
class SimGoodputBenchmark {
    private static final long BANDWIDTH_BITS = 100_000_000L;
    private static final Duration ONE_WAY = Duration.ofMillis(10);
    private static final long MIB = 1024 * 1024;
    private static final long TRANSFER_BYTES = 64 * MIB;
    private static final long WINDOW_BYTES = MIB / 2;
    private static final long QUEUE_BYTES = MIB;
    private static final double[] LOSSES = {0, 0.01, 0.05, 0.10, 0.20, 0.30};
    private static final int SEEDS = 3;
    private static final double[] TARGETS = {0.90, 0.70, Double.NaN, 0.30, Double.NaN, Double.NaN};

    @Test
    void printGoodputTable() {
        System.out.println(table());
    }

    /** @param args ignored */
    public static void main(String[] args) {
        System.out.println(table());
    }

    static String table() {
        SessionConfig config = SessionConfig.builder()
                .windowBytes(WINDOW_BYTES)
                .windowFrames((int) (2 * WINDOW_BYTES / (16 * 1024)))
                .sendBufferBytes(4 * WINDOW_BYTES)
                .build();
        long bdp = BANDWIDTH_BITS / 8 * 2 * ONE_WAY.toMillis() / 1000;
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "link %d Mbit/s, RTT %d ms, BDP %d KiB, window %d KiB / %d frames,"
                        + " payload %d KiB, queue %d KiB, transfer %d MiB, loss in both directions%n%n",
                BANDWIDTH_BITS / 1_000_000, 2 * ONE_WAY.toMillis(), bdp / 1024, WINDOW_BYTES / 1024,
                config.windowFrames(), config.maxPayloadBytes() / 1024, QUEUE_BYTES / 1024, TRANSFER_BYTES / MIB));
        out.append("| loss | goodput Mbit/s (mean of " + SEEDS + " seeds) | of link | worst seed | target"
                + " | retransmits | fast | RTOs | srtt ms | virtual s | wall ms |\n");
        out.append("|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|\n");
        for (int i = 0; i < LOSSES.length; i++) {
            Impairments link = Impairments.builder()
                    .bandwidth(BANDWIDTH_BITS, QUEUE_BYTES)
                    .latency(ONE_WAY)
                    .lossRate(LOSSES[i])
                    .build();
            double sumFraction = 0;
            double worstFraction = Double.MAX_VALUE;
            long retransmits = 0;
            long fast = 0;
            long timeouts = 0;
            double srtt = 0;
            double virtual = 0;
            long wall = 0;
            boolean delivered = true;
            for (int seed = 0; seed < SEEDS; seed++) {
                TransferResult r = SimTransfer.run(SimTransfer.Spec.builder(1000 + 10 * i + seed).config(config)
                        .bytesToServer(TRANSFER_BYTES).impairBoth(link).timeLimit(Duration.ofHours(1)).build());
                double fraction = r.goodputBytesPerSecond() * 8 / BANDWIDTH_BITS;
                sumFraction += fraction;
                worstFraction = Math.min(worstFraction, fraction);
                var s = r.client().stats();
                retransmits += s.retransmits();
                fast += s.fastRetransmits();
                timeouts += s.timeouts();
                srtt += s.srttNanos() / 1e6;
                virtual += r.lastByteAtNanos() / 1e9;
                wall += r.wallNanos() / 1_000_000;
                delivered &= r.delivered();
            }
            double fraction = sumFraction / SEEDS;
            String target = Double.isNaN(TARGETS[i]) ? "" : String.format(Locale.ROOT, "≥ %.0f %% %s",
                    TARGETS[i] * 100, worstFraction >= TARGETS[i] ? "met" : "MISSED");
            out.append(String.format(Locale.ROOT, "| %.0f %% | %.1f | %.1f %% | %.1f %% | %s | %d | %d | %d | %.1f | %.2f | %d |%s%n",
                    LOSSES[i] * 100, fraction * BANDWIDTH_BITS / 1e6, fraction * 100, worstFraction * 100, target,
                    retransmits / SEEDS, fast / SEEDS, timeouts / SEEDS, srtt / SEEDS, virtual / SEEDS, wall / SEEDS,
                    delivered ? "" : " NOT DELIVERED"));
        }
        out.append('\n').append(wallTimeOfTenMebibytesAtTwentyPercent());
        return out.toString();
    }

    private static String wallTimeOfTenMebibytesAtTwentyPercent() {
        Impairments link = Impairments.builder().lossRate(0.2).latency(ONE_WAY).build();
        long best = Long.MAX_VALUE;
        TransferResult last = null;
        for (int run = 0; run < 5; run++) {
            last = SimTransfer.run(SimTransfer.Spec.builder(77 + run).bytesToServer(10 * MIB).impairBoth(link).build());
            best = Math.min(best, last.wallNanos());
        }
        return String.format(Locale.ROOT, "10 MiB at 20 %% loss (both ways, 20 ms RTT, default config): best of 5 "
                + "runs %d ms wall (last run %d ms, %.2f s virtual, delivered: %s)%n", best / 1_000_000,
                last.wallNanos() / 1_000_000, last.lastByteAtNanos() / 1e9, last.delivered());
    }
}
