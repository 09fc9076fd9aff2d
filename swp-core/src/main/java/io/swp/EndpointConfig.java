package io.swp;

import io.swp.protocol.Demux;
import java.time.Duration;
import java.util.Objects;

/**
 * What tunes an {@link Endpoint} as a whole, as opposed to each of its sessions
 * ({@link SessionConfig}): the accept backlog, how long shutdown lingers, and the bounds
 * of its event loop. Immutable; build one with {@link #builder()} or use {@link #defaults()}.
 */
public final class EndpointConfig {
    /** The default memory budget is the maximum heap divided by this. */
    static final int HEAP_FRACTION = 4;
    /** The default memory budget is never less than this, so a tiny heap still moves data. */
    static final long MIN_DEFAULT_MEMORY_BUDGET = 4L * 1024 * 1024;
    private static final EndpointConfig DEFAULTS = builder().build();

    private final SessionConfig sessionDefaults;
    private final int acceptBacklog;
    private final long shutdownLingerNanos;
    private final int maxQueuedInboundFrames;
    private final long maxQueuedInboundBytes;
    private final int maxFramesPerStep;
    private final int maxSessions;
    private final int maxSessionsPerPeer;
    private final long memoryBudgetBytes;
    private final int repliesPerSecond;
    private final int replyBurst;
    private final long shareIdleNanos;
    private final long shareRotationNanos;

    private EndpointConfig(Builder b) {
        this.sessionDefaults = b.sessionDefaults;
        this.acceptBacklog = b.acceptBacklog;
        this.shutdownLingerNanos = b.shutdownLinger.toNanos();
        this.maxQueuedInboundFrames = b.maxQueuedInboundFrames;
        this.maxQueuedInboundBytes = b.maxQueuedInboundBytes;
        this.maxFramesPerStep = b.maxFramesPerStep;
        this.maxSessions = b.maxSessions;
        this.maxSessionsPerPeer = b.maxSessionsPerPeer;
        this.memoryBudgetBytes = b.memoryBudgetBytes > 0 ? b.memoryBudgetBytes : defaultMemoryBudget();
        this.repliesPerSecond = b.repliesPerSecond;
        this.replyBurst = b.replyBurst;
        this.shareIdleNanos = b.shareIdle.toNanos();
        this.shareRotationNanos = b.shareRotation.toNanos();
    }

    /**
     * @return a quarter of the JVM's maximum heap, at least {@link #MIN_DEFAULT_MEMORY_BUDGET}
     */
    static long defaultMemoryBudget() {
        long max = Runtime.getRuntime().maxMemory();
        long quarter = max == Long.MAX_VALUE ? 1L << 30 : max / HEAP_FRACTION;
        return Math.max(MIN_DEFAULT_MEMORY_BUDGET, quarter);
    }

    /** @return the default configuration */
    public static EndpointConfig defaults() {
        return DEFAULTS;
    }

    /** @return a builder holding the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @param sessionDefaults the configuration of accepted sessions and of connects that name none
     * @return the default endpoint settings with these session defaults
     */
    public static EndpointConfig withSessionDefaults(SessionConfig sessionDefaults) {
        return builder().sessionDefaults(sessionDefaults).build();
    }

    /** @return a builder pre-filled with this configuration */
    public Builder toBuilder() {
        return new Builder()
                .sessionDefaults(sessionDefaults)
                .acceptBacklog(acceptBacklog)
                .shutdownLinger(Duration.ofNanos(shutdownLingerNanos))
                .maxQueuedInboundFrames(maxQueuedInboundFrames)
                .maxQueuedInboundBytes(maxQueuedInboundBytes)
                .maxFramesPerStep(maxFramesPerStep)
                .maxSessions(maxSessions)
                .maxSessionsPerPeer(maxSessionsPerPeer)
                .memoryBudgetBytes(memoryBudgetBytes)
                .replyRateLimit(repliesPerSecond, replyBurst)
                .capacitySharing(Duration.ofNanos(shareIdleNanos), Duration.ofNanos(shareRotationNanos));
    }

