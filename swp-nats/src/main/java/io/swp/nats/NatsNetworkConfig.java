package io.swp.nats;

import java.time.Duration;

/**
 * Tunables of a {@link NatsNetwork} and of the jnats connection it opens itself, with
 * documented defaults. Immutable; build one with {@link #builder()} or use
 * {@link #defaults()}.
 */
public final class NatsNetworkConfig {
    /** Default of {@link Builder#pendingMessageLimit(long)}. */
    public static final long DEFAULT_PENDING_MESSAGE_LIMIT = 65_536;
    /**
     * Default of {@link Builder#pendingByteLimit(long)} in a JVM with a heap of 1 GiB or
     * more: 64 MiB. Below that the default is a sixteenth of the heap (at least 1 MiB),
     * a quarter of an endpoint's default memory budget, which counts it.
     */
    public static final long DEFAULT_PENDING_BYTE_LIMIT = 64L * 1024 * 1024;
    /** The smallest default pending byte limit, whatever the heap. */
    private static final long MIN_DEFAULT_PENDING_BYTE_LIMIT = 1024L * 1024;
    /** The default pending byte limit is at most this fraction of the maximum heap. */
    private static final int HEAP_FRACTION = 16;
    /** Default of {@link Builder#headerRoomBytes(int)}. */
    public static final int DEFAULT_HEADER_ROOM_BYTES = 1024;
    /** Default of {@link Builder#connectTimeout(Duration)}. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** Default of {@link Builder#reconnectWait(Duration)}. */
    public static final Duration DEFAULT_RECONNECT_WAIT = Duration.ofMillis(250);
    /** Default of {@link Builder#reconnectBufferBytes(long)}: 16 MiB. */
    public static final long DEFAULT_RECONNECT_BUFFER_BYTES = 16L * 1024 * 1024;
    /** Default of {@link Builder#pingInterval(Duration)}. */
    public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(5);
    /** Default of {@link Builder#maxPingsOut(int)}. */
    public static final int DEFAULT_MAX_PINGS_OUT = 3;
    /** Payload limit assumed until a server has said otherwise (the NATS default, 1 MiB). */
    public static final long DEFAULT_SERVER_MAX_PAYLOAD = 1024L * 1024;

    private static final NatsNetworkConfig DEFAULTS = builder().build();

    private final long pendingMessageLimit;
    private final long pendingByteLimit;
    private final int headerRoomBytes;
    private final Duration connectTimeout;
    private final Duration reconnectWait;
    private final long reconnectBufferBytes;
    private final Duration pingInterval;
    private final int maxPingsOut;

    private NatsNetworkConfig(Builder b) {
        this.pendingMessageLimit = b.pendingMessageLimit;
        this.pendingByteLimit = b.pendingByteLimit;
        this.headerRoomBytes = b.headerRoomBytes;
        this.connectTimeout = b.connectTimeout;
        this.reconnectWait = b.reconnectWait;
        this.reconnectBufferBytes = b.reconnectBufferBytes;
        this.pingInterval = b.pingInterval;
        this.maxPingsOut = b.maxPingsOut;
    }

    /** @return the default configuration */
    public static NatsNetworkConfig defaults() {
        return DEFAULTS;
    }

    /** @return a builder holding the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return frames the shared dispatcher may hold before jnats drops; see {@link Builder#pendingMessageLimit(long)} */
    public long pendingMessageLimit() { return pendingMessageLimit; }
    /** @return bytes the shared dispatcher may hold before jnats drops; see {@link Builder#pendingByteLimit(long)} */
    public long pendingByteLimit() { return pendingByteLimit; }
    /** @return bytes kept free below the server's max payload; see {@link Builder#headerRoomBytes(int)} */
    public int headerRoomBytes() { return headerRoomBytes; }
    /** @return bound on one connect attempt; see {@link Builder#connectTimeout(Duration)} */
    public Duration connectTimeout() { return connectTimeout; }
    /** @return pause between reconnect rounds; see {@link Builder#reconnectWait(Duration)} */
    public Duration reconnectWait() { return reconnectWait; }
    /** @return bytes buffered while disconnected; see {@link Builder#reconnectBufferBytes(long)} */
    public long reconnectBufferBytes() { return reconnectBufferBytes; }
    /** @return interval of client pings; see {@link Builder#pingInterval(Duration)} */
    public Duration pingInterval() { return pingInterval; }
    /** @return unanswered pings before the connection is considered stale; see {@link Builder#maxPingsOut(int)} */
    public int maxPingsOut() { return maxPingsOut; }

    @Override
    public String toString() {
        return "NatsNetworkConfig{pending=" + pendingMessageLimit + " msgs/" + pendingByteLimit + " B, headerRoom="
                + headerRoomBytes + " B, connectTimeout=" + connectTimeout + ", reconnectWait=" + reconnectWait
                + ", reconnectBuffer=" + reconnectBufferBytes + " B, ping=" + pingInterval + " x" + maxPingsOut + "}";
    }

