package io.swp.protocol;

import java.util.Arrays;
import java.util.Objects;

/**
 * One frame of the swp protocol, decoded. Every frame carries the full header: it is
 * cheap in MessagePack (small integers take one byte) and it keeps the engine free of
 * per-kind special cases.
 *
 * <p>Sequence numbers count frames, not bytes: every {@link FrameKind#DATA} and
 * {@link FrameKind#FIN} frame takes the next one. {@link #ack()} is cumulative: every
 * sequence number below it has been received. {@link #sackRanges()} lists further
 * received blocks above it as {@code [start, end)} pairs.
 *
 * <p>Instances are immutable by contract; the arrays handed in are not copied, so callers
 * must not modify them afterwards.
 */
public final class Frame {
    /** Flag: this DATA frame ends an application message. */
    public static final int FLAG_END_OF_MESSAGE = 1;
    /**
     * Flag: this DATA frame is a complete message for unordered, as-soon-as-possible
     * delivery; it is handed to the application on first arrival and skipped by the
     * ordered stream.
     */
    public static final int FLAG_UNORDERED = 1 << 1;
    /**
     * Flag: this KEEPALIVE is a window probe, sent while data waits for the peer's window.
     * The peer's share policy counts it as demand; a liveness KEEPALIVE from a peer with
     * nothing to send is not, so idle sessions do not earn and lose a share (and send a
     * window update each time) at every keepalive.
     */
    public static final int FLAG_WANTS_WINDOW = 1 << 2;
    /** All flags this version understands; a frame with others set is rejected. */
    public static final int KNOWN_FLAGS = FLAG_END_OF_MESSAGE | FLAG_UNORDERED | FLAG_WANTS_WINDOW;

    private static final long[] NO_SACK = new long[0];
    private static final byte[] NO_PAYLOAD = new byte[0];

    private final FrameKind kind;
    private final int flags;
    private final String from;
    private final String to;
    private final long srcNonce;
    private final long dstNonce;
    private final long seq;
    private final long ack;
    private final long[] sackRanges;
    private final int windowFrames;
    private final long windowBytes;
    private final long tsVal;
    private final long tsEcr;
    /** Holds the payload at [payloadOffset, payloadOffset + payloadLength): a decoded frame shares its frame. */
    private final byte[] payload;
    private final int payloadOffset;
    private final int payloadLength;

    private Frame(Builder b) {
        this.kind = Objects.requireNonNull(b.kind, "kind");
        this.flags = b.flags;
        this.from = Objects.requireNonNull(b.from, "from");
        this.to = Objects.requireNonNull(b.to, "to");
        this.srcNonce = b.srcNonce;
        this.dstNonce = b.dstNonce;
        this.seq = b.seq;
        this.ack = b.ack;
        this.sackRanges = b.sackRanges == null ? NO_SACK : b.sackRanges;
        this.windowFrames = b.windowFrames;
        this.windowBytes = b.windowBytes;
        this.tsVal = b.tsVal;
        this.tsEcr = b.tsEcr;
        this.payload = b.payload == null ? NO_PAYLOAD : b.payload;
        this.payloadOffset = b.payload == null ? 0 : b.payloadOffset;
        this.payloadLength = b.payload == null ? 0 : b.payloadLength;
        if ((sackRanges.length & 1) != 0) {
            throw new IllegalArgumentException("sack ranges come in [start, end) pairs");
        }
    }

    /** @return a new builder for a frame of the given kind */
    public static Builder builder(FrameKind kind) {
        return new Builder(kind);
    }

    /** @return what this frame is for */
    public FrameKind kind() { return kind; }
    /** @return the flag bits ({@link #FLAG_END_OF_MESSAGE}, {@link #FLAG_UNORDERED}, {@link #FLAG_WANTS_WINDOW}) */
    public int flags() { return flags; }
    /** @return whether the given flag is set */
    public boolean hasFlag(int flag) { return (flags & flag) != 0; }
    /** @return the sender's inbox: where replies go */
    public String from() { return from; }
    /** @return the inbox this frame was sent to */
    public String to() { return to; }
    /** @return the sender's session nonce */
    public long srcNonce() { return srcNonce; }
    /** @return the receiver's session nonce as the sender knows it (0 in a SYN) */
    public long dstNonce() { return dstNonce; }
    /** @return this frame's sequence number (meaningful for DATA and FIN) */
    public long seq() { return seq; }
    /** @return the cumulative acknowledgement: all sequence numbers below it were received */
    public long ack() { return ack; }
    /** @return received blocks above {@link #ack()}, as {@code [start, end)} pairs; do not modify */
    public long[] sackRanges() { return sackRanges; }
    /** @return how many more frames the sender of this frame can buffer */
    public int windowFrames() { return windowFrames; }
    /** @return how many more payload bytes the sender of this frame can buffer */
    public long windowBytes() { return windowBytes; }
    /** @return the sender's clock when it sent this frame (nanoseconds, its own origin) */
    public long tsVal() { return tsVal; }
    /** @return the latest {@link #tsVal()} the sender received from us, echoed back */
    public long tsEcr() { return tsEcr; }
    /**
     * @return the payload as an array of exactly its length; for a frame that shares a
     *     received frame ({@link FrameCodec#decodeOwned(byte[])}) this is a copy, so hot
     *     paths use {@link #payloadLength()} and the package's view accessors instead
     */
    public byte[] payload() {
        if (payloadOffset == 0 && payloadLength == payload.length) {
            return payload;
        }
        return Arrays.copyOfRange(payload, payloadOffset, payloadOffset + payloadLength);
    }

