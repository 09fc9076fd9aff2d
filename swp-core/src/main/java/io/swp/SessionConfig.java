package io.swp;

import io.swp.protocol.EngineConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything that tunes a session, with documented defaults. Immutable; build one with
 * {@link #builder()} or use {@link #defaults()}. The protocol engine and the runtime
 * both read it.
 *
 * <p>Durations are kept as nanoseconds internally because the engine's clock is a
 * nanosecond count.
 */
public final class SessionConfig {
    private static final SessionConfig DEFAULTS = builder().build();

    private final int windowFrames;
    private final long windowBytes;
    private final long sendBufferBytes;
    private final int maxPayloadBytes;
    private final long initialRtoNanos;
    private final long minRtoNanos;
    private final long maxRtoNanos;
    private final int ackEveryFrames;
    private final long ackDelayNanos;
    private final long keepaliveIntervalNanos;
    private final int failedKeepalivesBeforeClose;
    private final long unackedTimeoutNanos;
    private final int maxRetransmitsPerFrame;
    private final long connectTimeoutNanos;
    private final long timeWaitNanos;
    private final int maxMessageBytes;
    private final int unorderedQueueLimit;
    private final long closeTimeoutNanos;
    private final long partialMessageTimeoutNanos;
    private final EngineConfig engineConfig;

    private SessionConfig(Builder b) {
        this.windowFrames = b.windowFrames;
        this.windowBytes = b.windowBytes;
        this.sendBufferBytes = b.sendBufferBytes;
        this.maxPayloadBytes = b.maxPayloadBytes;
        this.initialRtoNanos = b.initialRto.toNanos();
        this.minRtoNanos = b.minRto.toNanos();
        this.maxRtoNanos = b.maxRto.toNanos();
        this.ackEveryFrames = b.ackEveryFrames;
        this.ackDelayNanos = b.ackDelay.toNanos();
        this.keepaliveIntervalNanos = b.keepaliveInterval.toNanos();
        this.failedKeepalivesBeforeClose = b.failedKeepalivesBeforeClose;
        this.unackedTimeoutNanos = b.unackedTimeout.toNanos();
        this.maxRetransmitsPerFrame = b.maxRetransmitsPerFrame;
        this.connectTimeoutNanos = b.connectTimeout.toNanos();
        this.timeWaitNanos = b.timeWait.toNanos();
        this.maxMessageBytes = b.maxMessageBytes;
        this.unorderedQueueLimit = b.unorderedQueueLimit;
        this.closeTimeoutNanos = b.closeTimeout.toNanos();
        this.partialMessageTimeoutNanos = b.partialMessageTimeout.toNanos();
        this.engineConfig = new EngineConfig(windowFrames, windowBytes, sendBufferBytes, maxPayloadBytes,
                initialRtoNanos, minRtoNanos, maxRtoNanos, ackEveryFrames, ackDelayNanos, keepaliveIntervalNanos,
                deadPeerNanos(), unackedTimeoutNanos, maxRetransmitsPerFrame, connectTimeoutNanos, timeWaitNanos,
                closeTimeoutNanos, unorderedQueueLimit);
    }

    /** @return the default configuration */
    public static SessionConfig defaults() {
        return DEFAULTS;
    }

    /** @return a builder holding the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder pre-filled with this configuration */
    public Builder toBuilder() {
        return new Builder()
                .windowFrames(windowFrames)
                .windowBytes(windowBytes)
                .sendBufferBytes(sendBufferBytes)
                .maxPayloadBytes(maxPayloadBytes)
                .initialRto(Duration.ofNanos(initialRtoNanos))
                .minRto(Duration.ofNanos(minRtoNanos))
                .maxRto(Duration.ofNanos(maxRtoNanos))
                .ackEveryFrames(ackEveryFrames)
                .ackDelay(Duration.ofNanos(ackDelayNanos))
                .keepaliveInterval(Duration.ofNanos(keepaliveIntervalNanos))
                .failedKeepalivesBeforeClose(failedKeepalivesBeforeClose)
                .unackedTimeout(Duration.ofNanos(unackedTimeoutNanos))
                .maxRetransmitsPerFrame(maxRetransmitsPerFrame)
                .connectTimeout(Duration.ofNanos(connectTimeoutNanos))
                .timeWait(Duration.ofNanos(timeWaitNanos))
                .maxMessageBytes(maxMessageBytes)
                .unorderedQueueLimit(unorderedQueueLimit)
                .closeTimeout(Duration.ofNanos(closeTimeoutNanos))
                .partialMessageTimeout(Duration.ofNanos(partialMessageTimeoutNanos));
    }

    /** @return receive window in frames; see {@link Builder#windowFrames(int)} */
    public int windowFrames() { return windowFrames; }
    /** @return receive window in payload bytes; see {@link Builder#windowBytes(long)} */
    public long windowBytes() { return windowBytes; }
    /** @return send buffer in bytes; see {@link Builder#sendBufferBytes(long)} */
    public long sendBufferBytes() { return sendBufferBytes; }
    /** @return largest payload per frame; see {@link Builder#maxPayloadBytes(int)} */
    public int maxPayloadBytes() { return maxPayloadBytes; }
    /** @return initial retransmission timeout in nanoseconds */
    public long initialRtoNanos() { return initialRtoNanos; }
    /** @return retransmission timeout floor in nanoseconds */
    public long minRtoNanos() { return minRtoNanos; }
    /** @return retransmission timeout ceiling in nanoseconds */
    public long maxRtoNanos() { return maxRtoNanos; }
    /** @return acknowledge at least every this many in-order frames */
    public int ackEveryFrames() { return ackEveryFrames; }
    /** @return longest delay of an acknowledgement, in nanoseconds */
    public long ackDelayNanos() { return ackDelayNanos; }
    /** @return keepalive interval in nanoseconds */
    public long keepaliveIntervalNanos() { return keepaliveIntervalNanos; }
    /** @return unanswered keepalive intervals before the peer is declared dead; -1 never */
    public int failedKeepalivesBeforeClose() { return failedKeepalivesBeforeClose; }
    /** @return how long data may stay unacknowledged before the session fails; 0 never */
    public long unackedTimeoutNanos() { return unackedTimeoutNanos; }
    /** @return retransmissions of one frame before the session fails; 0 unlimited */
    public int maxRetransmitsPerFrame() { return maxRetransmitsPerFrame; }
    /** @return how long connect waits for the handshake, in nanoseconds */
    public long connectTimeoutNanos() { return connectTimeoutNanos; }
    /** @return how long a closed session lingers to absorb late duplicates, in nanoseconds */
    public long timeWaitNanos() { return timeWaitNanos; }
    /** @return the largest message the message API sends or accepts */
    public int maxMessageBytes() { return maxMessageBytes; }
    /** @return how long a partly received message may go without progress, in nanoseconds; 0 never ends it */
    public long partialMessageTimeoutNanos() { return partialMessageTimeoutNanos; }
    /** @return unordered messages held for the application before the oldest are dropped */
    public int unorderedQueueLimit() { return unorderedQueueLimit; }
    /** @return how long a graceful close waits for our data to be acknowledged, in nanoseconds */
    public long closeTimeoutNanos() { return closeTimeoutNanos; }

    /**
     * @return the protocol engine's part of this configuration
     */
    public EngineConfig engineConfig() {
        return engineConfig;
    }

    /**
     * @return the time after which a silent peer is declared dead, in nanoseconds, or
     *     {@code Long.MAX_VALUE} if dead-peer detection is disabled
     */
    public long deadPeerNanos() {
        if (failedKeepalivesBeforeClose < 0) {
            return Long.MAX_VALUE;
        }
        long failures = Math.max(1, failedKeepalivesBeforeClose);
        // Saturates: a wrapped (negative) bound would declare every peer dead at once.
        return keepaliveIntervalNanos > Long.MAX_VALUE / failures ? Long.MAX_VALUE
                : keepaliveIntervalNanos * failures;
    }

    @Override
    public String toString() {
        return "SessionConfig{window=" + windowFrames + " frames/" + windowBytes + " B, sendBuffer="
                + sendBufferBytes + " B, maxPayload=" + maxPayloadBytes + " B, rto=" + Duration.ofNanos(minRtoNanos)
                + ".." + Duration.ofNanos(maxRtoNanos) + " (initial " + Duration.ofNanos(initialRtoNanos)
                + "), ackEvery=" + ackEveryFrames + ", ackDelay=" + Duration.ofNanos(ackDelayNanos)
                + ", keepalive=" + Duration.ofNanos(keepaliveIntervalNanos) + " x" + failedKeepalivesBeforeClose
                + ", connectTimeout=" + Duration.ofNanos(connectTimeoutNanos) + "}";
    }

    /** Builds a {@link SessionConfig}; every setter documents its default. */
    public static final class Builder {
        private int windowFrames = 1024;
        private long windowBytes = 16L * 1024 * 1024;
        private long sendBufferBytes = 16L * 1024 * 1024;
        private int maxPayloadBytes = 16 * 1024;
        private Duration initialRto = Duration.ofMillis(500);
        private Duration minRto = Duration.ofMillis(20);
        private Duration maxRto = Duration.ofSeconds(5);
        private int ackEveryFrames = 32;
        private Duration ackDelay = Duration.ofMillis(5);
        private Duration keepaliveInterval = Duration.ofSeconds(1);
        private int failedKeepalivesBeforeClose = 50;
        private Duration unackedTimeout = Duration.ZERO;
        private int maxRetransmitsPerFrame = 0;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration timeWait = Duration.ofSeconds(2);
        private int maxMessageBytes = 64 * 1024 * 1024;
        private int unorderedQueueLimit = 1024;
        private Duration closeTimeout = Duration.ofSeconds(30);
        private Duration partialMessageTimeout = Duration.ofSeconds(60);

        private Builder() {
        }

        /**
         * Receive window in frames: how many frames this side buffers (out of order or
         * unread) and so the most the peer may have in flight. Default 1024, at most
         * {@link EngineConfig#MAX_WINDOW_FRAMES} (65,536): one frame from the peer at the
         * far edge of the window makes the receive ring as large as the window.
         * @param v 1 .. 65,536 @return this
         */
        public Builder windowFrames(int v) {
            if (v < 1 || v > EngineConfig.MAX_WINDOW_FRAMES) {
                throw new IllegalArgumentException("windowFrames must be 1.." + EngineConfig.MAX_WINDOW_FRAMES
                        + ", got " + v);
            }
            this.windowFrames = v;
            return this;
        }

        /**
         * Receive window in payload bytes. Default 16 MiB.
         * @param v at least 1 @return this
         */
        public Builder windowBytes(long v) { this.windowBytes = positive(v, "windowBytes"); return this; }

        /**
         * Send buffer in bytes: unacknowledged plus not yet sent data. Writes block (or
         * return 0 from the engine) when it is full. Default 16 MiB.
         * @param v at least 1 @return this
         */
        public Builder sendBufferBytes(long v) { this.sendBufferBytes = positive(v, "sendBufferBytes"); return this; }

        /**
         * Largest payload per frame; the runtime lowers it to what the network carries.
         * It is also the largest payload accepted: a frame from the peer with a larger
         * one is dropped and counted before anything of it is buffered, so both ends
         * must use the same value (or the receiving end a larger one). Default 16 KiB.
         * @param v 1 .. 16 MiB @return this
         */
        public Builder maxPayloadBytes(int v) {
            if (v < 1 || v > 16 * 1024 * 1024) {
                throw new IllegalArgumentException("maxPayloadBytes must be 1..16 MiB, got " + v);
            }
            this.maxPayloadBytes = v;
            return this;
        }

        /**
         * Retransmission timeout before any RTT sample (RFC 6298 §2.1 says 1 s; a bus is
         * faster). Default 500 ms.
         * @param v positive @return this
         */
        public Builder initialRto(Duration v) { this.initialRto = positive(v, "initialRto"); return this; }

        /**
         * Floor of the retransmission timeout (RFC 6298 §2.4). Default 20 ms.
         * @param v positive @return this
         */
        public Builder minRto(Duration v) { this.minRto = positive(v, "minRto"); return this; }

        /**
         * Ceiling of the retransmission timeout, also the cap of exponential backoff
         * (RFC 6298 §2.5). Default 5 s.
         * @param v positive @return this
         */
        public Builder maxRto(Duration v) { this.maxRto = positive(v, "maxRto"); return this; }

        /**
         * Acknowledge at least every this many in-order frames, and at least eight times a
         * window ({@code windowFrames / 8} caps it); gaps are acknowledged at once. Default
         * 32: the sender has no congestion window to clock, and each acknowledgement is a
         * message through the bus and several thread wake-ups on both ends.
         * @param v at least 1 @return this
         */
        public Builder ackEveryFrames(int v) { this.ackEveryFrames = positive(v, "ackEveryFrames"); return this; }

        /**
         * Longest an acknowledgement is delayed waiting for more frames. Keep it well
         * below {@link #minRto(Duration)}. Default 5 ms.
         * @param v zero or positive @return this
         */
        public Builder ackDelay(Duration v) { this.ackDelay = nonNegative(v, "ackDelay"); return this; }

        /**
         * Interval of keepalives on a quiet session. Default 1 s.
         * @param v positive @return this
         */
        public Builder keepaliveInterval(Duration v) { this.keepaliveInterval = positive(v, "keepaliveInterval"); return this; }

        /**
         * After this many keepalive intervals without hearing from the peer the session
         * closes as dead; -1 disables. Default 50 (as go-sliding-window).
         * @param v -1 or at least 1 @return this
         */
        public Builder failedKeepalivesBeforeClose(int v) {
            if (v != -1 && v < 1) {
                throw new IllegalArgumentException("failedKeepalivesBeforeClose must be -1 or >= 1, got " + v);
            }
            this.failedKeepalivesBeforeClose = v;
            return this;
        }

        /**
         * The session fails when data stays unacknowledged this long. Zero disables.
         * Default zero (dead-peer detection still applies).
         * @param v zero or positive @return this
         */
        public Builder unackedTimeout(Duration v) { this.unackedTimeout = nonNegative(v, "unackedTimeout"); return this; }

        /**
         * The session fails when one frame has been retransmitted this many times. Zero
         * disables. Default zero.
         * @param v zero or positive @return this
         */
        public Builder maxRetransmitsPerFrame(int v) {
            if (v < 0) {
                throw new IllegalArgumentException("maxRetransmitsPerFrame must be >= 0, got " + v);
            }
            this.maxRetransmitsPerFrame = v;
            return this;
        }

        /**
         * How long a connect waits for the handshake before failing; an accepting side
         * likewise drops a handshake not completed this long after the SYN. Default 10 s.
         * @param v positive @return this
         */
        public Builder connectTimeout(Duration v) { this.connectTimeout = positive(v, "connectTimeout"); return this; }

        /**
         * How long a closed session keeps answering late duplicates (TIME-WAIT). Default 2 s.
         * @param v zero or positive @return this
         */
        public Builder timeWait(Duration v) { this.timeWait = nonNegative(v, "timeWait"); return this; }

        /**
         * Largest message the message API sends or accepts. Default 64 MiB.
         * @param v at least 1 @return this
         */
        public Builder maxMessageBytes(int v) { this.maxMessageBytes = positive(v, "maxMessageBytes"); return this; }

        /**
         * Unordered (as-soon-as-possible) messages held for the application before the
         * oldest are dropped and counted. Default 1024.
         * @param v at least 1 @return this
         */
        public Builder unorderedQueueLimit(int v) { this.unorderedQueueLimit = positive(v, "unorderedQueueLimit"); return this; }

        /**
         * How long a graceful {@code Session.close()} waits for everything it sent, FIN
         * included, to be acknowledged before it aborts the session and fails. Default 30 s.
         * @param v positive @return this
         */
        public Builder closeTimeout(Duration v) { this.closeTimeout = positive(v, "closeTimeout"); return this; }

        /**
         * How long a message partly received by the message API ({@code Session.receiveMessage})
         * may go without a further chunk from the peer before the session is aborted, so a
         * peer that sends part of a large message and then only keepalives cannot hold it
         * (up to {@link #maxMessageBytes(int)}) for ever. Time while received chunks wait
         * for the application to take them does not count. Zero disables. Default 60 s.
         * @param v zero or positive @return this
         */
        public Builder partialMessageTimeout(Duration v) {
            this.partialMessageTimeout = nonNegative(v, "partialMessageTimeout");
            return this;
        }



        /** @return the configuration */
        public SessionConfig build() {
            if (minRto.compareTo(maxRto) > 0) {
                throw new IllegalArgumentException("minRto " + minRto + " exceeds maxRto " + maxRto);
            }
            return new SessionConfig(this);
        }

        private static int positive(int v, String name) {
            if (v < 1) {
                throw new IllegalArgumentException(name + " must be positive, got " + v);
            }
            return v;
        }

        private static long positive(long v, String name) {
            if (v < 1) {
                throw new IllegalArgumentException(name + " must be positive, got " + v);
            }
            return v;
        }

        private static Duration positive(Duration v, String name) {
            Objects.requireNonNull(v, name);
            if (v.isNegative() || v.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, got " + v);
            }
            return v;
        }

        private static Duration nonNegative(Duration v, String name) {
            Objects.requireNonNull(v, name);
            if (v.isNegative()) {
                throw new IllegalArgumentException(name + " must not be negative, got " + v);
            }
            return v;
        }
    }
}
