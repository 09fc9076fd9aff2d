package io.swp.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.protocol.CloseReason;
import io.swp.protocol.EngineState;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The loss sweep: many seeds at 0..30 % loss in both directions, with jitter,
 * reordering, duplication and corruption (see {@link SimTransfer.Spec#sweep}), first with
 * independent losses, then with Gilbert-Elliott bursts of the same long-run rate. Every
 * run must deliver the exact bytes, in order, once, and close both sides normally.
 *
 * <p>System properties: {@code swp.seeds} (number of seeds, default 200; the soak
 * profile raises it), {@code swp.bytes} (transfer size, default 64 KiB), and to rerun one
 * case {@code swp.seed}, optionally with {@code swp.loss} and {@code swp.burst} (mean
 * loss burst length; 1 is independent loss). Every failure prints its rerun command.
 */
class SimSweepTest {
    private static final double[] LOSS_RATES = {0, 0.01, 0.05, 0.10, 0.20, 0.30};
    private static final double[] BURSTY_LOSS_RATES = {0.05, 0.10, 0.20, 0.30};
    private static final double INDEPENDENT = 1;
    private static final double MEAN_BURST_LENGTH = 6;
    private static final AtomicLong RUNS = new AtomicLong();
    private static final AtomicLong WALL_NANOS = new AtomicLong();
    private static final AtomicLong VIRTUAL_NANOS = new AtomicLong();

    /** One family of the sweep: loss rates at one burst length. */
    private record Family(double burst, List<Double> losses) {
    }

    @TestFactory
    Stream<DynamicNode> everySeedDeliversExactlyOnceAndClosesNormally() {
        int seeds = Integer.getInteger("swp.seeds", 200);
        long bytes = Long.getLong("swp.bytes", 64 * 1024);
        String single = System.getProperty("swp.seed");
        String lossProperty = System.getProperty("swp.loss");
        String burstProperty = System.getProperty("swp.burst");
        List<Family> families = new ArrayList<>();
        if (burstProperty != null && !burstProperty.isBlank()) {
            double burst = Double.parseDouble(burstProperty);
            families.add(new Family(burst, losses(lossProperty, burst <= 1 ? LOSS_RATES : BURSTY_LOSS_RATES)));
        } else {
            families.add(new Family(INDEPENDENT, losses(lossProperty, LOSS_RATES)));
            families.add(new Family(MEAN_BURST_LENGTH, losses(lossProperty, BURSTY_LOSS_RATES)));
        }
        return families.stream().flatMap(f -> f.losses().stream().map(loss -> DynamicContainer.dynamicContainer(
                String.format(Locale.ROOT, "loss %.0f%%%s", loss * 100,
                        f.burst() <= 1 ? "" : String.format(Locale.ROOT, " in bursts of %.0f", f.burst())),
                (single != null && !single.isBlank() ? LongStream.of(Long.parseLong(single))
                        : LongStream.rangeClosed(1, seeds))
                        .mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed,
                                () -> runOne(seed, loss, f.burst(), bytes))))));
    }

    private static List<Double> losses(String property, double[] defaults) {
        List<Double> out = new ArrayList<>();
        if (property != null && !property.isBlank()) {
            out.add(Double.parseDouble(property));
        } else {
            for (double l : defaults) {
                out.add(l);
            }
        }
        return out;
    }

    private static void runOne(long seed, double loss, double burst, long bytes) {
        TransferResult r = SimTransfer.run(SimTransfer.Spec.sweep(seed, loss, burst, bytes).build());
        RUNS.incrementAndGet();
        WALL_NANOS.addAndGet(r.wallNanos());
        VIRTUAL_NANOS.addAndGet(r.endedAtNanos());
        String why = SimRuns.explain(r, SimRuns.rerunCommand("SimSweepTest", seed, loss, burst, bytes));
        assertFalse(r.timedOut(), "hit the virtual time limit" + why);
        assertTrue(r.server().verified(), "server did not read the exact bytes" + why);
        assertEquals(bytes, r.server().bytesRead(), why);
        assertTrue(r.server().endOfStream(), "server never saw end of stream" + why);
        assertEquals(EngineState.CLOSED, r.client().state(), why);
        assertEquals(EngineState.CLOSED, r.server().state(), why);
        assertEquals(CloseReason.NORMAL, r.client().closeReason(), why);
        assertEquals(CloseReason.NORMAL, r.server().closeReason(), why);
    }

    @AfterAll
    static void report() {
        System.out.printf(Locale.ROOT, "sweep: %d runs, %.2f s wall in the simulator, %.0f s virtual%n",
                RUNS.get(), WALL_NANOS.get() / 1e9, VIRTUAL_NANOS.get() / 1e9);
    }
}
