package io.swp.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Loss recovery near the ideal: over the goodput sweep's path (100 Mbit/s, 20 ms round
 * trip, a 1 MiB queue, loss in both directions) and with its seeds, every seed at every
 * loss level up to 30 % keeps at least 0.75 × (1 − p) of the lossless goodput (the mean
 * of the 0 % seeds).
 *
 * <p>The window is 2 MiB: eight bandwidth-delay products, twice the queue, as a real
 * window is far above a path's BDP (the default is 16 MiB). The engine's queue cap under
 * loss is what keeps it from overflowing the queue; with a window of only 2 BDP (the
 * table of {@link SimGoodputBenchmark}) the receiver's window, stuck behind holes waiting
 * for repair, caps goodput at 5 % loss and above whatever the sender does, so the floor
 * cannot hold there. Deterministic: virtual time, seeded; a failure names its seed.
 */
class SimLossFloorTest {
    private static final long BANDWIDTH_BITS = 100_000_000L;
    private static final long MIB = 1024 * 1024;
    private static final double[] LOSSES = {0, 0.01, 0.05, 0.10, 0.20, 0.30};
    private static final int SEEDS = 3;
    /** The floor, as a fraction of (1 − p) × lossless goodput. */
    private static final double FLOOR = 0.75;

    /** The path and seeds of the goodput sweep, with a window of 8 BDP; bytes: transfer size. */
    static TransferResult run(double loss, long seed, long bytes) {
        Impairments link = Impairments.builder()
                .bandwidth(BANDWIDTH_BITS, MIB)
                .latency(Duration.ofMillis(10))
                .lossRate(loss)
                .build();
        SessionConfig config = SessionConfig.builder()
                .windowBytes(2 * MIB)
                .windowFrames(256)
                .sendBufferBytes(4 * MIB)
                .build();
        return SimTransfer.run(SimTransfer.Spec.builder(seed).config(config).bytesToServer(bytes)
                .impairBoth(link).timeLimit(Duration.ofHours(1)).build());
    }

    @Test
    void everySeedKeepsThreeQuartersOfTheIdealGoodputUpToThirtyPercentLoss() {
        long bytes = 64 * MIB;
        double[][] fraction = new double[LOSSES.length][SEEDS];
        StringBuilder table = new StringBuilder("| loss | seed | of link | of lossless | floor |\n");
        String failure = null;
        for (int i = 0; i < LOSSES.length; i++) {
            for (int s = 0; s < SEEDS; s++) {
                long seed = 1000 + 10 * i + s;
                TransferResult r = run(LOSSES[i], seed, bytes);
                assertTrue(r.isCleanSuccess(), SimRuns.explain(r, "seed " + seed));
                fraction[i][s] = r.goodputBytesPerSecond() * 8 / BANDWIDTH_BITS;
            }
        }
        double lossless = 0;
        for (double f : fraction[0]) {
            lossless += f / SEEDS;
        }
        for (int i = 0; i < LOSSES.length; i++) {
            double floor = FLOOR * (1 - LOSSES[i]);
            for (int s = 0; s < SEEDS; s++) {
                double ratio = fraction[i][s] / lossless;
                table.append(String.format(Locale.ROOT, "| %.0f %% | %d | %.1f %% | %.3f | %.3f |%n",
                        LOSSES[i] * 100, 1000 + 10 * i + s, fraction[i][s] * 100, ratio, floor));
                if (ratio < floor && failure == null) {
                    failure = String.format(Locale.ROOT, "loss %.0f %%, seed %d: %.3f of lossless, floor %.3f",
                            LOSSES[i] * 100, 1000 + 10 * i + s, ratio, floor);
                }
            }
        }
        System.out.print(table);
        assertTrue(failure == null, failure + "\n" + table);
    }
}