    /** @return the payload's length in bytes */
    public int payloadLength() { return payloadLength; }

    /** @return the array holding the payload, possibly with other bytes around it; never modify it */
    byte[] payloadArray() { return payload; }

    /** @return where the payload starts in {@link #payloadArray()} */
    int payloadOffset() { return payloadOffset; }

    /** @return a builder pre-filled with this frame's fields */
    public Builder toBuilder() {
        return new Builder(kind).flags(flags).from(from).to(to).srcNonce(srcNonce)
                .dstNonce(dstNonce).seq(seq).ack(ack).sackRanges(sackRanges)
                .window(windowFrames, windowBytes).tsVal(tsVal).tsEcr(tsEcr).payloadView(payload, payloadOffset, payloadLength);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Frame)) {
            return false;
        }
        Frame p = (Frame) o;
        return kind == p.kind && flags == p.flags && srcNonce == p.srcNonce
                && dstNonce == p.dstNonce && seq == p.seq && ack == p.ack
                && windowFrames == p.windowFrames && windowBytes == p.windowBytes
                && tsVal == p.tsVal && tsEcr == p.tsEcr && from.equals(p.from) && to.equals(p.to)
                && Arrays.equals(sackRanges, p.sackRanges)
                && Arrays.equals(payload, payloadOffset, payloadOffset + payloadLength,
                        p.payload, p.payloadOffset, p.payloadOffset + p.payloadLength);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, from, to, srcNonce, dstNonce, seq, ack);
    }

    @Override
    public String toString() {
        return kind + "{" + from + "->" + to + " nonce=" + Long.toHexString(srcNonce) + "/"
                + Long.toHexString(dstNonce) + " seq=" + seq + " ack=" + ack
                + (sackRanges.length > 0 ? " sack=" + Arrays.toString(sackRanges) : "")
                + " win=" + windowFrames + "/" + windowBytes + " flags=" + flags
                + " len=" + payloadLength + "}";
    }

    /** Assembles a {@link Frame}; unset numeric fields are zero. */
    public static final class Builder {
        private final FrameKind kind;
        private int flags;
        private String from = "";
        private String to = "";
        private long srcNonce;
        private long dstNonce;
        private long seq;
        private long ack;
        private long[] sackRanges;
        private int windowFrames;
        private long windowBytes;
        private long tsVal;
        private long tsEcr;
        private byte[] payload;
        private int payloadOffset;
        private int payloadLength;

        private Builder(FrameKind kind) {
            this.kind = kind;
        }

        /** @param v flag bits @return this */
        public Builder flags(int v) { this.flags = v; return this; }
        /** @param v sender's inbox @return this */
        public Builder from(String v) { this.from = v; return this; }
        /** @param v destination inbox @return this */
        public Builder to(String v) { this.to = v; return this; }
        /** @param v sender's nonce @return this */
        public Builder srcNonce(long v) { this.srcNonce = v; return this; }
        /** @param v receiver's nonce @return this */
        public Builder dstNonce(long v) { this.dstNonce = v; return this; }
        /** @param v sequence number @return this */
        public Builder seq(long v) { this.seq = v; return this; }
        /** @param v cumulative ack @return this */
        public Builder ack(long v) { this.ack = v; return this; }
        /** @param v SACK ranges as [start, end) pairs (not copied) @return this */
        public Builder sackRanges(long[] v) { this.sackRanges = v; return this; }
        /** @param messages free frames @param bytes free bytes @return this */
        public Builder window(int messages, long bytes) {
            this.windowFrames = messages;
            this.windowBytes = bytes;
            return this;
        }
        /** @param v send timestamp @return this */
        public Builder tsVal(long v) { this.tsVal = v; return this; }
        /** @param v echoed timestamp @return this */
        public Builder tsEcr(long v) { this.tsEcr = v; return this; }
        /** @param v payload (not copied) @return this */
        public Builder payload(byte[] v) {
            return payloadView(v, 0, v == null ? 0 : v.length);
        }

        /** Shares part of {@code array} as the payload (not copied; it must not change afterwards). */
        Builder payloadView(byte[] array, int offset, int length) {
            if (array != null) {
                Objects.checkFromIndexSize(offset, length, array.length);
            }
            this.payload = array;
            this.payloadOffset = offset;
            this.payloadLength = length;
            return this;
        }

        /** @return the frame */
        public Frame build() {
            return new Frame(this);
        }
    }
}
