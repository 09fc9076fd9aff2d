package io.swp.protocol;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * The receive side of a session: frames held out of order above the next expected
 * sequence number, in-order payload waiting for the application, unordered messages,
 * and the SACK ranges to report.
 *
 * <p>Memory is bounded by the window: a DATA frame is accepted only while the frames and
 * bytes held out of order, those delivered in order but unread, and the unordered
 * messages not yet taken stay within {@code windowFrames}/{@code windowBytes}, and
 * nothing further than {@code windowFrames} above the next expected number is held. Two
 * exceptions keep a session from deadlocking, each by at most one frame: an empty buffer
 * always takes one frame (mismatched configurations), and the frame that fills the gap
 * below held frames is taken while the buffer is not already over the window (it lets
 * them all move on; refusing it could wait forever). Unordered messages wait in their
 * own queue, counted against the window like the rest and also bounded by drop-oldest.
 *
 * <p>Nothing beyond the peer's FIN is delivered: a frame above it arriving after it is
 * refused, and a FIN arriving below frames already held drops them.
 */
final class ReceiveBuffer {
    /** What became of an arriving sequenced frame. */
    enum Arrival {
        /** Already received (below the next expected number, or held). */
        DUPLICATE,
        /** No room in the window (or too far ahead); dropped. */
        NO_ROOM,
        /** Breaks the rules (beyond the peer's FIN, a second FIN); dropped. */
        INVALID,
        /** Held above a gap. */
        OUT_OF_ORDER,
        /** The next expected frame, with nothing held above it. */
        IN_ORDER,
        /** The next expected frame, and frames were held above it. */
        FILLED_GAP
    }

    /** Stands in the ring for an unordered message, already handed to its own queue. */
    private static final Frame UNORDERED_DELIVERED = Frame.builder(FrameKind.DATA)
            .flags(Frame.FLAG_UNORDERED).build();
    private static final long[] NO_SACK = new long[0];

    private final int windowFrames;
    private final long windowBytes;
    private final int unorderedLimit;
    // What the engine last let the peer send (see limit()): at most the window.
    private long limitFrames;
    private long limitBytes;
    private final SeqRing<Frame> held = new SeqRing<>(0);
    private final RangeSet heldRanges = new RangeSet();
    private final ArrayDeque<Frame> readable = new ArrayDeque<>();
    private final ArrayDeque<byte[]> unordered = new ArrayDeque<>();
    private long unorderedBytes;

    private long next;
    private int heldFrames;
    private long heldBytes;
    private int headOffset;
    private long unreadBytes;
    private long finSeq = -1;
    private boolean finReached;
    private boolean discarding;
    private long deliveredBytes;
    private long unorderedDropped;
    private long droppedPastFin;
    private long[] sackCache = NO_SACK;
    private boolean sackDirty;

    ReceiveBuffer(int windowFrames, long windowBytes, int unorderedLimit) {
        this.windowFrames = windowFrames;
        this.windowBytes = windowBytes;
        this.unorderedLimit = unorderedLimit;
        this.limitFrames = windowFrames;
        this.limitBytes = windowBytes;
    }

    /**
     * Bounds what DATA frames may fill from now on to what the engine has let the peer
     * send: its advertisements may be smaller than the window (a share of the transport's
     * buffer or of the endpoint's memory), and a peer that ignores them must not get the
     * whole window. The exceptions of the class comment still apply.
     *
     * @param frames frames the buffer may hold, capped at the window
     * @param bytes bytes the buffer may hold, capped at the window
     */
    void limit(long frames, long bytes) {
        limitFrames = Math.min(windowFrames, frames);
        limitBytes = Math.min(windowBytes, bytes);
    }

    /** @return the next expected sequence number: the cumulative acknowledgement */
    long next() {
        return next;
    }

    /** @return frames this side can still take (may be negative only transiently, never reported so) */
    long freeFrames() {
        return Math.max(0, windowFrames - bufferedFrames());
    }

    /** @return payload bytes this side can still take */
    long freeBytes() {
        return Math.max(0, windowBytes - bufferedBytes());
    }

    /** @return frames held out of order, in-order frames unread and unordered messages not taken */
    long bufferedFrames() {
        return heldFrames + (long) readable.size() + unordered.size();
    }