    /** @return the default pending byte limit in this JVM (see {@link #DEFAULT_PENDING_BYTE_LIMIT}) */
    static long defaultPendingByteLimit() {
        long max = Runtime.getRuntime().maxMemory();
        if (max == Long.MAX_VALUE) {
            return DEFAULT_PENDING_BYTE_LIMIT;
        }
        return Math.max(MIN_DEFAULT_PENDING_BYTE_LIMIT, Math.min(DEFAULT_PENDING_BYTE_LIMIT, max / HEAP_FRACTION));
    }

    /** Builds a {@link NatsNetworkConfig}; every setter documents its default. */
    public static final class Builder {
        private long pendingMessageLimit = DEFAULT_PENDING_MESSAGE_LIMIT;
        private long pendingByteLimit = defaultPendingByteLimit();
        private int headerRoomBytes = DEFAULT_HEADER_ROOM_BYTES;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration reconnectWait = DEFAULT_RECONNECT_WAIT;
        private long reconnectBufferBytes = DEFAULT_RECONNECT_BUFFER_BYTES;
        private Duration pingInterval = DEFAULT_PING_INTERVAL;
        private int maxPingsOut = DEFAULT_MAX_PINGS_OUT;

        private Builder() {
        }

        /**
         * Frames the shared jnats dispatcher may hold undelivered before it drops arrivals
         * as a slow consumer. Set explicitly on the dispatcher (jnats' own default is
         * 524,288) and reported, minus what is pending, as {@code freeFrames()}.
         * Default {@value #DEFAULT_PENDING_MESSAGE_LIMIT}.
         *
         * @param frames a positive count
         * @return this builder
         */
        public Builder pendingMessageLimit(long frames) {
            this.pendingMessageLimit = requirePositive(frames, "pendingMessageLimit");
            return this;
        }

        /**
         * Bytes the shared jnats dispatcher may hold undelivered before it drops arrivals.
         * Reported, minus what is pending, as {@code freeBytes()}, and as a whole as
         * {@code bufferLimitBytes()}, which an endpoint subtracts from its memory budget
         * (a publisher can fill it whatever the windows say). Default 64 MiB, or a
         * sixteenth of the maximum heap if that is less (at least 1 MiB), so that with
         * the endpoint's default budget (a quarter of the heap) a small heap is safe
         * without tuning.
         *
         * @param bytes a positive count
         * @return this builder
         */
        public Builder pendingByteLimit(long bytes) {
            this.pendingByteLimit = requirePositive(bytes, "pendingByteLimit");
            return this;
        }

        /**
         * Bytes kept free below the server's advertised max payload when computing
         * {@code maxFrameSize()}, so that a server which counts protocol headers against
         * the payload limit never rejects a frame. Default {@value #DEFAULT_HEADER_ROOM_BYTES}.
         *
         * @param bytes zero or more
         * @return this builder
         */
        public Builder headerRoomBytes(int bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("headerRoomBytes must be >= 0, was " + bytes);
            }
            this.headerRoomBytes = bytes;
            return this;
        }

        /**
         * Bound on one attempt to connect to one server, so a wrong address or a silent
         * host fails with an IOException instead of hanging. Default 5 s.
         *
         * @param timeout a positive duration
         * @return this builder
         */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = requirePositive(timeout, "connectTimeout");
            return this;
        }

        /**
         * Pause between rounds of reconnect attempts over the server list. Reconnect
         * attempts are unlimited: a server restart or node failure stalls sessions, it
         * does not end them. Default 250 ms.
         *
         * @param wait a positive duration
         * @return this builder
         */
        public Builder reconnectWait(Duration wait) {
            this.reconnectWait = requirePositive(wait, "reconnectWait");
            return this;
        }

        /**
         * Bytes jnats buffers for publishing while disconnected; frames beyond it are
         * dropped (and later retransmitted by swp). Default 16 MiB.
         *
         * @param bytes a positive count
         * @return this builder
         */
        public Builder reconnectBufferBytes(long bytes) {
            this.reconnectBufferBytes = requirePositive(bytes, "reconnectBufferBytes");
            return this;
        }

        /**
         * Interval of client pings, which find a dead connection the socket does not
         * report. Default 5 s.
         *
         * @param interval a positive duration
         * @return this builder
         */
        public Builder pingInterval(Duration interval) {
            this.pingInterval = requirePositive(interval, "pingInterval");
            return this;
        }

        /**
         * Unanswered pings after which jnats drops the connection and reconnects.
         * Default {@value #DEFAULT_MAX_PINGS_OUT}.
         *
         * @param pings a positive count
         * @return this builder
         */
        public Builder maxPingsOut(int pings) {
            this.maxPingsOut = (int) requirePositive(pings, "maxPingsOut");
            return this;
        }

        /** @return the configuration */
        public NatsNetworkConfig build() {
            return new NatsNetworkConfig(this);
        }

        private static long requirePositive(long value, String name) {
            if (value <= 0) {
                throw new IllegalArgumentException(name + " must be > 0, was " + value);
            }
            return value;
        }

        private static Duration requirePositive(Duration value, String name) {
            if (value == null || value.isZero() || value.isNegative()) {
                throw new IllegalArgumentException(name + " must be a positive duration, was " + value);
            }
            return value;
        }
    }
}
