package io.swp.fanout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.sim.Impairments;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** One publisher, many receivers, in virtual time over the simulator. */
class FanoutSimTest {
    private static final long MS = 1_000_000L;
    private static final long SEED = Long.getLong("swp.seed", 20261201L);
    private static final Impairments LOSSY = Impairments.builder().lossRate(0.05)
            .latency(Duration.ofMillis(2)).jitter(Duration.ofMillis(1)).reorder(0.05, Duration.ofMillis(3)).build();
    private static final Impairments CLEAN = Impairments.builder().latency(Duration.ofMillis(2)).build();
    /** The reordering allowance covers the simulated reordering (3 ms) plus jitter (1 ms). */
    private static final FanoutConfig CONFIG = FanoutConfig.builder().maxPayloadBytes(8 * 1024)
            .nackDelayNanos(5 * MS).statusIntervalNanos(50 * MS).joinRetryNanos(100 * MS).maxStallNanos(1000 * MS).deadReceiverNanos(5000 * MS).silentPublisherNanos(5000 * MS).build();

    private static String seed() {
        return " (seed " + SEED + "; rerun with -Dswp.seed=" + SEED + ")";
    }

    /** The default seed (or {@code -Dswp.seed}) and seeds 1 to 8: the byte bound must hold for each, not on average. */
    static LongStream fiftyReceiverSeeds() {
        return LongStream.concat(LongStream.of(SEED), LongStream.rangeClosed(1, 8)).distinct();
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("fiftyReceiverSeeds")
    void fiftyLossyReorderingReceiversAllGetIdenticalBytesForLittleMoreThanThePayload(long seed) {
        String seedNote = " (seed " + seed + "; rerun with -Dswp.seed=" + seed + ")";
        FanoutHarness h = new FanoutHarness(seed, CONFIG, LOSSY);
        for (int i = 0; i < 50; i++) {
            h.addReceiver(CONFIG);
        }
        byte[] data = FanoutHarness.pattern(4 * 1024 * 1024, seed);
        h.publish(data);
        boolean done = h.runUntil(() -> h.receivers.stream().allMatch(r -> r.engine.isEndOfStream())
                && h.pub.isComplete(), 120_000 * MS);
        assertTrue(done, "not all receivers finished by 120 s virtual" + seedNote + ": " + h.pub.stats() + "; unfinished: "
                + h.receivers.stream().filter(r -> !r.engine.isEndOfStream() || r.engine.failure() != null)
                        .map(r -> r.engine + " " + r.engine.failure() + " " + r.engine.stats()).toList()
                + "; events " + h.pubEvents.stream().filter(e -> e.type() == PublisherEvent.Type.CUT_OFF).toList());
        for (FanoutHarness.Rx rx : h.receivers) {
            assertArrayEquals(data, rx.got.toByteArray(), rx.engine + seedNote);
        }
        double ratio = h.subjectBytesAtNetwork / (double) data.length;
        double total = (h.subjectBytesAtNetwork + h.unicastBytesFromPublisher) / (double) data.length;
        System.out.printf("fan-out 50 x 5%% loss, seed " + seed + ": subject %.3f x payload, all publisher output %.3f x, %.2f s virtual; %s%n",
                ratio, total, h.net.now() / 1e9, h.pub.stats());
        assertEquals(h.pub.stats().subjectBytes(), h.subjectBytesAtNetwork, "the publisher's own count agrees");
        assertTrue(ratio <= 1.2, "published " + ratio + " x the payload on the subject" + seedNote);
        // Everything the publisher sent counts: data, parity, heartbeats on the subject, and
        // unicast repairs, WELCOME, LOST and REPORT_ACK to inboxes.
        assertTrue(total <= 1.2, "the publisher sent " + total + " x the payload in all" + seedNote);
    }

    @Test
    void aReceiverThatStopsReadingIsCutOffAndHoldsTheOthersBackAtMostTheStallBound() {
        byte[] data = FanoutHarness.pattern(2 * 1024 * 1024, SEED);
        long baseline = runWithOneBadReceiver(data, false, false);
        long withSlow = runWithOneBadReceiver(data, true, false);
        long bound = CONFIG.maxStallNanos() + CONFIG.statusIntervalNanos() + 50 * MS;
        assertTrue(withSlow - baseline <= bound, "a stopped reader delayed the others by "
                + (withSlow - baseline) / MS + " ms, bound " + bound / MS + " ms" + seed());
    }

    @Test
    void aReceiverThatCrashesIsCutOffAndTheOthersFinish() {
        byte[] data = FanoutHarness.pattern(2 * 1024 * 1024, SEED);
        long baseline = runWithOneBadReceiver(data, false, false);
        long withCrash = runWithOneBadReceiver(data, false, true);
        long bound = CONFIG.maxStallNanos() + CONFIG.statusIntervalNanos() + 50 * MS;
        assertTrue(withCrash - baseline <= bound, "a crashed receiver delayed the others by "
                + (withCrash - baseline) / MS + " ms" + seed());
    }

    /** @return the virtual time at which the good receivers all had everything */
    private long runWithOneBadReceiver(byte[] data, boolean stopsReading, boolean crashes) {
        // A small window, so a receiver that stops reading closes it long before the end.
        FanoutConfig small = CONFIG.toBuilder().windowFrames(64).build();
        FanoutHarness h = new FanoutHarness(SEED, small, LOSSY);
        for (int i = 0; i < 8; i++) {
            h.addReceiver(small);
        }
        FanoutHarness.Rx bad = h.receivers.get(3);
        h.publish(data);
        if (stopsReading || crashes) {
            // Misbehave after a quarter of the data arrived.
            assertTrue(h.runUntil(() -> bad.got.size() >= data.length / 4, 60_000 * MS), "never got going" + seed());
            if (stopsReading) {
                bad.reading = false;
            } else {
                bad.crash();
            }
        }
        boolean done = h.runUntil(() -> h.receivers.stream().filter(r -> r != bad || !(stopsReading || crashes))
                .allMatch(r -> r.engine.isEndOfStream()), 120_000 * MS);
        assertTrue(done, "the good receivers did not finish" + seed() + ": " + h.pub.stats() + "; unfinished: "
                + h.receivers.stream().filter(r -> r != bad && !r.engine.isEndOfStream())
                        .map(r -> r.engine + " " + r.engine.stats()).toList() + ", members " + h.pub.receivers());
        long finishedAt = h.net.now();
        for (FanoutHarness.Rx rx : h.receivers) {
            if (rx != bad || !(stopsReading || crashes)) {
                assertArrayEquals(data, rx.got.toByteArray(), rx.engine + seed());
            }
        }
        if (stopsReading || crashes) {
            assertTrue(h.pubEvents.stream().anyMatch(e -> e.type() == PublisherEvent.Type.CUT_OFF
                    && e.receiver() == bad.engine.nonce()), "the bad receiver was not cut off" + seed());
            if (stopsReading) {
                h.runUntil(() -> bad.engine.state() == ReceiverEngine.State.FAILED, h.net.now() + 5_000 * MS);
                assertEquals(LostReason.CUT_OFF, bad.engine.failure(), "the stopped reader learns it was cut off" + seed());
            }
            assertTrue(h.runUntil(h.pub::isComplete, h.net.now() + 5_000 * MS),
                    "the publisher counts only the remaining members" + seed());
        }
        return finishedAt;
    }

    @Test
    void lateJoinerFromNowGetsWholeMessagesFromWhereItJoined() {
        assertLateJoin(LateJoin.FROM_NOW);
    }

    @Test
    void lateJoinerFromBacklogGetsEverythingTheBacklogHeld() {
        assertLateJoin(LateJoin.FROM_BACKLOG);
    }

    private void assertLateJoin(LateJoin mode) {
        FanoutHarness h = new FanoutHarness(SEED, CONFIG, LOSSY);
        h.addReceiver(CONFIG);
        h.addReceiver(CONFIG);
        int messages = 400;
        byte[][] sent = new byte[messages][];
        for (int i = 0; i < messages; i++) {
            // 12 KiB messages span two frames, so FROM_NOW may join in the middle of one.
            sent[i] = FanoutHarness.pattern(12 * 1024, SEED + i);
            sent[i][0] = (byte) i;
            sent[i][1] = (byte) (i >> 8);
        }
        int[] written = {0};
        long[] joinedAtSeq = {-1};
        FanoutHarness.Rx[] late = {null};
        assertTrue(h.runUntil(() -> h.pub.memberCount() == 2, 10_000 * MS), seed());
        boolean done = h.runUntil(() -> {
            long now = h.net.now();
            while (written[0] < messages && h.pub.canWrite()) {
                assertEquals(sent[written[0]].length, h.pub.write(sent[written[0]], 0, sent[written[0]].length, true, now));
                written[0]++;
            }
            if (written[0] == messages) {
                h.pub.finish(now);
            }
            if (late[0] == null && h.pub.nextSent() >= 300) {
                joinedAtSeq[0] = h.pub.nextSent();
                late[0] = h.addReceiver(CONFIG.toBuilder().lateJoin(mode).build());
            }
            return late[0] != null && h.receivers.stream().allMatch(r -> r.engine.isEndOfStream());
        }, 120_000 * MS);
        assertTrue(done, "did not finish" + seed() + ": " + h.pub.stats() + "; " + h.receivers.stream()
                .map(r -> r.engine + " " + r.engine.stats()).toList() + ", members " + h.pub.receivers());
        for (int r = 0; r < 2; r++) {
            assertEquals(messages, h.receivers.get(r).messages.size(), "an early receiver got every message" + seed());
        }
        FanoutHarness.Rx rx = late[0];
        int first = messages - rx.messages.size();
        for (int i = 0; i < rx.messages.size(); i++) {
            assertArrayEquals(sent[first + i], rx.messages.get(i), "late message " + i + seed());
        }
        if (mode == LateJoin.FROM_NOW) {
            // Two frames per message: it joined at or after message joinedAtSeq / 2, and missed nothing after.
            assertTrue(first >= (joinedAtSeq[0] - CONFIG.fecBlockFrames()) / 2 - 1,
                    "FROM_NOW started at message " + first + seed());
            // With parity on, the start is rounded down to its parity block.
            assertTrue(rx.engine.start() >= joinedAtSeq[0] - CONFIG.fecBlockFrames(), "started at " + rx.engine.start() + seed());
        } else {
            // The backlog (2048 frames) holds the whole stream (800 frames), so the joiner gets all of it.
            assertEquals(0, rx.engine.start(), seed());
            assertEquals(messages, rx.messages.size(), seed());
        }
    }

    @Test
    void heartbeatsRevealLostTailFrames() {
        FanoutHarness h = new FanoutHarness(SEED, CONFIG, CLEAN);
        for (int i = 0; i < 5; i++) {
            h.addReceiver(CONFIG);
        }
        byte[] data = FanoutHarness.pattern(64 * 1024, SEED);
        int frames = data.length / CONFIG.maxPayloadBytes();
        // The last data frame and the FIN are lost for everyone the first time: only heartbeats say they exist.
        boolean[] dropped = new boolean[2];
        h.net.setFrameFilter((to, frame, now) -> {
            if (!to.equals(FanoutHarness.SUBJECT)) {
                return false;
            }
            try {
                FanoutFrame f = FanoutCodec.decode(frame);
                if (f.kind() == FanoutKind.DATA && f.seq() >= frames - 1 && !f.has(FanoutFrame.REPAIR)) {
                    int i = (int) (f.seq() - (frames - 1));
                    boolean first = !dropped[i];
                    dropped[i] = true;
                    return first;
                }
            } catch (io.swp.protocol.MalformedFrameException e) {
                throw new AssertionError(e);
            }
            return false;
        });
        h.publish(data);
        assertTrue(h.runUntil(() -> h.receivers.stream().allMatch(r -> r.engine.isEndOfStream()), 10_000 * MS),
                "tail loss not repaired" + seed());
        assertTrue(dropped[0] && dropped[1]);
        for (FanoutHarness.Rx rx : h.receivers) {
            assertArrayEquals(data, rx.got.toByteArray());
            assertTrue(rx.engine.stats().nacksSent() > 0, "gaps found by the heartbeat were NACKed");
        }
        assertTrue(h.pub.stats().multicastRepairs() >= 2, "five requesters: repaired on the subject");
    }

    @Test
    void receiversNoticeASilentPublisher() {
        FanoutHarness h = new FanoutHarness(SEED, CONFIG, CLEAN);
        for (int i = 0; i < 3; i++) {
            h.addReceiver(CONFIG);
        }
        byte[] data = FanoutHarness.pattern(256 * 1024, SEED);
        h.publish(data);
        assertTrue(h.runUntil(() -> h.receivers.get(0).got.size() > 0, 10_000 * MS), seed());
        h.publisherAlive = false;
        long stoppedAt = h.net.now();
        assertTrue(h.runUntil(() -> h.receivers.stream().allMatch(r -> r.engine.state() == ReceiverEngine.State.FAILED),
                stoppedAt + 10_000 * MS), "receivers did not notice the publisher was gone" + seed());
        for (FanoutHarness.Rx rx : h.receivers) {
            assertEquals(LostReason.PUBLISHER_SILENT, rx.engine.failure());
        }
        long took = h.net.now() - stoppedAt;
        assertTrue(took <= CONFIG.silentPublisherNanos() + 10 * MS, "noticed after " + took / MS + " ms");
        assertTrue(Arrays.stream(new long[] {took}).allMatch(t -> t >= CONFIG.silentPublisherNanos() - 50 * MS),
                "not before the bound: " + took / MS + " ms");
    }
}