    /** @return bytes held out of order, in-order bytes unread and bytes of unordered messages not taken */
    long bufferedBytes() {
        return heldBytes + unreadBytes + unorderedBytes;
    }

    /** @return slots allocated for frames held by sequence number: for tests of memory bounds */
    int ringCapacity() {
        return held.capacity();
    }

    /** @return in-order bytes the application has not read */
    long unreadBytes() {
        return unreadBytes;
    }

    /** @return whether no in-order chunk waits for the application */
    boolean isReadableEmpty() {
        return readable.isEmpty();
    }

    /** @return whether the peer's FIN has been reached in order */
    boolean finReached() {
        return finReached;
    }

    /** @return payload bytes accepted (in order, or unordered on first arrival) */
    long deliveredBytes() {
        return deliveredBytes;
    }

    /** @return unordered messages dropped because the queue was full */
    long unorderedDropped() {
        return unorderedDropped;
    }

    /**
     * @return frames held out of order that a FIN arriving later put beyond the end of the
     *     stream: dropped, never delivered (the peer broke the protocol)
     */
    long droppedPastFin() {
        return droppedPastFin;
    }

    /**
     * Takes an arriving DATA or FIN frame.
     *
     * @param p the frame; its payload array is kept, not copied
     * @return what became of it
     */
    Arrival offer(Frame p) {
        long seq = p.seq();
        if (seq < next || held.get(seq) != null) {
            return Arrival.DUPLICATE;
        }
        if (seq - next >= windowFrames) {
            return Arrival.NO_ROOM;
        }
        if (finSeq >= 0 && seq > finSeq) {
            return Arrival.INVALID;
        }
        if (p.kind() == FrameKind.FIN) {
            if (finSeq >= 0) {
                return Arrival.INVALID;
            }
            finSeq = seq;
            dropHeldFrom(seq + 1);
            held.put(seq, p);
        } else if (!hasRoomFor(seq, p.payloadLength())) {
            return Arrival.NO_ROOM;
        } else if (p.hasFlag(Frame.FLAG_UNORDERED)) {
            deliverUnordered(p.payload());
            held.put(seq, UNORDERED_DELIVERED);
        } else {
            int len = p.payloadLength();
            held.put(seq, p);
            heldFrames++;
            heldBytes += len;
        }
        if (seq != next) {
            heldRanges.add(seq, seq + 1, null);
            sackDirty = true;
            return Arrival.OUT_OF_ORDER;
        }
        boolean gapFilled = !heldRanges.isEmpty();
        advance();
        return gapFilled ? Arrival.FILLED_GAP : Arrival.IN_ORDER;
    }

    /** @return whether a DATA frame {@code seq} of {@code len} bytes fits the window (see the class comment) */
    private boolean hasRoomFor(long seq, int len) {
        if (heldFrames == 0 && readable.isEmpty() && unordered.isEmpty()) {
            return true;
        }
        // The gap fill may exceed the window, but only from within it: otherwise a peer
        // holding many gaps open could push one frame over per gap, without bound.
        boolean fillsTheGap = seq == next && heldFrames > 0
                && bufferedFrames() <= limitFrames && bufferedBytes() <= limitBytes;
        return fillsTheGap || (bufferedFrames() < limitFrames && bufferedBytes() + len <= limitBytes);
    }

    private void deliverUnordered(byte[] message) {
        deliveredBytes += message.length;
        if (discarding) {
            return;
        }
        if (unordered.size() >= unorderedLimit) {
            unorderedBytes -= unordered.poll().length;
            unorderedDropped++;
        }
        unordered.add(message);
        unorderedBytes += message.length;
    }

    private void advance() {
        Frame p;
        while ((p = held.get(next)) != null) {
            held.pollBase();
            next++;
            if (p == UNORDERED_DELIVERED) {
                continue;
            }
            if (p.kind() == FrameKind.FIN) {
                finReached = true;
                break;
            }
            int len = p.payloadLength();
            heldFrames--;
            heldBytes -= len;
            deliveredBytes += len;
            if (!discarding) {
                readable.add(p);
                unreadBytes += len;
            }
        }
        if (!heldRanges.isEmpty()) {
            heldRanges.removeBelow(next);
            sackDirty = true;
        }
    }