    /** @return the configuration of accepted sessions and of connects that name none */
    public SessionConfig sessionDefaults() { return sessionDefaults; }
    /** @return incoming sessions held for {@code accept()}; see {@link Builder#acceptBacklog(int)} */
    public int acceptBacklog() { return acceptBacklog; }
    /** @return how long {@code Endpoint.close()} waits for peers to finish their side, in nanoseconds */
    public long shutdownLingerNanos() { return shutdownLingerNanos; }
    /** @return frames decoded but not yet routed, beyond which arrivals are dropped */
    public int maxQueuedInboundFrames() { return maxQueuedInboundFrames; }
    /** @return the same bound in bytes */
    public long maxQueuedInboundBytes() { return maxQueuedInboundBytes; }
    /** @return frames routed in one loop step before the sessions they touched are serviced */
    public int maxFramesPerStep() { return maxFramesPerStep; }
    /** @return sessions the endpoint holds in all; see {@link Builder#maxSessions(int)} */
    public int maxSessions() { return maxSessions; }
    /** @return sessions the endpoint holds with one peer inbox; see {@link Builder#maxSessionsPerPeer(int)} */
    public int maxSessionsPerPeer() { return maxSessionsPerPeer; }
    /** @return inbound bytes all sessions together may hold; see {@link Builder#memoryBudgetBytes(long)} */
    public long memoryBudgetBytes() { return memoryBudgetBytes; }
    /** @return replies per second to frames that match no session; see {@link Builder#replyRateLimit(int, int)} */
    public int repliesPerSecond() { return repliesPerSecond; }
    /** @return replies to frames that match no session that may go out at once */
    public int replyBurst() { return replyBurst; }
    /** @return how long a session without inbound data keeps an active share; see {@link Builder#capacitySharing} */
    public long shareIdleNanos() { return shareIdleNanos; }
    /** @return how long one round-robin grant lasts; see {@link Builder#capacitySharing} */
    public long shareRotationNanos() { return shareRotationNanos; }

    @Override
    public String toString() {
        return "EndpointConfig{acceptBacklog=" + acceptBacklog + ", shutdownLinger="
                + Duration.ofNanos(shutdownLingerNanos) + ", inboundQueue=" + maxQueuedInboundFrames + " frames/"
                + maxQueuedInboundBytes + " B, framesPerStep=" + maxFramesPerStep + ", sessions=" + sessionDefaults
                + "}";
    }

    /** Builds an {@link EndpointConfig}; every setter documents its default. */
    public static final class Builder {
        private SessionConfig sessionDefaults = SessionConfig.defaults();
        private int acceptBacklog = 128;
        private Duration shutdownLinger = Duration.ofSeconds(4);
        private int maxQueuedInboundFrames = 1 << 16;
        private long maxQueuedInboundBytes = 64L * 1024 * 1024;
        private int maxFramesPerStep = 256;
        private int maxSessions = 16_384;
        private int maxSessionsPerPeer = 4_096;
        private long memoryBudgetBytes;
        private Duration shareIdle = Duration.ofNanos(Demux.DEFAULT_SHARE_IDLE_NANOS);
        private Duration shareRotation = Duration.ofNanos(Demux.DEFAULT_SHARE_ROTATION_NANOS);
        private int repliesPerSecond = Demux.DEFAULT_REPLIES_PER_SECOND;
        private int replyBurst = Demux.DEFAULT_REPLY_BURST;

        private Builder() {
        }

        /**
         * The configuration of accepted sessions, and of {@code connect} calls that name
         * none. Default {@link SessionConfig#defaults()}.
         * @param v the session configuration @return this
         */
        public Builder sessionDefaults(SessionConfig v) {
            this.sessionDefaults = Objects.requireNonNull(v, "sessionDefaults");
            return this;
        }

        /**
         * Incoming sessions (handshaking, or established and not yet taken by
         * {@code accept()}) the endpoint holds; further SYNs are answered with a RESET.
         * Default 128.
         * @param v at least 1 @return this
         */
        public Builder acceptBacklog(int v) {
            this.acceptBacklog = positive(v, "acceptBacklog");
            return this;
        }

        /**
         * How long {@code Endpoint.close()}, once our side of every session is
         * acknowledged, waits for peers to finish theirs (their FIN), so they see a clean
         * close rather than a reset. Zero resets at once. Default 4 s: under loss a
         * peer's FIN may take several retransmissions (from a peer with no RTT sample
         * yet: 0.5 s, 1 s, 2 s apart) to get through, and a peer whose FIN never does is
         * left to time out its own close.
         * @param v zero or positive @return this
         */
        public Builder shutdownLinger(Duration v) {
            Objects.requireNonNull(v, "shutdownLinger");
            if (v.isNegative()) {
                throw new IllegalArgumentException("shutdownLinger must not be negative, got " + v);
            }
            this.shutdownLinger = v;
            return this;
        }

        /**
         * Frames the network delivered that the event loop has not routed yet, beyond
         * which arrivals are dropped and counted: bounds the loop's memory if the network
         * outruns it. Sessions' advertised windows share this room too, after room for
         * three control frames per session (up to half of it; a control frame replaces a
         * waiting one of its session and kind, so an honest peer never has more waiting).
         * Default 65,536.
         * @param v at least 1 @return this
         */
        public Builder maxQueuedInboundFrames(int v) {
            this.maxQueuedInboundFrames = positive(v, "maxQueuedInboundFrames");
            return this;
        }

