package io.swp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import io.swp.sim.Impairments;
import io.swp.sim.SimTransfer;
import io.swp.sim.TransferResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CLI's injected loss: its bound, and the stretched waits that make a demo at that
 * bound connect and close, checked in virtual time over seeded runs of the demo's sessions.
 */
class InjectedLossTest {
    private static final int SEEDS = 1000;
    private static final double HALF = 0.5;

    @Test
    void lossAboveTheBoundIsAUsageErrorThatNamesIt() {
        for (String command : new String[] {"demo", "bench --server nats://127.0.0.1:1",
                "send --server nats://127.0.0.1:1 --from a --to b x"}) {
            List<String> args = new ArrayList<>(List.of(command.split(" ")));
            args.addAll(List.of("--loss", "0.6"));
            SwpCliTest.Run r = SwpCliTest.run(args.toArray(String[]::new));
            assertEquals(2, r.code(), command + ": " + r.err());
            assertTrue(r.err().contains("--loss must be between 0 and 0.5, got 0.6"), r.err());
        }
    }

    @Test
    void stretchIsOneWithoutLossAndGrowsWithIt() {
        SessionConfig d = SessionConfig.defaults();
        assertEquals(d.connectTimeoutNanos(), InjectedLoss.stretch(d, 0).connectTimeoutNanos());
        assertEquals(Duration.ofSeconds(80), InjectedLoss.stretch(Duration.ofSeconds(10), HALF));
        SessionConfig s = InjectedLoss.stretch(d, HALF);
        assertEquals(Duration.ofSeconds(80).toNanos(), s.connectTimeoutNanos());
        assertEquals(Duration.ofSeconds(240).toNanos(), s.closeTimeoutNanos());
        assertEquals(d.windowBytes(), s.windowBytes(), "only the waits change");
    }

    /**
     * The demo's sessions (64 KiB, 1 ms each way) at 30 and 50 % loss each way, 1,000 seeds
     * each, in virtual time: with the default waits some connects fail (36 in 1,000 at 50 %
     * when this was written); stretched, at most one in 500 may.
     */
    @ParameterizedTest
    @ValueSource(doubles = {0.3, HALF})
    void stretchedWaitsConnectAndCloseUnderHeavyLoss(double loss) {
        int[] plain = failures(loss, SessionConfig.defaults(), Transfers.loopbackSender());
        int[] stretched = failures(loss, InjectedLoss.stretch(SessionConfig.defaults(), loss),
                InjectedLoss.stretch(Transfers.loopbackSender(), loss));
        String counts = String.format("at %.0f %% loss, %d seeds: default waits %d failed (%d to connect), "
                + "stretched %d (%d)", loss * 100, SEEDS, plain[0], plain[1], stretched[0], stretched[1]);
        System.out.println(counts);
        assertTrue(stretched[0] <= SEEDS / 500, counts);
        if (loss == HALF) {
            assertTrue(plain[1] >= SEEDS / 100, "the default waits should fail visibly at 50 %: " + counts);
        }
    }

    /** @return {transfers that were not a clean success, those that never connected} */
    private static int[] failures(double loss, SessionConfig receiver, SessionConfig sender) {
        int failed = 0;
        int unconnected = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            TransferResult r = SimTransfer.run(SimTransfer.Spec.builder(seed)
                    .bytesToServer(64 * 1024)
                    .clientConfig(sender)
                    .serverConfig(receiver)
                    .impairBoth(Impairments.builder().lossRate(loss).latency(Duration.ofMillis(1)).build())
                    .timeLimit(Duration.ofMinutes(20))
                    .build());
            if (!r.isCleanSuccess()) {
                failed++;
                if (r.client().establishedAtNanos() < 0) {
                    unconnected++;
                }
            }
        }
        return new int[] {failed, unconnected};
    }
}