    /**
     * Drops every frame held at {@code from} or above: the peer's FIN came below them, so
     * they lie beyond the end of its stream. Ordered frames are counted and never
     * delivered; an unordered message there was handed over on arrival, before the FIN
     * said where the stream ends, and only its place is cleared.
     */
    private void dropHeldFrom(long from) {
        for (int i = heldRanges.size() - 1; i >= 0 && heldRanges.end(i) > from; i--) {
            for (long s = Math.max(from, heldRanges.start(i)); s < heldRanges.end(i); s++) {
                Frame f = held.get(s);
                if (f != UNORDERED_DELIVERED) {
                    heldFrames--;
                    heldBytes -= f.payloadLength();
                    droppedPastFin++;
                }
                held.put(s, null);
            }
        }
        heldRanges.removeFrom(from);
        sackDirty = true;
    }

    /**
     * SACK ranges of the frames held above the next expected one, lowest first, at most
     * {@link FrameCodec#MAX_SACK_RANGES}. Lowest first, unlike RFC 2018's most-recent
     * first: when there are more ranges than fit, the sender learns exactly which frames
     * near its window's left edge are missing (the holes that block the window), and
     * frames above the last range stay merely unreported instead of looking lost.
     *
     * @return the ranges as {@code [start, end)} pairs; shared, do not modify
     */
    long[] sackRanges() {
        if (sackDirty) {
            int n = Math.min(heldRanges.size(), FrameCodec.MAX_SACK_RANGES);
            long[] ranges = new long[2 * n];
            for (int i = 0; i < n; i++) {
                ranges[2 * i] = heldRanges.start(i);
                ranges[2 * i + 1] = heldRanges.end(i);
            }
            sackCache = n == 0 ? NO_SACK : ranges;
            sackDirty = false;
        }
        return sackCache;
    }

    /** Copies in-order bytes out; see {@link Engine#read}. */
    int read(byte[] dst, int off, int len) {
        int total = 0;
        while (total < len && !readable.isEmpty()) {
            Frame head = readable.peek();
            int n = Math.min(head.payloadLength() - headOffset, len - total);
            System.arraycopy(head.payloadArray(), head.payloadOffset() + headOffset, dst, off + total, n);
            total += n;
            headOffset += n;
            unreadBytes -= n;
            if (headOffset == head.payloadLength()) {
                readable.poll();
                headOffset = 0;
            }
        }
        if (total == 0 && len > 0 && finReached && readable.isEmpty()) {
            return -1;
        }
        return total;
    }

    /** @return bytes of the next in-order chunk (what is left of it if partly read), or -1 if none */
    int nextChunkLength() {
        Frame p = readable.peek();
        return p == null ? -1 : p.payloadLength() - headOffset;
    }

    /**
     * Like {@link #pollChunk()}, copying the chunk straight into {@code dst} (which has room
     * for it) instead of into an array of its own.
     *
     * @return whether the chunk ended a message
     */
    boolean pollChunkInto(java.nio.ByteBuffer dst) {
        Frame p = readable.poll();
        int n = p.payloadLength() - headOffset;
        dst.put(p.payloadArray(), p.payloadOffset() + headOffset, n);
        headOffset = 0;
        unreadBytes -= n;
        return p.hasFlag(Frame.FLAG_END_OF_MESSAGE);
    }

    /** @return the next in-order chunk (what is left of it if partly read), or null */
    ReceivedChunk pollChunk() {
        Frame p = readable.poll();
        if (p == null) {
            return null;
        }
        byte[] data = headOffset == 0 ? p.payload()
                : Arrays.copyOfRange(p.payloadArray(), p.payloadOffset() + headOffset,
                        p.payloadOffset() + p.payloadLength());
        headOffset = 0;
        unreadBytes -= data.length;
        return new ReceivedChunk(data, p.hasFlag(Frame.FLAG_END_OF_MESSAGE));
    }

    /** @return the oldest unordered message, or null */
    byte[] pollUnordered() {
        byte[] m = unordered.poll();
        if (m != null) {
            unorderedBytes -= m.length;
        }
        return m;
    }

    /** The application reads no more: drop what waits and discard what arrives. */
    void discardFromNowOn() {
        discarding = true;
        readable.clear();
        unordered.clear();
        unorderedBytes = 0;
        headOffset = 0;
        unreadBytes = 0;
    }
}
