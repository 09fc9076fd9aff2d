package io.swp.protocol;

import java.util.zip.CRC32C;

/**
 * One sequenced frame (DATA or FIN) on the send side, from the moment it is queued until
 * the peer acknowledges it cumulatively: its payload and its scoreboard entry (send
 * times, retransmissions, SACKed, queued for retransmission).
 *
 * <p>Stream DATA of some size is stored frame-shaped ({@link FrameLayout}): free bytes,
 * the payload, free bytes, so that its first transmission can write the header and CRC
 * around the payload and hand this very array to the network (see
 * {@link FrameCodec#encodeInPlace}) instead of copying the payload into a new frame.
 * From then on the array belongs to the network too and is never written again
 * ({@link #handedOver}); retransmissions encode a copy.
 */
final class SentFrame {
    private static final byte[] NO_BYTES = new byte[0];
    /** Sequence number. */
    final long seq;
    /** DATA or FIN. */
    final FrameKind kind;
    /** Frame flags ({@link Frame#FLAG_END_OF_MESSAGE}, {@link Frame#FLAG_UNORDERED}). */
    int flags;
    /** Payload storage: the payload sits at {@link #headroom}; its capacity may exceed {@link #length} until sent. */
    private byte[] storage;
    /** How the storage is laid out when it holds enough. */
    private final FrameLayout layout;
    /** Free bytes before the payload in {@link #storage}. */
    private int headroom;
    /** Free bytes after the payload's capacity in {@link #storage}. */
    private int tail;
    /** Payload bytes held. */
    int length;
    /**
     * CRC32C of the payload while it has room around it, kept up by each append right after
     * its copy, while the bytes are still in the writer's cache: the sending loop then
     * checksums only the header ({@link FrameCodec#encodeInPlace}); null when stored bare.
     */
    private CRC32C payloadCrc;
    /** Whether {@link #storage} went to the network as a frame: nothing may write it any more. */
    private boolean handedOver;
    /** When it was first sent; meaningless before. */
    long firstSentAt;
    /** When it was last sent (first or retransmitted). */
    long lastSentAt;
    /** How often it was sent again. */
    int retransmits;
    /** Whether the peer reported it in a SACK range. */
    boolean sacked;
    /** Whether its latest send counts in {@link SendBuffer#pipeBytes()}. */
    boolean inPipe;
    /** Whether it sits in the engine's retransmission queue. */
    boolean queuedForRetransmit;
    /** Whether it was declared lost by SACK/time evidence rather than the RTO. */
    boolean lostByEvidence;
    /** How many frames above it were SACKed when it was declared lost (its reordering distance). */
    int sackedAboveWhenLost;

    /** A frame whose payload is the whole of {@code payload}, stored as is. */
    SentFrame(long seq, FrameKind kind, int flags, byte[] payload) {
        this.seq = seq;
        this.kind = kind;
        this.flags = flags;
        this.layout = FrameLayout.BARE;
        this.storage = payload;
        this.length = payload.length;
    }

    /** A DATA frame holding a copy of {@code src[off, off + len)}, stored as {@code layout} says. */
    SentFrame(long seq, FrameLayout layout, byte[] src, int off, int len) {
        this.seq = seq;
        this.kind = FrameKind.DATA;
        this.layout = layout;
        this.storage = NO_BYTES;
        append(src, off, len, len);
    }

    /**
     * Replaces the storage with room for {@code capacity} payload bytes, whose first
     * {@code n} are copied from {@code src[srcOff, srcOff + n)}. The copy goes into the new
     * array before anything else sees it, so the JIT may leave unzeroed the bytes it
     * overwrites: for a full 16 KiB frame that is most of the allocation's cost.
     */
    private void replaceStorage(int capacity, byte[] src, int srcOff, int n) {
        boolean room = layout.roomFor(capacity);
        int newHeadroom = room ? layout.headroom() : 0;
        int newTail = room ? layout.tail() : 0;
        byte[] fresh = new byte[newHeadroom + capacity + newTail];
        System.arraycopy(src, srcOff, fresh, newHeadroom, n);
        storage = fresh;
        headroom = newHeadroom;
        tail = newTail;
    }

    /** @return whether more bytes may still be appended: unsent plain stream DATA below the limit */
    boolean canAppend(int maxPayload) {
        return kind == FrameKind.DATA && (flags & (Frame.FLAG_END_OF_MESSAGE | Frame.FLAG_UNORDERED)) == 0
                && length < maxPayload;
    }

    /**
     * Appends bytes, growing the storage geometrically so that many tiny writes into one
     * frame cost amortised O(1) per byte.
     *
     * @return how many were appended (at most {@code maxPayload - length})
     */
    int append(byte[] src, int off, int len, int maxPayload) {
        int n = Math.min(len, maxPayload - length);
        int capacity = capacity();
        if (capacity == 0 && n > 0 && !handedOver) {
            fillFresh(src, off, n, Math.max(n, Math.min(maxPayload, 16)));
            return n;
        }
        if (length + n > capacity) {
            resize(Math.max(length + n, Math.min(maxPayload, Math.max(16, capacity * 2))));
        }
        System.arraycopy(src, off, storage, headroom + length, n);
        if (payloadCrc != null) {
            payloadCrc.update(storage, headroom + length, n);
        }
        length += n;
        return n;
    }

    /** The first bytes of a frame with no storage yet, copied straight into its new storage. */
    private void fillFresh(byte[] src, int off, int n, int capacity) {
        int oldHeadroom = headroom;
        replaceStorage(capacity, src, off, n);
        length = n;
        followCrc(oldHeadroom);
    }

    private int capacity() {
        return storage.length - headroom - tail;
    }

    private void resize(int capacity) {
        if (handedOver) {
            throw new IllegalStateException("frame " + seq + " was handed to the network");
        }
        int oldHeadroom = headroom;
        replaceStorage(capacity, storage, headroom, length);
        followCrc(oldHeadroom);
    }

    /**
     * After new storage: a frame without headroom is encoded by copy and keeps no running
     * CRC; one that just gained headroom starts it over the payload so far.
     */
    private void followCrc(int oldHeadroom) {
        if (headroom == 0) {
            payloadCrc = null;
        } else if (oldHeadroom == 0) {
            payloadCrc = new CRC32C();
            payloadCrc.update(storage, headroom, length);
        }
    }

    /**
     * @return the storage, its capacity trimmed to the payload (once, when first sent), so
     *     that the payload is at {@link #payloadOffset()} and the array ends {@code tail}
     *     bytes after it
     */
    byte[] storage() {
        if (capacity() != length) {
            resize(length);
        }
        return storage;
    }

    /** @return where the payload starts in {@link #storage()} */
    int payloadOffset() {
        return headroom;
    }

    /** @return whether the storage may still be encoded in place: it never went to the network */
    boolean inPlaceAllowed() {
        return !handedOver && headroom > 0;
    }

    /** @return the payload's CRC32C; only while {@link #inPlaceAllowed()} */
    int payloadCrc() {
        return (int) payloadCrc.getValue();
    }

    /** Notes that the storage went to the network as a frame and must stay as it is. */
    void handOver() {
        handedOver = true;
        payloadCrc = null;
    }
}
