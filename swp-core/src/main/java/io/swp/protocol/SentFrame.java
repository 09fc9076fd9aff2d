package io.swp.protocol;

import java.util.Arrays;

/**
 * One sequenced frame (DATA or FIN) on the send side, from the moment it is queued until
 * the peer acknowledges it cumulatively: its payload and its scoreboard entry (send
 * times, retransmissions, SACKed, queued for retransmission).
 */
final class SentFrame {
    /** Sequence number. */
    final long seq;
    /** DATA or FIN. */
    final FrameKind kind;
    /** Frame flags ({@link Frame#FLAG_END_OF_MESSAGE}, {@link Frame#FLAG_UNORDERED}). */
    int flags;
    /** Payload storage; only the first {@link #length} bytes are meaningful until sent. */
    private byte[] payload;
    /** Payload bytes held. */
    int length;
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

    SentFrame(long seq, FrameKind kind, int flags, byte[] payload, int length) {
        this.seq = seq;
        this.kind = kind;
        this.flags = flags;
        this.payload = payload;
        this.length = length;
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
        if (length + n > payload.length) {
            int capacity = Math.max(length + n, Math.min(maxPayload, Math.max(16, payload.length * 2)));
            payload = Arrays.copyOf(payload, capacity);
        }
        System.arraycopy(src, off, payload, length, n);
        length += n;
        return n;
    }

    /** @return the payload trimmed to its length (trims the storage once, when first sent) */
    byte[] payload() {
        if (payload.length != length) {
            payload = Arrays.copyOf(payload, length);
        }
        return payload;
    }
}
