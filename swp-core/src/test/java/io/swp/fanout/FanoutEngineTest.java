package io.swp.fanout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.protocol.Frame;
import io.swp.protocol.FrameCodec;
import io.swp.protocol.FrameKind;
import io.swp.protocol.MalformedFrameException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Single crafted frames against the publisher and receiver state machines. */
class FanoutEngineTest {
    private static final long STREAM = 0x5EED;
    private static final FanoutConfig CONFIG = FanoutConfig.builder().maxPayloadBytes(100).windowFrames(8)
            .backlogFrames(8).build();

    private static PublisherEngine publisher() {
        return new PublisherEngine(CONFIG, "s", "s.pub", STREAM, 0);
    }

    /** A receiver welcomed into {@link #STREAM} at sequence 0. */
    private static ReceiverEngine activeReceiver() {
        ReceiverEngine r = new ReceiverEngine(CONFIG, "s", "r1", 77, 0);
        r.handleFrame(new FanoutFrame(FanoutKind.HEARTBEAT, STREAM, 0, 0, 0, "s.pub", null, null), 0);
        FanoutTransmit join = r.pollTransmit(0);
        assertNotNull(join);
        r.handleFrame(FanoutFrame.control(FanoutKind.WELCOME, STREAM, 0, 0, 77, ""), 1);
        assertEquals(ReceiverEngine.State.ACTIVE, r.state());
        return r;
    }

    private static byte[] data(long stream, long seq, long flags, byte... payload) {
        return FanoutCodec.encode(FanoutFrame.data(stream, seq, flags, 0, payload));
    }

    @Test
    void everyFrameKindSurvivesTheCodec() throws MalformedFrameException {
        for (FanoutKind k : FanoutKind.values()) {
            long aux = k == FanoutKind.DATA ? FanoutFrame.SOM | FanoutFrame.EOM : 3;
            FanoutFrame f = new FanoutFrame(k, STREAM, 1L << 40, aux, -5, "inbox.é", new long[] {1, 4, 9, 9},
                    new byte[] {1, 2, 3});
            assertEquals(f, FanoutCodec.decode(FanoutCodec.encode(f)));
        }
    }

