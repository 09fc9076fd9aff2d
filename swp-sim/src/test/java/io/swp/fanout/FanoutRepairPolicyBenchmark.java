package io.swp.fanout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.sim.Impairments;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The repair policy's trade-off, in virtual time: 50 receivers each losing 5 % (with
 * reordering), 4 MiB, for several multicast thresholds. Prints bytes on the subject and
 * everything the publisher sent (subject plus unicast), as multiples of the payload.
 * Run with {@code -Pbench}; docs/fanout.md quotes the table.
 */
@Tag("benchmark")
class FanoutRepairPolicyBenchmark {
    private static final long MS = 1_000_000L;

    @Test
    void multicastThresholdTradesSubjectBytesForUnicastBytes() {
        Impairments lossy = Impairments.builder().lossRate(0.05).latency(Duration.ofMillis(2))
                .jitter(Duration.ofMillis(1)).reorder(0.05, Duration.ofMillis(3)).build();
        byte[] data = FanoutHarness.pattern(4 * 1024 * 1024, 1);
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT, "%-36s %9s %9s %9s %8s%n",
                "repairs", "subject", "unicast", "total", "virtual"));
        double[] fractions = {0.02, 0.06, 0.1, 0.15, 0.3, 1.0};
        for (int block : new int[] {0, 32, 64, 128}) {
        for (double fraction : block == 0 ? fractions : new double[] {0.15}) {
            double[] sums = new double[4];
            int seeds = 3;
            for (long seed = 1; seed <= seeds; seed++) {
                FanoutConfig config = FanoutConfig.builder().maxPayloadBytes(8 * 1024).nackDelayNanos(5 * MS)
                        .multicastRepairFraction(fraction).fecBlockFrames(block).build();
                FanoutHarness h = new FanoutHarness(seed, config, lossy);
                for (int i = 0; i < 50; i++) {
                    h.addReceiver(config);
                }
                h.publish(data);
                assertTrue(h.runUntil(() -> h.receivers.stream().allMatch(r -> r.engine.isEndOfStream()),
                        120_000 * MS), "seed " + seed);
                for (FanoutHarness.Rx rx : h.receivers) {
                    assertArrayEquals(data, rx.got.toByteArray(), "seed " + seed);
                }
                sums[0] += h.subjectBytesAtNetwork / (double) data.length;
                sums[1] += h.unicastBytesFromPublisher / (double) data.length;
                sums[2] += (h.subjectBytesAtNetwork + h.unicastBytesFromPublisher) / (double) data.length;
                sums[3] += h.net.now() / 1e6;
            }
            int k = Math.max(2, (int) Math.ceil(fraction * 50));
            table.append(String.format(Locale.ROOT, "%-36s %8.3fx %8.3fx %8.3fx %6.0fms%n",
                    block == 0 ? String.format(Locale.ROOT, "no parity, %.2f of members (k = %d)", fraction, k)
                            : "parity blocks of " + block + " frames",
                    sums[0] / seeds, sums[1] / seeds, sums[2] / seeds, sums[3] / seeds));
        }
        }
        System.out.print(table);
    }
}
