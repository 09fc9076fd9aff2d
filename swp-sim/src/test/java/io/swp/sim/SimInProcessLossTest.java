package io.swp.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import io.swp.protocol.EngineStats;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Heavy loss on a path like {@code swp demo}'s in-process network: a round trip of tens of
 * microseconds against the 20 ms RTO floor, so every recovery that waits for a timer
 * idles the path for hundreds of round trips. The receiving application, not the link,
 * is the bottleneck (it reads 250 MB/s, as the demo's receiver hashes and writes), the
 * window is the default 16 MiB, and loss is independent in both directions.
 *
 * <p>Every seed at 20 % and 30 % loss each way keeps at least 0.9 × (1 − p) of the
 * lossless goodput, measured from the handshake's end to the last byte read (a lost SYN
 * costs the initial RTO whatever the data phase does). Before the recovery was timed
 * from the echoed round trip, the 30 % runs lost up to 44 % of the lossless goodput to
 * timers: tail-loss probes at one and a half smoothed round trips of a full queue, a
 * queue cap held shut by frames the peer held but could not report, and zero-window
 * probes backing off from the RTO. Deterministic: virtual time, seeded; a failure names
 * its seed.
 */
class SimInProcessLossTest {
    private static final long MIB = 1024 * 1024;
    private static final long BYTES = 64 * MIB;
    private static final long READ_RATE = 250_000_000L;
    private static final double[] LOSSES = {0.20, 0.30};
    private static final int SEEDS = 6;
    /** The floor, as a fraction of (1 − p) × lossless goodput. */
    private static final double FLOOR = 0.9;

    static TransferResult run(double loss, long seed) {
        Impairments link = Impairments.builder()
                .bandwidth(10_000_000_000L, 64 * MIB)
                .latency(Duration.ofNanos(30_000))
                .lossRate(loss)
                .build();
        return SimTransfer.run(SimTransfer.Spec.builder(seed).config(SessionConfig.defaults()).bytesToServer(BYTES)
                .impairBoth(link).serverReadRate(READ_RATE).timeLimit(Duration.ofMinutes(10)).build());
    }

    /** @return payload bytes per second from the end of the client's handshake to the last byte read */
    static double dataPhaseGoodput(TransferResult r) {
        return BYTES * 1e9 / (r.lastByteAtNanos() - r.client().establishedAtNanos());
    }

    @Test
    void heavyLossKeepsNinetyPercentOfTheIdealWhenTheRoundTripIsFarBelowTheRtoFloor() {
        TransferResult lossless = run(0, 1);
        assertTrue(lossless.isCleanSuccess(), SimRuns.explain(lossless, "lossless"));
        double base = dataPhaseGoodput(lossless);
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
                "lossless %.1f MB/s%n| loss | seed | MB/s | of ideal | retransmits | RTOs | probes |%n", base / 1e6));
        String failure = null;
        for (double loss : LOSSES) {
            for (long seed = 1; seed <= SEEDS; seed++) {
                TransferResult r = run(loss, seed);
                assertTrue(r.isCleanSuccess(), SimRuns.explain(r, "loss " + loss + ", seed " + seed));
                double ofIdeal = dataPhaseGoodput(r) / base / (1 - loss);
                EngineStats s = r.client().stats();
                table.append(String.format(Locale.ROOT, "| %.0f %% | %d | %.1f | %.3f | %d | %d | %d |%n",
                        loss * 100, seed, dataPhaseGoodput(r) / 1e6, ofIdeal, s.retransmits(), s.timeouts(),
                        s.tailLossProbes()));
                if (ofIdeal < FLOOR && failure == null) {
                    failure = String.format(Locale.ROOT, "loss %.0f %%, seed %d: %.3f of the ideal, floor %.2f",
                            loss * 100, seed, ofIdeal, FLOOR);
                }
            }
        }
        System.out.print(table);
        assertTrue(failure == null, failure + "\n" + table);
    }
}