    @Test
    void garbageIsCountedNeverThrown() {
        PublisherEngine p = publisher();
        ReceiverEngine r = activeReceiver();
        Random random = new Random(7);
        byte[] good = data(STREAM, 0, FanoutFrame.SOM, (byte) 1, (byte) 2);
        int malformed = 0;
        for (int i = 0; i < 2000; i++) {
            byte[] b;
            if (i % 2 == 0) {
                b = new byte[random.nextInt(64)];
                random.nextBytes(b);
            } else {
                b = good.clone();
                b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
            }
            assertFalse(p.handleFrame(b, 2));
            assertFalse(r.handleFrame(b, 2));
            malformed++;
        }
        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 1);
        assertThrows(MalformedFrameException.class, () -> FanoutCodec.decode(truncated));
        // A session frame is not a fan-out frame, and the reverse.
        byte[] session = FrameCodec.encode(Frame.builder(FrameKind.ACK).from("a").to("b").build());
        assertThrows(MalformedFrameException.class, () -> FanoutCodec.decode(session));
        assertThrows(MalformedFrameException.class, () -> FrameCodec.decode(good));
        assertEquals(malformed, p.stats().malformedDropped());
        assertEquals(malformed, r.stats().malformedDropped());
        assertEquals(0, r.readableFrames());
    }

    @Test
    void aStalePublishersFramesAreIgnored() {
        ReceiverEngine r = activeReceiver();
        r.handleFrame(data(STREAM + 1, 0, FanoutFrame.SOM | FanoutFrame.EOM, (byte) 9), 2);
        assertEquals(1, r.stats().staleDropped());
        assertNull(r.pollChunk(2));
        r.handleFrame(data(STREAM, 0, FanoutFrame.SOM | FanoutFrame.EOM, (byte) 1), 3);
        assertArrayEquals(new byte[] {1}, r.pollChunk(3).payload());

        PublisherEngine p = publisher();
        p.handleFrame(FanoutCodec.encode(FanoutFrame.control(FanoutKind.JOIN, STREAM + 1, 8, 0, 5, "x")), 1);
        assertEquals(1, p.stats().staleDropped());
        assertEquals(0, p.memberCount());
    }

    @Test
    void duplicateDataIsDeliveredOnce() {
        ReceiverEngine r = activeReceiver();
        byte[] f = data(STREAM, 0, FanoutFrame.SOM, (byte) 1);
        r.handleFrame(f, 2);
        r.handleFrame(f, 3);
        assertEquals(1, r.stats().duplicates());
        assertEquals(1, r.readableFrames());
        r.handleFrame(data(STREAM, 2, 0, (byte) 3), 4);
        r.handleFrame(data(STREAM, 2, 0, (byte) 3), 5);
        assertEquals(2, r.stats().duplicates(), "a held out-of-order frame counts as a duplicate too");
    }

    @Test
    void aNackOfAFrameNoLongerHeldGetsLost() {
        PublisherEngine p = publisher();
        p.handleFrame(FanoutCodec.encode(FanoutFrame.control(FanoutKind.JOIN, STREAM, 8, 0, 5, "r5")), 1);
        assertEquals(FanoutKind.WELCOME, decode(p.pollTransmit(1)).kind());
        // Fill the backlog (8 frames), let the member take them all, and write 8 more: 0..7 leave the backlog.
        byte[] chunk = new byte[100];
        assertEquals(800, p.write(new byte[800], 0, 800, true, 2));
        while (p.pollTransmit(2) != null) {
            // publish
        }
        p.handleFrame(FanoutCodec.encode(FanoutFrame.control(FanoutKind.STATUS, STREAM, 8, 8, 5, "r5")), 3);
        assertEquals(100, p.write(chunk, 0, 100, true, 4));
        assertEquals(1, p.backlogStart());
        // A receiver that is not a member (cut off, or never joined) asks for frame 0: LOST.
        p.handleFrame(FanoutCodec.encode(new FanoutFrame(FanoutKind.NACK, STREAM, 0, 8, 6, "r6",
                new long[] {0, 0}, null)), 5);
        FanoutFrame lost = drainUntil(p, FanoutKind.LOST, 5);
        assertEquals(6, lost.receiver());
        assertEquals(1, lost.seq(), "LOST names the oldest frame still held");

        ReceiverEngine r = activeReceiver();
        r.handleFrame(FanoutFrame.control(FanoutKind.LOST, STREAM, 1, LostReason.BACKLOG.code(), 77, ""), 6);
        assertEquals(ReceiverEngine.State.FAILED, r.state());
        assertEquals(LostReason.BACKLOG, r.failure());
    }

    @Test
    void aNackFromFewReceiversIsRepairedByUnicastFromManyOnTheSubject() {
        // Frames only: with parity, NACKs of a block under way wait for its end (the next test).
        PublisherEngine p = new PublisherEngine(CONFIG.toBuilder().fecBlockFrames(0).build(), "s", "s.pub", STREAM, 0);
        for (int i = 1; i <= 4; i++) {
            p.handleFrame(FanoutCodec.encode(FanoutFrame.control(FanoutKind.JOIN, STREAM, 8, 0, i, "r" + i)), 1);
        }
        p.write(new byte[300], 0, 300, true, 2);
        while (p.pollTransmit(2) != null) {
            // welcomes and data
        }
        assertEquals(2, p.multicastThreshold());
        nack(p, 1, 1, 3);
        assertNull(p.pollTransmit(3), "one requester: wait for others during the aggregation interval");
        p.handleTimeout(3 + CONFIG.repairAggregationNanos());
        FanoutTransmit t = p.pollTransmit(3 + CONFIG.repairAggregationNanos());
        assertEquals("r1", t.to());
        assertFalse(t.toSubject());
        assertEquals(1, decode(t).seq());
        nack(p, 2, 2, 10);
        nack(p, 3, 2, 11);
        t = p.pollTransmit(11);
        assertTrue(t.toSubject(), "two requesters: one repair on the subject");
        assertEquals(2, decode(t).seq());
        assertTrue(decode(t).has(FanoutFrame.REPAIR));
    }

    /**
     * Without it, in real time most first NACKs came while their block was still being
     * published and got plain frames, which the block's parity then duplicated (a third
     * more bytes at 10 receivers x 5 % loss over nats-server).
     */
    @Test
    void nacksOfABlockUnderWayWaitForItsEndAndGetParity() {
        FanoutConfig cfg = CONFIG.toBuilder().fecBlockFrames(4).build();
        PublisherEngine p = new PublisherEngine(cfg, "s", "s.pub", STREAM, 0);
        for (int i = 1; i <= 2; i++) {
            p.handleFrame(FanoutCodec.encode(FanoutFrame.control(FanoutKind.JOIN, STREAM, 8, 0, i, "r" + i)), 1);
        }
        // Two frames of the block [0, 4) are published; both receivers lose one.
        p.write(new byte[200], 0, 200, false, 2);
        while (p.pollTransmit(2) != null) {
            // welcomes and data
        }
        assertEquals(2, p.nextSent());
        nack(p, 1, 0, 3);
        nack(p, 2, 1, 3);
        long late = 3 + cfg.repairAggregationNanos() + cfg.nackDelayNanos();
        p.handleTimeout(late);
        assertNull(p.pollTransmit(late), "nothing is repaired while the block is under way");
        assertEquals(0, p.stats().unicastRepairs());
        // The block ends: after one aggregation interval, parity for the neediest (one row) goes out.
        p.write(new byte[200], 0, 200, true, late);
        while (p.pollTransmit(late) != null) {
            // data
        }
        assertTrue(p.pollTimeout() <= late + cfg.repairAggregationNanos(), "the collection now ends soon");
        long flush = late + cfg.repairAggregationNanos();
        p.handleTimeout(flush);
        FanoutFrame parity = drainUntil(p, FanoutKind.PARITY, flush);
        assertEquals(0, parity.seq());
        assertEquals(1, p.stats().parityFrames(), p.stats().toString());
        assertEquals(0, p.stats().unicastRepairs(), p.stats().toString());
    }

    /** A block under way whose end never comes (flow control holds it) still gets its frames after a retry interval. */
    @Test
    void aBlockHeldBackGetsFramesAfterARetryInterval() {
        FanoutConfig cfg = CONFIG.toBuilder().fecBlockFrames(4).build();
        PublisherEngine p = new PublisherEngine(cfg, "s", "s.pub", STREAM, 0);
        p.handleFrame(FanoutCodec.encode(FanoutFrame.control(FanoutKind.JOIN, STREAM, 8, 0, 1, "r1")), 1);
        p.handleFrame(FanoutCodec.encode(FanoutFrame.control(FanoutKind.JOIN, STREAM, 8, 0, 2, "r2")), 1);
        p.write(new byte[200], 0, 200, false, 2);
        while (p.pollTransmit(2) != null) {
            // welcomes and data
        }
        nack(p, 1, 0, 3);
        long due = 3 + cfg.nackRetryNanos();
        p.handleTimeout(due - 1);
        FanoutTransmit t;
        while ((t = p.pollTransmit(due - 1)) != null) {
            assertTrue(t.toSubject(), "only heartbeats before the retry interval ends");
        }
        p.handleTimeout(due);
        t = p.pollTransmit(due);
        assertNotNull(t);
        assertEquals("r1", t.to());
        assertEquals(0, decode(t).seq());
    }

    /**
     * Without it, a receiver asked again every retry interval while its repair was still
     * queued behind data, and the publisher sent the same repairs again (real time, 10
     * subscribers at 5 % loss: repairs arrived 200–300 ms after a 60 ms retry interval).
     * Twice the 100 ms delay here stays below the cap of four retry intervals.
     */
    @Test
    void nacksAreRetriedNoSoonerThanTwiceTheMeasuredRepairDelay() {
        FanoutConfig cfg = CONFIG.toBuilder().fecBlockFrames(0).windowFrames(64).backlogFrames(64).build();
        ReceiverEngine r = new ReceiverEngine(cfg, "s", "r1", 77, 0);
        r.handleFrame(new FanoutFrame(FanoutKind.HEARTBEAT, STREAM, 0, 0, 0, "s.pub", null, null), 0);
        r.pollTransmit(0);
        r.handleFrame(FanoutFrame.control(FanoutKind.WELCOME, STREAM, 0, 0, 77, ""), 0);
        long ms = 1_000_000L;
        long delay = 100 * ms;
        long now = 1 * ms;
        // Four gaps, each repaired 200 ms after its first NACK: the receiver learns the delay.
        for (int gap = 0; gap < 4; gap++) {
            long seq = 2L * gap;
            r.handleFrame(data(STREAM, seq + 1, FanoutFrame.SOM | FanoutFrame.EOM, (byte) 1), now);
            long nackAt = now + cfg.nackDelayNanos();
            drainNack(r, nackAt, seq);
            now = nackAt + delay;
            r.handleFrame(FanoutCodec.encode(FanoutFrame.data(STREAM, seq, FanoutFrame.SOM | FanoutFrame.EOM
                    | FanoutFrame.REPAIR, 0, new byte[] {1})), now);
            while (r.pollChunk(now) != null) {
                // delivered
            }
        }
        // A new gap: NACKed once, then not again within twice the measured delay.
        r.handleFrame(data(STREAM, 9, FanoutFrame.SOM | FanoutFrame.EOM, (byte) 1), now);
        long first = now + cfg.nackDelayNanos();
        drainNack(r, first, 8);
        long beforeRetry = first + 2 * delay - 20 * ms;
        r.handleTimeout(beforeRetry);
        FanoutTransmit t;
        while ((t = r.pollTransmit(beforeRetry)) != null) {
            assertNotEquals(FanoutKind.NACK, decode(t).kind(), "asked again before the repair could arrive");
        }
        assertTrue(beforeRetry > first + cfg.nackRetryNanos(), "the plain retry interval has passed");
        long retry = first + 2 * delay + 20 * ms;
        drainNack(r, retry, 8);
    }

    /** Runs the receiver at {@code now} and asserts that a NACK for {@code seq} goes out. */
    private static void drainNack(ReceiverEngine r, long now, long seq) {
        r.handleTimeout(now);
        FanoutTransmit t;
        boolean nacked = false;
        while ((t = r.pollTransmit(now)) != null) {
            FanoutFrame f = decode(t);
            if (f.kind() == FanoutKind.NACK) {
                assertEquals(seq, f.ranges()[0], "NACK " + java.util.Arrays.toString(f.ranges()));
                nacked = true;
            }
        }
        assertTrue(nacked, "no NACK for " + seq + " at " + now);
    }

    /** Without the limit, each forged frame drew a LOST reply to whatever inbox it named. */
    @Test
    void strangersFramesDrawRepliesOnlyAtTheReplyRateLimit() {
        PublisherEngine p = publisher();
        int flood = 3 * io.swp.protocol.Demux.DEFAULT_REPLY_BURST;
        for (int i = 1; i <= flood; i++) {
            p.handleFrame(FanoutCodec.encode(FanoutFrame.control(FanoutKind.STATUS, STREAM, 0, 8, i, "victim")), 5);
        }
        assertEquals(io.swp.protocol.Demux.DEFAULT_REPLY_BURST, p.stats().lostSent());
        assertEquals(flood - io.swp.protocol.Demux.DEFAULT_REPLY_BURST, p.stats().repliesRateLimited());
        // The bucket refills: a stranger a second later is answered again.
        p.handleFrame(FanoutCodec.encode(FanoutFrame.control(FanoutKind.NACK, STREAM, 0, 8, flood + 1, "r")),
                5 + 1_000_000_000L);
        assertEquals(io.swp.protocol.Demux.DEFAULT_REPLY_BURST + 1, p.stats().lostSent());
    }

    /** Without the limit, a burst of forged JOINs filled every member slot at once. */
    @Test
    void aJoinFloodAdmitsNoMoreThanTheReplyBurst() {
        PublisherEngine p = new PublisherEngine(CONFIG.toBuilder().maxReceivers(100_000).build(), "s", "s.pub",
                STREAM, 0);
        int flood = 2 * io.swp.protocol.Demux.DEFAULT_REPLY_BURST;
        for (int i = 1; i <= flood; i++) {
            p.handleFrame(FanoutCodec.encode(FanoutFrame.control(FanoutKind.JOIN, STREAM, 8, 0, i, "x" + i)), 5);
        }
        assertEquals(io.swp.protocol.Demux.DEFAULT_REPLY_BURST, p.memberCount());
        // A member's own JOIN retries are not limited.
        p.handleFrame(FanoutCodec.encode(FanoutFrame.control(FanoutKind.JOIN, STREAM, 8, 0, 1, "x1")), 5);
        assertEquals(io.swp.protocol.Demux.DEFAULT_REPLY_BURST, p.memberCount());
    }

    /** A publisher with parity blocks of 4 frames, two members, and the block [0, 4) published. */
    @Test
    void oneParityRowRepairsADifferentLossAtEachReceiver() {
        FanoutConfig cfg = CONFIG.toBuilder().fecBlockFrames(4).build();
        PublisherEngine p = new PublisherEngine(cfg, "s", "s.pub", STREAM, 0);
        ReceiverEngine[] rs = new ReceiverEngine[2];
        for (int i = 0; i < 2; i++) {
            rs[i] = new ReceiverEngine(cfg, "s", "r" + i, 10 + i, 0);
        }
        // Discovery: the heartbeat names the block size.
        FanoutFrame heartbeat = new FanoutFrame(FanoutKind.HEARTBEAT, STREAM, 0, 0, 0, "s.pub", new long[] {4, 4}, null);
        for (ReceiverEngine r : rs) {
            r.handleFrame(heartbeat, 1);
            p.handleFrame(decode(r.pollTransmit(1)), 1);
        }
        byte[][] data = new byte[5][];
        for (int i = 0; i < 5; i++) {
            data[i] = new byte[30 + i];
            new Random(i).nextBytes(data[i]);
            assertEquals(data[i].length, p.write(data[i], 0, data[i].length, true, 2));
        }
        FanoutTransmit t;
        int dataFrame = 0;
        while ((t = p.pollTransmit(2)) != null) {
            FanoutFrame f = decode(t);
            if (f.kind() == FanoutKind.WELCOME) {
                rs[(int) f.receiver() - 10].handleFrame(f, 2);
            } else if (f.kind() == FanoutKind.DATA) {
                // Receiver 0 loses frame 1, receiver 1 loses frame 2.
                for (int i = 0; i < 2; i++) {
                    if (dataFrame != i + 1) {
                        rs[i].handleFrame(f, 2);
                    }
                }
                dataFrame++;
            }
        }
        long later = 2 + cfg.nackDelayNanos();
        for (ReceiverEngine r : rs) {
            r.handleTimeout(later);
            FanoutTransmit nack;
            while ((nack = r.pollTransmit(later)) != null) {
                p.handleFrame(nack.frame(), later);
            }
        }
        long flush = later + cfg.repairAggregationNanos();
        p.handleTimeout(flush);
        FanoutFrame parity = drainUntil(p, FanoutKind.PARITY, flush);
        assertEquals(1, p.stats().parityFrames(), "one row for two different losses");
        assertEquals(0, p.stats().unicastRepairs());
        for (int i = 0; i < 2; i++) {
            rs[i].handleFrame(parity, flush);
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            FanoutChunk c;
            while ((c = rs[i].pollChunk(flush)) != null) {
                got.writeBytes(c.payload());
            }
            java.io.ByteArrayOutputStream want = new java.io.ByteArrayOutputStream();
            for (byte[] d : data) {
                want.writeBytes(d);
            }
            assertArrayEquals(want.toByteArray(), got.toByteArray(), "receiver " + i);
            assertEquals(1, rs[i].stats().decoded());
        }
    }

    /** Without it, a receiver whose WELCOME came after a block's parity needed its own repairs (seen at 50 receivers). */
    @Test
    void parityThatOvertakesTheWelcomeIsKeptAndDecodedOnceWelcomed() {
        FanoutConfig cfg = CONFIG.toBuilder().fecBlockFrames(4).build();
        ReceiverEngine r = new ReceiverEngine(cfg, "s", "r1", 77, 0);
        r.handleFrame(new FanoutFrame(FanoutKind.HEARTBEAT, STREAM, 0, 0, 0, "s.pub", new long[] {4, 4}, null), 0);
        assertEquals(FanoutKind.JOIN, decode(r.pollTransmit(0)).kind());
        byte[][] payloads = new byte[4][];
        long[] flags = new long[4];
        for (int i = 0; i < 4; i++) {
            payloads[i] = new byte[20 + i];
            new Random(i).nextBytes(payloads[i]);
            flags[i] = FanoutFrame.SOM | FanoutFrame.EOM;
        }
        // Frames 0, 2 and 3 and one parity row arrive before the WELCOME; frame 1 never does.
        for (int i : new int[] {0, 2, 3}) {
            r.handleFrame(data(STREAM, i, flags[i], payloads[i]), 1);
        }
        r.handleFrame(new FanoutFrame(FanoutKind.PARITY, STREAM, 0, (4L << 16) | 5, 0, "", null,
                BlockCode.encode(4, 5, flags, payloads)), 1);
        r.handleFrame(FanoutFrame.control(FanoutKind.WELCOME, STREAM, 0, 0, 77, ""), 2);
        assertEquals(1, r.stats().decoded(), r.stats().toString());
        for (int i = 0; i < 4; i++) {
            FanoutChunk c = r.pollChunk(2);
            assertNotNull(c, "frame " + i);
            assertArrayEquals(payloads[i], c.payload(), "frame " + i);
        }
        assertEquals(0, r.stats().nacksSent());
    }

    @Test
    void randomWellFormedFramesNeverBreakEitherSide() {
        Random random = new Random(99);
        FanoutConfig cfg = CONFIG.toBuilder().fecBlockFrames(4).build();
        PublisherEngine p = new PublisherEngine(cfg, "s", "s.pub", STREAM, 0);
        ReceiverEngine r = new ReceiverEngine(cfg, "s", "r1", 77, 0);
        r.handleFrame(new FanoutFrame(FanoutKind.HEARTBEAT, STREAM, 0, 0, 0, "s.pub", new long[] {4, 4}, null), 0);
        r.handleFrame(FanoutFrame.control(FanoutKind.WELCOME, STREAM, 0, 0, 77, ""), 0);
        p.write(new byte[500], 0, 500, true, 0);
        FanoutKind[] kinds = FanoutKind.values();
        for (int i = 0; i < 20_000; i++) {
            long now = i * 1000L;
            long[] ranges = new long[2 * random.nextInt(4)];
            for (int j = 0; j < ranges.length; j += 2) {
                ranges[j] = random.nextInt(40);
                ranges[j + 1] = ranges[j] + random.nextInt(40);
            }
            byte[] payload = new byte[random.nextInt(40)];
            random.nextBytes(payload);
            FanoutKind kind = kinds[random.nextInt(kinds.length)];
            long aux = kind == FanoutKind.DATA ? random.nextInt(16) : random.nextInt(1 << 20);
            FanoutFrame f = new FanoutFrame(kind, random.nextInt(10) == 0 ? STREAM + 1 : STREAM, random.nextInt(60),
                    aux, random.nextBoolean() ? 77 : random.nextInt(5), random.nextBoolean() ? "x" : "", ranges, payload);
            byte[] wire = FanoutCodec.encode(f);
            p.handleFrame(wire, now);
            r.handleFrame(wire, now);
            p.handleTimeout(now);
            r.handleTimeout(now);
            while (p.pollTransmit(now) != null) {
                // drain
            }
            while (r.pollTransmit(now) != null) {
                // drain
            }
            while (r.pollChunk(now) != null) {
                // drain
            }
            assertTrue(r.readableFrames() <= cfg.windowFrames());
            assertTrue(p.memberCount() <= cfg.maxReceivers());
        }
    }

    @Test
    void heartbeatsGoOutOnAGrowingScheduleAndRestartAfterData() {
        PublisherEngine p = publisher();
        long now = 0;
        java.util.List<Long> gaps = new java.util.ArrayList<>();
        long last = -1;
        for (int i = 0; i < 10; i++) {
            FanoutTransmit t = p.pollTransmit(now);
            assertEquals(FanoutKind.HEARTBEAT, decode(t).kind());
            assertNull(p.pollTransmit(now), "one heartbeat per deadline");
            if (last >= 0) {
                gaps.add(now - last);
            }
            last = now;
            now = p.pollTimeout();
        }
        long min = CONFIG.heartbeatMinNanos();
        assertEquals(java.util.List.of(min, 2 * min, 4 * min, 8 * min, 16 * min, 32 * min,
                CONFIG.heartbeatMaxNanos(), CONFIG.heartbeatMaxNanos(), CONFIG.heartbeatMaxNanos()), gaps);
        p.write(new byte[10], 0, 10, true, now);
        assertEquals(FanoutKind.DATA, decode(p.pollTransmit(now)).kind());
        assertEquals(now + min, p.pollTimeout(), "data restarts the schedule at the minimum");
    }

    /**
     * Valid frames with a few bytes changed and the CRC fixed, so the damage reaches the
     * MessagePack parser: they decode (and then encode back the same) or throw
     * MalformedFrameException, nothing else; and neither side breaks on them.
     */
    @Test
    void damagedFramesWithAGoodChecksumDecodeOrAreRejected() throws MalformedFrameException {
        Random random = new Random(4242);
        PublisherEngine p = publisher();
        ReceiverEngine r = activeReceiver();
        int rejected = 0;
        for (int i = 0; i < 20_000; i++) {
            FanoutKind kind = FanoutKind.values()[random.nextInt(FanoutKind.values().length)];
            byte[] payload = new byte[random.nextInt(20)];
            random.nextBytes(payload);
            byte[] b = FanoutCodec.encode(new FanoutFrame(kind, STREAM, random.nextInt(1000), kind == FanoutKind.DATA ? 3 : 7,
                    77, "in" + i, random.nextBoolean() ? new long[] {1, 2} : null, payload));
            int edits = 1 + random.nextInt(3);
            for (int e = 0; e < edits; e++) {
                b[random.nextInt(b.length - 4)] = (byte) random.nextInt(256);
            }
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(b, 0, b.length - 4);
            java.nio.ByteBuffer.wrap(b, b.length - 4, 4).putInt((int) crc.getValue());
            FanoutFrame f;
            try {
                f = FanoutCodec.decode(b);
            } catch (MalformedFrameException e) {
                rejected++;
                continue;
            }
            assertEquals(f, FanoutCodec.decode(FanoutCodec.encode(f)));
            p.handleFrame(f, i);
            r.handleFrame(f, i);
            while (p.pollTransmit(i) != null) {
                // drain
            }
            while (r.pollTransmit(i) != null) {
                // drain
            }
        }
        assertTrue(rejected > 1000, "most damage is caught: " + rejected);
    }

    private static void nack(PublisherEngine p, long receiver, long seq, long now) {
        p.handleFrame(FanoutCodec.encode(new FanoutFrame(FanoutKind.NACK, STREAM, 0, 8, receiver, "r" + receiver,
                new long[] {seq, seq}, null)), now);
    }

    private static FanoutFrame drainUntil(PublisherEngine p, FanoutKind kind, long now) {
        FanoutTransmit t;
        while ((t = p.pollTransmit(now)) != null) {
            FanoutFrame f = decode(t);
            if (f.kind() == kind) {
                return f;
            }
        }
        throw new AssertionError("no " + kind);
    }

    private static FanoutFrame decode(FanoutTransmit t) {
        try {
            return FanoutCodec.decode(t.frame());
        } catch (MalformedFrameException e) {
            throw new AssertionError(e);
        }
    }
}
