package io.swp.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImpairmentModelTest {
    private static final long MS = 1_000_000L;
    private static final int MANY = 100_000;

    /** One delivered copy: which frame (its first 4 bytes), when, and its bytes. */
    private record Arrival(int id, long at, byte[] bytes) {
    }

    private static byte[] frame(int id, int size) {
        byte[] f = new byte[Math.max(size, 4)];
        f[0] = (byte) (id >>> 24);
        f[1] = (byte) (id >>> 16);
        f[2] = (byte) (id >>> 8);
        f[3] = (byte) id;
        return f;
    }

    private static int idOf(byte[] f) {
        return ((f[0] & 0xff) << 24) | ((f[1] & 0xff) << 16) | ((f[2] & 0xff) << 8) | (f[3] & 0xff);
    }

    /** Offers {@code count} frames, one every {@code spacing} ns from 0, and records what arrives. */
    private static List<Arrival> run(ImpairmentModel model, int count, int size, long spacing) {
        List<Arrival> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            model.offer(frame(i, size), i * spacing, (copy, at) -> out.add(new Arrival(idOf(copy), at, copy)));
        }
        return out;
    }

    private static boolean[] lostPattern(Impairments imp, long seed, int count) {
        // Corruption may hit a frame's id, so frames are told apart by when they were offered.
        ImpairmentModel model = new ImpairmentModel(imp, seed, 0);
        boolean[] lost = new boolean[count];
        for (int i = 0; i < count; i++) {
            boolean[] arrived = {false};
            model.offer(frame(i, 16), i * MS, (copy, at) -> arrived[0] = true);
            lost[i] = !arrived[0];
        }
        return lost;
    }

    @Test
    void perfectLinkDeliversEveryFrameAtOnceIntactAndInOrder() {
        ImpairmentModel model = new ImpairmentModel(Impairments.NONE, 7, 0);
        List<Arrival> out = run(model, 1000, 32, MS);
        assertEquals(1000, out.size());
        for (int i = 0; i < out.size(); i++) {
            assertEquals(i, out.get(i).id);
            assertEquals(i * MS, out.get(i).at);
            assertArrayEquals(frame(i, 32), out.get(i).bytes);
        }
        assertEquals(0, model.stats().dropped());
    }

    @Test
    void randomLossRateIsWithinToleranceAndReproducible() {
        Impairments imp = Impairments.builder().lossRate(0.2).build();
        boolean[] lost = lostPattern(imp, 42, MANY);
        int losses = 0;
        for (boolean l : lost) {
            losses += l ? 1 : 0;
        }
        assertEquals(0.2, losses / (double) MANY, 0.01, "seed 42 loss fraction");
        assertArrayEquals(lost, lostPattern(imp, 42, MANY), "same seed, same losses");
        assertFalse(java.util.Arrays.equals(lost, lostPattern(imp, 43, MANY)), "another seed, other losses");
    }

    @Test
    void addingDuplicationAndCorruptionKeepsTheLossPattern() {
        Impairments lossOnly = Impairments.builder().lossRate(0.1).build();
        Impairments more = lossOnly.toBuilder().duplicateRate(0.3).corruptRate(0.2)
                .reorder(0.1, Duration.ofMillis(3)).jitter(Duration.ofMillis(2)).build();
        assertArrayEquals(lostPattern(lossOnly, 5, 10_000), lostPattern(more, 5, 10_000));
    }

    @Test
    void gilbertElliottLosesTheMeanRateInBursts() {
        Impairments.GilbertElliott ge = Impairments.GilbertElliott.of(0.3, 5);
        assertEquals(0.3, ge.meanLossRate(), 1e-9);
        boolean[] bursty = lostPattern(Impairments.builder().gilbertElliott(ge).build(), 11, MANY);
        boolean[] uniform = lostPattern(Impairments.builder().lossRate(0.3).build(), 11, MANY);
        assertEquals(0.3, fraction(bursty), 0.02, "bursty mean loss");
        assertEquals(5, meanBurstLength(bursty), 0.5, "bursty mean burst length");
        // Independent loss at 30 % has mean run length 1 / (1 - 0.3) = 1.43.
        assertEquals(1 / 0.7, meanBurstLength(uniform), 0.1, "uniform mean burst length");
    }

    @Test
    void timeSteppedGilbertElliottForgetsItsBurstBetweenSparseFrames() {
        Impairments.GilbertElliott perFrame = Impairments.GilbertElliott.of(0.3, 5);
        Impairments.GilbertElliott timed = Impairments.GilbertElliott.of(0.3, 5, Duration.ofMillis(1));
        // lostPattern offers one frame per millisecond: one time step, so both behave alike.
        boolean[] dense = lostPattern(Impairments.builder().gilbertElliott(timed).build(), 11, MANY);
        assertEquals(0.3, fraction(dense), 0.02);
        assertEquals(5, meanBurstLength(dense), 0.5);
        // One frame every 100 ms: the timed chain takes 100 steps between frames and reaches
        // its stationary state, so losses look independent; the per-frame chain still bursts.
        boolean[] sparseTimed = sparsePattern(timed, 100 * MS);
        boolean[] sparsePerFrame = sparsePattern(perFrame, 100 * MS);
        assertEquals(0.3, fraction(sparseTimed), 0.02);
        assertEquals(1 / 0.7, meanBurstLength(sparseTimed), 0.15);
        assertEquals(5, meanBurstLength(sparsePerFrame), 0.5);
    }

    private static boolean[] sparsePattern(Impairments.GilbertElliott ge, long spacing) {
        ImpairmentModel model = new ImpairmentModel(Impairments.builder().gilbertElliott(ge).build(), 13, 0);
        boolean[] lost = new boolean[MANY];
        for (int i = 0; i < MANY; i++) {
            boolean[] arrived = {false};
            model.offer(frame(i, 16), i * spacing, (copy, at) -> arrived[0] = true);
            lost[i] = !arrived[0];
        }
        return lost;
    }

    private static double fraction(boolean[] lost) {
        int n = 0;
        for (boolean l : lost) {
            n += l ? 1 : 0;
        }
        return n / (double) lost.length;
    }

    private static double meanBurstLength(boolean[] lost) {
        int bursts = 0;
        int losses = 0;
        for (int i = 0; i < lost.length; i++) {
            if (lost[i]) {
                losses++;
                if (i == 0 || !lost[i - 1]) {
                    bursts++;
                }
            }
        }
        return losses / (double) bursts;
    }

    @Test
    void bandwidthQueueSerialisesAndTailDrops() {
        // 1 Mbit/s: a 1000-byte frame takes 8 ms; the queue holds 10 000 bytes.
        Impairments imp = Impairments.builder().bandwidth(1_000_000, 10_000).latency(Duration.ofMillis(10)).build();
        ImpairmentModel model = new ImpairmentModel(imp, 1, 0);
        List<Arrival> out = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            model.offer(frame(i, 1000), 0, (copy, at) -> out.add(new Arrival(idOf(copy), at, copy)));
        }
        assertEquals(10, out.size(), "a burst fills the queue, the rest is tail-dropped");
        assertEquals(90, model.stats().droppedQueueFull());
        for (int i = 0; i < out.size(); i++) {
            assertEquals(i, out.get(i).id);
            assertEquals((i + 1) * 8 * MS + 10 * MS, out.get(i).at, "departure after serialisation, plus latency");
        }
        // Once 8 ms have passed, one frame has left and one more fits.
        model.offer(frame(100, 1000), 8 * MS, (copy, at) -> out.add(new Arrival(idOf(copy), at, copy)));
        model.offer(frame(101, 1000), 8 * MS, (copy, at) -> out.add(new Arrival(idOf(copy), at, copy)));
        assertEquals(11, out.size());
        assertEquals(11 * 8 * MS + 10 * MS, out.get(10).at);
    }

    @Test
    void blackHoleSwallowsEverythingDuringItsWindows() {
        Impairments imp = Impairments.builder()
                .blackHole(Impairments.BlackHole.every(Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .build();
        ImpairmentModel model = new ImpairmentModel(imp, 1, 1000 * MS);
        // One frame every 100 ms for 20 s from the origin at 1 s.
        List<Arrival> out = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            model.offer(frame(i, 8), 1000 * MS + i * 100 * MS, (copy, at) -> out.add(new Arrival(idOf(copy), at, copy)));
        }
        for (Arrival a : out) {
            long sinceOrigin = a.id * 100 * MS;
            long phase = (sinceOrigin - 1000 * MS) % (5000 * MS);
            assertFalse(sinceOrigin >= 1000 * MS && phase < 2000 * MS, "frame at " + sinceOrigin / MS + " ms passed a black hole");
        }
        // Windows [1,3), [6,8), [11,13), [16,18) s: 4 windows of 20 frames each.
        assertEquals(80, model.stats().droppedByBlackHole());
        assertEquals(120, out.size());
    }

    @Test
    void dropListKillsExactlyTheChosenFrames() {
        Impairments imp = Impairments.builder().dropFrames(2, 7).dropFrames(10, 10).build();
        List<Arrival> out = run(new ImpairmentModel(imp, 1, 0), 12, 8, MS);
        List<Integer> ids = out.stream().map(Arrival::id).toList();
        // Frame indices are 1-based: index 2 is id 1.
        assertEquals(List.of(0, 7, 8, 10, 11), ids);
    }

    @Test
    void jitterDelaysWithinBoundsWithoutReordering() {
        Impairments imp = Impairments.builder().latency(Duration.ofMillis(20)).jitter(Duration.ofMillis(15)).build();
        List<Arrival> out = run(new ImpairmentModel(imp, 3, 0), 5000, 8, MS);
        assertEquals(5000, out.size());
        long last = Long.MIN_VALUE;
        boolean someJitter = false;
        for (Arrival a : out) {
            long sent = a.id * MS;
            assertTrue(a.at >= sent + 20 * MS, "never earlier than the latency");
            assertTrue(a.at >= last, "FIFO without a reorder rate");
            someJitter |= a.at > sent + 20 * MS;
            last = a.at;
        }
        assertTrue(someJitter);
    }

    @Test
    void reorderingLetsLaterFramesOvertake() {
        Impairments imp = Impairments.builder().reorder(0.1, Duration.ofMillis(5)).build();
        ImpairmentModel model = new ImpairmentModel(imp, 9, 0);
        List<Arrival> out = run(model, 10_000, 8, MS);
        out.sort((a, b) -> Long.compare(a.at, b.at));
        int inversions = 0;
        for (int i = 1; i < out.size(); i++) {
            inversions += out.get(i).id < out.get(i - 1).id ? 1 : 0;
        }
        long reordered = model.stats().reordered();
        assertEquals(0.1, reordered / 10_000.0, 0.01);
        assertTrue(inversions > reordered / 2, "held-back frames arrive after later ones: " + inversions);
    }

    @Test
    void duplicationAndCorruptionHappenAtTheirRates() {
        Impairments imp = Impairments.builder().duplicate(0.05, Duration.ofMillis(2)).corrupt(0.01, 4).build();
        ImpairmentModel model = new ImpairmentModel(imp, 21, 0);
        byte[] original = frame(0, 200);
        byte[] pristine = original.clone();
        List<byte[]> copies = new ArrayList<>();
        for (int i = 0; i < MANY; i++) {
            model.offer(original, i * MS, (copy, at) -> copies.add(copy));
        }
        assertArrayEquals(pristine, original, "the offered frame is never modified");
        LinkStats s = model.stats();
        assertEquals(0.05, s.duplicated() / (double) MANY, 0.005);
        assertEquals(MANY + s.duplicated(), copies.size());
        int corrupted = 0;
        for (byte[] c : copies) {
            int flipped = 0;
            for (int i = 0; i < c.length; i++) {
                flipped += Integer.bitCount((c[i] ^ pristine[i]) & 0xff);
            }
            if (flipped > 0) {
                corrupted++;
                assertTrue(flipped <= 4, "at most 4 bits flipped, got " + flipped);
            }
        }
        // Two flips of one bit cancel out, so a few counted corruptions may leave a copy intact.
        assertTrue(corrupted <= s.corrupted() && corrupted >= s.corrupted() * 9 / 10, corrupted + " vs " + s.corrupted());
        assertEquals(0.01, s.corrupted() / (double) copies.size(), 0.002);
    }

    @Test
    void statsCountEveryFrame() {
        Impairments imp = Impairments.builder().lossRate(0.1).gilbertElliott(Impairments.GilbertElliott.of(0.1, 3))
                .dropFrames(1, 5).duplicateRate(0.1).build();
        ImpairmentModel model = new ImpairmentModel(imp, 77, 0);
        List<Arrival> out = run(model, 10_000, 8, MS);
        LinkStats s = model.stats();
        assertEquals(10_000, s.offered());
        assertEquals(5, s.droppedByIndex());
        assertEquals(out.size(), s.delivered());
        assertEquals(s.offered() - s.dropped() + s.duplicated(), s.delivered());
        assertNotEquals(0, s.droppedBurst());
        assertEquals(0.19, imp.meanLossRate(), 1e-9);
    }
}
