package io.swp.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReceiveBufferTest {

    private static Frame data(long seq, int len) {
        return Frame.builder(FrameKind.DATA).seq(seq).payload(new byte[len]).build();
    }

    @Test
    void refusesOrderedDataBeyondTheWindowButAlwaysTakesTheGapFill() {
        ReceiveBuffer r = new ReceiveBuffer(4, 1_000, 8);
        assertEquals(ReceiveBuffer.Arrival.IN_ORDER, r.offer(data(0, 100)));
        assertEquals(ReceiveBuffer.Arrival.OUT_OF_ORDER, r.offer(data(2, 100)));
        assertEquals(ReceiveBuffer.Arrival.OUT_OF_ORDER, r.offer(data(3, 100)));
        assertEquals(0, r.freeFrames() - 1, "one frame of room left");
        assertEquals(ReceiveBuffer.Arrival.NO_ROOM, r.offer(data(5, 100)), "beyond the frame span");
        assertEquals(ReceiveBuffer.Arrival.OUT_OF_ORDER, r.offer(data(4, 100)));
        assertEquals(0, r.freeFrames(), "full: 1 unread + 3 held");
        assertEquals(ReceiveBuffer.Arrival.FILLED_GAP, r.offer(data(1, 100)), "the gap fill is never refused");
        assertEquals(5, r.next());
        assertEquals(5, r.bufferedFrames(), "one frame over the window at most");
        assertEquals(ReceiveBuffer.Arrival.DUPLICATE, r.offer(data(3, 100)));
        assertEquals(ReceiveBuffer.Arrival.NO_ROOM, r.offer(data(5, 100)));
        byte[] out = new byte[1_000];
        assertEquals(500, r.read(out, 0, out.length));
        assertEquals(ReceiveBuffer.Arrival.IN_ORDER, r.offer(data(5, 100)));
    }

    @Test
    void gapFillsNeverTakeTheBufferMoreThanOneFrameOverTheWindow() {
        int windowFrames = 64;
        long windowBytes = 64 * 1024;
        int fillerBytes = 60 * 1024;
        ReceiveBuffer r = new ReceiveBuffer(windowFrames, windowBytes, 8);
        // A peer holds every other frame (1 byte each) so that each even number is a gap,
        // then fills the gaps with large frames while nothing is read.
        for (long s = 1; s < windowFrames; s += 2) {
            assertEquals(ReceiveBuffer.Arrival.OUT_OF_ORDER, r.offer(data(s, 1)));
        }
        for (long s = 0; s < windowFrames; s += 2) {
            r.offer(data(s, fillerBytes));
            assertTrue(r.bufferedBytes() <= windowBytes + fillerBytes,
                    "after offering gap fill " + s + ": " + r.bufferedBytes() + " bytes buffered, window "
                            + windowBytes + " plus one frame of " + fillerBytes);
            assertTrue(r.bufferedFrames() <= windowFrames + 1,
                    "after offering gap fill " + s + ": " + r.bufferedFrames() + " frames buffered");
        }
        byte[] out = new byte[(int) r.bufferedBytes()];
        r.read(out, 0, out.length);
        assertEquals(ReceiveBuffer.Arrival.FILLED_GAP, r.offer(data(r.next(), fillerBytes)),
                "once read, the next gap fill is taken again");
    }

    @Test
    void sackRangesStartAtTheLeftEdgeAndAreCapped() {
        ReceiveBuffer r = new ReceiveBuffer(1_000, 1_000_000, 8);
        for (long s = 2; s < 200; s += 2) {
            r.offer(data(s, 1));
        }
        long[] sack = r.sackRanges();
        assertEquals(2 * FrameCodec.MAX_SACK_RANGES, sack.length);
        assertEquals(2, sack[0]);
        assertEquals(3, sack[1]);
        assertEquals(2 + 2 * (FrameCodec.MAX_SACK_RANGES - 1), sack[sack.length - 2]);
        r.offer(data(0, 1));
        r.offer(data(1, 1));
        assertEquals(4, r.sackRanges()[0], "ranges below the cumulative ack are gone");
        assertEquals(3, r.next());
    }

    @Test
    void finIsReachedOnlyInOrderAndNothingBeyondItIsTaken() {
        ReceiveBuffer r = new ReceiveBuffer(16, 1_000, 8);
        assertEquals(ReceiveBuffer.Arrival.OUT_OF_ORDER,
                r.offer(Frame.builder(FrameKind.FIN).seq(1).build()));
        assertTrue(!r.finReached());
        assertEquals(ReceiveBuffer.Arrival.INVALID, r.offer(data(2, 1)));
        assertEquals(ReceiveBuffer.Arrival.FILLED_GAP, r.offer(data(0, 3)));
        assertTrue(r.finReached());
        byte[] out = new byte[10];
        assertEquals(3, r.read(out, 0, 10));
        assertEquals(-1, r.read(out, 0, 10));
        assertArrayEquals(new byte[3], java.util.Arrays.copyOf(out, 3));
    }

    @Test
    void aFinArrivingBelowHeldDataDropsItUndelivered() {
        ReceiveBuffer r = new ReceiveBuffer(16, 1_000, 8);
        assertEquals(ReceiveBuffer.Arrival.IN_ORDER, r.offer(data(0, 3)));
        assertEquals(ReceiveBuffer.Arrival.OUT_OF_ORDER, r.offer(data(2, 5)));
        assertEquals(ReceiveBuffer.Arrival.OUT_OF_ORDER, r.offer(data(4, 7)));
        assertEquals(ReceiveBuffer.Arrival.OUT_OF_ORDER, r.offer(Frame.builder(FrameKind.FIN).seq(3).build()));
        assertEquals(1, r.droppedPastFin(), "frame 4 lies beyond the end of the stream");
        assertArrayEquals(new long[] {2, 4}, r.sackRanges(), "frame 2 and the FIN remain");
        assertEquals(ReceiveBuffer.Arrival.FILLED_GAP, r.offer(data(1, 1)));
        assertTrue(r.finReached());
        assertEquals(4, r.next(), "the FIN is the last frame");
        assertEquals(9, r.bufferedBytes(), "frames 0, 1 and 2");
        assertEquals(9, r.deliveredBytes());
        assertEquals(ReceiveBuffer.Arrival.INVALID, r.offer(data(4, 7)), "and it is refused if it comes again");
        byte[] out = new byte[20];
        assertEquals(9, r.read(out, 0, out.length));
        assertEquals(-1, r.read(out, 0, out.length));
    }
}