        /**
         * The same bound in bytes (encoded frame sizes summed). Default 64 MiB.
         * @param v at least 1 @return this
         */
        public Builder maxQueuedInboundBytes(long v) {
            if (v < 1) {
                throw new IllegalArgumentException("maxQueuedInboundBytes must be positive, got " + v);
            }
            this.maxQueuedInboundBytes = v;
            return this;
        }

        /**
         * Frames routed per loop step before the sessions they touched are serviced:
         * large enough to coalesce acknowledgements, small enough that they are not held
         * back for long. Default 256.
         * @param v at least 1 @return this
         */
        public Builder maxFramesPerStep(int v) {
            this.maxFramesPerStep = positive(v, "maxFramesPerStep");
            return this;
        }

        /**
         * Sessions the endpoint holds at once, in every state (TIME_WAIT included):
         * SYNs beyond it are refused with a RESET and connects fail. Bounds what a
         * flood of peers can make the endpoint keep. Default 16,384.
         * @param v at least 1 @return this
         */
        public Builder maxSessions(int v) {
            this.maxSessions = positive(v, "maxSessions");
            return this;
        }

        /**
         * Sessions the endpoint holds with any one peer inbox, so one peer cannot take
         * every slot of {@link #maxSessions(int)}. Default 4,096.
         * @param v at least 1 @return this
         */
        public Builder maxSessionsPerPeer(int v) {
            this.maxSessionsPerPeer = positive(v, "maxSessionsPerPeer");
            return this;
        }

        /**
         * Inbound bytes all of the endpoint's sessions together may hold for their
         * applications: out-of-order and unread data, unordered messages, partly
         * reassembled messages, and sessions not yet accepted, plus frames arrived and
         * not yet routed, and the transport's own receive buffer (what
         * {@code Network.InboxBinding.bufferLimitBytes()} reports, e.g. the NATS client's
         * pending byte limit), which the endpoint subtracts when it binds its inbox (see
         * {@code Endpoint.sessionMemoryBudget()}). The windows the sessions advertise share what is left of it,
         * so peers that respect them can never make the endpoint hold more. Default: a
         * quarter of the JVM's maximum heap ({@code Runtime.maxMemory()}), at least
         * 4 MiB, so a process with a small heap is safe without tuning.
         * @param v at least 1 @return this
         */
        public Builder memoryBudgetBytes(long v) {
            if (v < 1) {
                throw new IllegalArgumentException("memoryBudgetBytes must be positive, got " + v);
            }
            this.memoryBudgetBytes = v;
            return this;
        }

        /**
         * Limits the RESETs sent in answer to frames that match no session (and to refused
         * SYNs), so that a flood of forged frames naming someone else's inbox as
         * {@code from} does not make this endpoint flood that inbox. Beyond the limit such
         * frames are dropped and counted. The stateless SYN_ACKs of SYN cookies count too,
         * so the limit must leave room for legitimate connects during a SYN flood: one
         * reply per frame received, at most this many per second. Default 20,000 per
         * second, bursts of 2,000.
         * @param perSecond at least 1 @param burst at least 1 @return this
         */
        public Builder replyRateLimit(int perSecond, int burst) {
            this.repliesPerSecond = positive(perSecond, "repliesPerSecond");
            this.replyBurst = positive(burst, "replyBurst");
            return this;
        }

        /**
         * Tunes how the receive capacity (the transport's free room and the memory budget)
         * is shared by demand among the sessions (see {@code Demux}): a session whose peer
         * has sent no data for {@code idle} gives its share back, keeping at most one
         * frame, and earns it back with its next data or window probe; when there are
         * fewer free frames than sessions that want one, grants of one frame rotate every
         * {@code rotation}. Defaults: 20 ms and 10 ms.
         * @param idle positive @param rotation positive @return this
         */
        public Builder capacitySharing(Duration idle, Duration rotation) {
            if (idle.isNegative() || idle.isZero() || rotation.isNegative() || rotation.isZero()) {
                throw new IllegalArgumentException("capacity sharing times must be positive, got idle " + idle
                        + " and rotation " + rotation);
            }
            this.shareIdle = idle;
            this.shareRotation = rotation;
            return this;
        }

        /** @return the configuration */
        public EndpointConfig build() {
            return new EndpointConfig(this);
        }

        private static int positive(int v, String name) {
            if (v < 1) {
                throw new IllegalArgumentException(name + " must be positive, got " + v);
            }
            return v;
        }
    }
}
