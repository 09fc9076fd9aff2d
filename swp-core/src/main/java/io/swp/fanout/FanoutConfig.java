package io.swp.fanout;

import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Settings of the one-to-many publisher and receiver state machines; one object serves
 * both sides. Build with {@link #builder()}; every setting has a documented default.
 * Times are in nanoseconds.
 */
public final class FanoutConfig {
    /** Default frames per parity block. */
    public static final int DEFAULT_FEC_BLOCK_FRAMES = 64;
    /** Largest parity block: leaves at least 128 parity rows per block in GF(2^8). */
    public static final int MAX_FEC_BLOCK_FRAMES = 128;
    /** The defaults. */
    public static final FanoutConfig DEFAULTS = builder().build();
    private final int maxPayloadBytes;
    private final int windowFrames;
    private final int backlogFrames;
    private final long backlogBytes;
    private final long heartbeatMinNanos;
    private final long heartbeatMaxNanos;
    private final long nackDelayNanos;
    private final long nackRetryNanos;
    private final long repairAggregationNanos;
    private final double multicastRepairFraction;
    private final int multicastRepairMin;
    private final long maxStallNanos;
    private final long deadReceiverNanos;
    private final long silentPublisherNanos;
    private final long statusIntervalNanos;
    private final long joinRetryNanos;
    private final int maxReceivers;
    private final LateJoin lateJoin;
    private final int fecBlockFrames;

    private FanoutConfig(Builder b) {
        this.maxPayloadBytes = b.maxPayloadBytes;
        this.windowFrames = b.windowFrames;
        this.backlogFrames = b.backlogFrames;
        this.backlogBytes = b.backlogBytes;
        this.heartbeatMinNanos = b.heartbeatMinNanos;
        this.heartbeatMaxNanos = b.heartbeatMaxNanos;
        this.nackDelayNanos = b.nackDelayNanos;
        this.nackRetryNanos = b.nackRetryNanos;
        this.repairAggregationNanos = b.repairAggregationNanos;
        this.multicastRepairFraction = b.multicastRepairFraction;
        this.multicastRepairMin = b.multicastRepairMin;
        this.maxStallNanos = b.maxStallNanos;
        this.deadReceiverNanos = b.deadReceiverNanos;
        this.silentPublisherNanos = b.silentPublisherNanos;
        this.statusIntervalNanos = b.statusIntervalNanos;
        this.joinRetryNanos = b.joinRetryNanos;
        this.maxReceivers = b.maxReceivers;
        this.lateJoin = b.lateJoin;
        this.fecBlockFrames = b.fecBlockFrames;
    }

    /** @return a builder holding the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding this configuration */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxPayloadBytes = maxPayloadBytes;
        b.windowFrames = windowFrames;
        b.backlogFrames = backlogFrames;
        b.backlogBytes = backlogBytes;
        b.heartbeatMinNanos = heartbeatMinNanos;
        b.heartbeatMaxNanos = heartbeatMaxNanos;
        b.nackDelayNanos = nackDelayNanos;
        b.nackRetryNanos = nackRetryNanos;
        b.repairAggregationNanos = repairAggregationNanos;
        b.multicastRepairFraction = multicastRepairFraction;
        b.multicastRepairMin = multicastRepairMin;
        b.maxStallNanos = maxStallNanos;
        b.deadReceiverNanos = deadReceiverNanos;
        b.silentPublisherNanos = silentPublisherNanos;
        b.statusIntervalNanos = statusIntervalNanos;
        b.joinRetryNanos = joinRetryNanos;
        b.maxReceivers = maxReceivers;
        b.lateJoin = lateJoin;
        b.fecBlockFrames = fecBlockFrames;
        return b;
    }

    /** @return largest payload of one DATA frame. Default 32 KiB; the runtime lowers it to what the network carries. */
    public int maxPayloadBytes() {
        return maxPayloadBytes;
    }

    /** @return frames a receiver buffers (out of order and unread) and so advertises as its window. Default 512. */
    public int windowFrames() {
        return windowFrames;
    }

    /** @return frames the publisher keeps for repairs and late joiners. Default 2048. */
    public int backlogFrames() {
        return backlogFrames;
    }

    /** @return payload bytes the publisher keeps for repairs and late joiners. Default 64 MiB. */
    public long backlogBytes() {
        return backlogBytes;
    }

    /** @return first heartbeat interval after data; it doubles up to the maximum. Default 10 ms. */
    public long heartbeatMinNanos() {
        return heartbeatMinNanos;
    }

    /** @return longest heartbeat interval, when nothing is sent. Default 500 ms. */
    public long heartbeatMaxNanos() {
        return heartbeatMaxNanos;
    }

    /** @return how long a receiver waits after it sees a gap before it NACKs it, so reordered frames are not repaired. Default 3 ms. */
    public long nackDelayNanos() {
        return nackDelayNanos;
    }

    /** @return how long a receiver waits for a repair before it NACKs the same frame again. Default 60 ms. */
    public long nackRetryNanos() {
        return nackRetryNanos;
    }

    /** @return how long the publisher collects NACKs of a frame before it repairs it by unicast. Default 3 ms. */
    public long repairAggregationNanos() {
        return repairAggregationNanos;
    }

    /** @return a frame NACKed by at least this fraction of the members (and at least {@link #multicastRepairMin()}) within the aggregation interval is re-published on the subject; otherwise it is sent to each requester. Default 0.15. */
    public double multicastRepairFraction() {
        return multicastRepairFraction;
    }

    /** @return the least number of requesters for a repair on the subject. Default 2. */
    public int multicastRepairMin() {
        return multicastRepairMin;
    }

    /** @return the bound on how long one receiver may hold the stream back (its window closed while data waits) before it is cut off. Default 5 s. */
    public long maxStallNanos() {
        return maxStallNanos;
    }

    /** @return a member not heard from for this long is dropped. Default 10 s. */
    public long deadReceiverNanos() {
        return deadReceiverNanos;
    }

    /** @return a receiver that hears nothing from its publisher for this long fails. Default 10 s. */
    public long silentPublisherNanos() {
        return silentPublisherNanos;
    }

    /** @return longest time a member goes without sending a STATUS (its liveness signal). Default 250 ms. */
    public long statusIntervalNanos() {
        return statusIntervalNanos;
    }

    /** @return interval between JOIN attempts, and between REPORT retries. Default 200 ms. */
    public long joinRetryNanos() {
        return joinRetryNanos;
    }

    /** @return most members a publisher admits. Default 1024. */
    public int maxReceivers() {
        return maxReceivers;
    }

    /** @return where a receiver that joins a stream under way starts. Default {@link LateJoin#FROM_NOW}. */
    public LateJoin lateJoin() {
        return lateJoin;
    }

    /**
     * @return frames per parity block: when several receivers miss frames of a complete
     *     block, the publisher sends parity rows on the subject instead of the frames (0: never)
     */
    public int fecBlockFrames() {
        return fecBlockFrames;
    }

    /** Builds a {@link FanoutConfig}; setters check their argument. */
    public static final class Builder {
        private int maxPayloadBytes = 32 * 1024;
        private int windowFrames = 512;
        private int backlogFrames = 2048;
        private long backlogBytes = 64L * 1024 * 1024;
        private long heartbeatMinNanos = TimeUnit.MILLISECONDS.toNanos(10);
        private long heartbeatMaxNanos = TimeUnit.MILLISECONDS.toNanos(500);
        private long nackDelayNanos = TimeUnit.MILLISECONDS.toNanos(3);
        private long nackRetryNanos = TimeUnit.MILLISECONDS.toNanos(60);
        private long repairAggregationNanos = TimeUnit.MILLISECONDS.toNanos(3);
        private double multicastRepairFraction = 0.15;
        private int multicastRepairMin = 2;
        private long maxStallNanos = TimeUnit.SECONDS.toNanos(5);
        private long deadReceiverNanos = TimeUnit.SECONDS.toNanos(10);
        private long silentPublisherNanos = TimeUnit.SECONDS.toNanos(10);
        private long statusIntervalNanos = TimeUnit.MILLISECONDS.toNanos(250);
        private long joinRetryNanos = TimeUnit.MILLISECONDS.toNanos(200);
        private int maxReceivers = 1024;
        private LateJoin lateJoin = LateJoin.FROM_NOW;
        private int fecBlockFrames = DEFAULT_FEC_BLOCK_FRAMES;

        private Builder() {
        }

        /**
         * Largest payload of one DATA frame. Default 32 KiB; the runtime lowers it to what the network carries.
         *
         * @param maxPayloadBytes the value
         * @return this builder
         */
        public Builder maxPayloadBytes(int maxPayloadBytes) {
            positive(maxPayloadBytes, "maxPayloadBytes");
            this.maxPayloadBytes = maxPayloadBytes;
            return this;
        }

        /**
         * Frames a receiver buffers (out of order and unread) and so advertises as its window. Default 512.
         *
         * @param windowFrames the value
         * @return this builder
         */
        public Builder windowFrames(int windowFrames) {
            positive(windowFrames, "windowFrames");
            this.windowFrames = windowFrames;
            return this;
        }

        /**
         * Frames the publisher keeps for repairs and late joiners. Default 2048.
         *
         * @param backlogFrames the value
         * @return this builder
         */
        public Builder backlogFrames(int backlogFrames) {
            positive(backlogFrames, "backlogFrames");
            this.backlogFrames = backlogFrames;
            return this;
        }

        /**
         * Payload bytes the publisher keeps for repairs and late joiners. Default 64 MiB.
         *
         * @param backlogBytes the value
         * @return this builder
         */
        public Builder backlogBytes(long backlogBytes) {
            positive(backlogBytes, "backlogBytes");
            this.backlogBytes = backlogBytes;
            return this;
        }

        /**
         * First heartbeat interval after data; it doubles up to the maximum. Default 10 ms.
         *
         * @param heartbeatMinNanos the value
         * @return this builder
         */
        public Builder heartbeatMinNanos(long heartbeatMinNanos) {
            positive(heartbeatMinNanos, "heartbeatMinNanos");
            this.heartbeatMinNanos = heartbeatMinNanos;
            return this;
        }

        /**
         * Longest heartbeat interval, when nothing is sent. Default 500 ms.
         *
         * @param heartbeatMaxNanos the value
         * @return this builder
         */
        public Builder heartbeatMaxNanos(long heartbeatMaxNanos) {
            positive(heartbeatMaxNanos, "heartbeatMaxNanos");
            this.heartbeatMaxNanos = heartbeatMaxNanos;
            return this;
        }

        /**
         * How long a receiver waits after it sees a gap before it NACKs it, so reordered frames are not repaired. Default 3 ms.
         *
         * @param nackDelayNanos the value
         * @return this builder
         */
        public Builder nackDelayNanos(long nackDelayNanos) {
            positive(nackDelayNanos, "nackDelayNanos");
            this.nackDelayNanos = nackDelayNanos;
            return this;
        }

        /**
         * How long a receiver waits for a repair before it NACKs the same frame again. Default 60 ms.
         *
         * @param nackRetryNanos the value
         * @return this builder
         */
        public Builder nackRetryNanos(long nackRetryNanos) {
            positive(nackRetryNanos, "nackRetryNanos");
            this.nackRetryNanos = nackRetryNanos;
            return this;
        }

        /**
         * How long the publisher collects NACKs of a frame before it repairs it by unicast. Default 3 ms.
         *
         * @param repairAggregationNanos the value
         * @return this builder
         */
        public Builder repairAggregationNanos(long repairAggregationNanos) {
            positive(repairAggregationNanos, "repairAggregationNanos");
            this.repairAggregationNanos = repairAggregationNanos;
            return this;
        }

        /**
         * A frame NACKed by at least this fraction of the members (and at least {@link #multicastRepairMin()}) within the aggregation interval is re-published on the subject; otherwise it is sent to each requester. Default 0.15.
         *
         * @param multicastRepairFraction the value
         * @return this builder
         */
        public Builder multicastRepairFraction(double multicastRepairFraction) {
            fraction(multicastRepairFraction, "multicastRepairFraction");
            this.multicastRepairFraction = multicastRepairFraction;
            return this;
        }

        /**
         * The least number of requesters for a repair on the subject. Default 2.
         *
         * @param multicastRepairMin the value
         * @return this builder
         */
        public Builder multicastRepairMin(int multicastRepairMin) {
            positive(multicastRepairMin, "multicastRepairMin");
            this.multicastRepairMin = multicastRepairMin;
            return this;
        }

        /**
         * The bound on how long one receiver may hold the stream back (its window closed while data waits) before it is cut off. Default 5 s.
         *
         * @param maxStallNanos the value
         * @return this builder
         */
        public Builder maxStallNanos(long maxStallNanos) {
            positive(maxStallNanos, "maxStallNanos");
            this.maxStallNanos = maxStallNanos;
            return this;
        }

        /**
         * A member not heard from for this long is dropped. Default 10 s.
         *
         * @param deadReceiverNanos the value
         * @return this builder
         */
        public Builder deadReceiverNanos(long deadReceiverNanos) {
            positive(deadReceiverNanos, "deadReceiverNanos");
            this.deadReceiverNanos = deadReceiverNanos;
            return this;
        }

        /**
         * A receiver that hears nothing from its publisher for this long fails. Default 10 s.
         *
         * @param silentPublisherNanos the value
         * @return this builder
         */
        public Builder silentPublisherNanos(long silentPublisherNanos) {
            positive(silentPublisherNanos, "silentPublisherNanos");
            this.silentPublisherNanos = silentPublisherNanos;
            return this;
        }

        /**
         * Longest time a member goes without sending a STATUS (its liveness signal). Default 250 ms.
         *
         * @param statusIntervalNanos the value
         * @return this builder
         */
        public Builder statusIntervalNanos(long statusIntervalNanos) {
            positive(statusIntervalNanos, "statusIntervalNanos");
            this.statusIntervalNanos = statusIntervalNanos;
            return this;
        }

        /**
         * Interval between JOIN attempts, and between REPORT retries. Default 200 ms.
         *
         * @param joinRetryNanos the value
         * @return this builder
         */
        public Builder joinRetryNanos(long joinRetryNanos) {
            positive(joinRetryNanos, "joinRetryNanos");
            this.joinRetryNanos = joinRetryNanos;
            return this;
        }

        /**
         * Most members a publisher admits. Default 1024.
         *
         * @param maxReceivers the value
         * @return this builder
         */
        public Builder maxReceivers(int maxReceivers) {
            positive(maxReceivers, "maxReceivers");
            this.maxReceivers = maxReceivers;
            return this;
        }

        /**
         * Where a receiver that joins a stream under way starts. Default {@link LateJoin#FROM_NOW}.
         *
         * @param lateJoin the value
         * @return this builder
         */
        public Builder lateJoin(LateJoin lateJoin) {
            Objects.requireNonNull(lateJoin, "lateJoin");
            this.lateJoin = lateJoin;
            return this;
        }

        /**
         * Frames per parity block. When at least {@link #multicastRepairMin} receivers miss
         * frames of a block whose frames are all published and held, the publisher sends as
         * many parity rows on the subject as the neediest of them misses, instead of the
         * frames themselves: each row repairs a different loss at every receiver. 0 turns
         * parity off (repairs are then always the frames). Default 64; at most 128.
         *
         * @param fecBlockFrames 0, or 2 to 128
         * @return this builder
         */
        public Builder fecBlockFrames(int fecBlockFrames) {
            if (fecBlockFrames != 0 && (fecBlockFrames < 2 || fecBlockFrames > MAX_FEC_BLOCK_FRAMES)) {
                throw new IllegalArgumentException("fecBlockFrames must be 0 or 2 to " + MAX_FEC_BLOCK_FRAMES
                        + ", got " + fecBlockFrames);
            }
            this.fecBlockFrames = fecBlockFrames;
            return this;
        }

        /**
         * @return the configuration
         * @throws IllegalArgumentException if settings contradict each other
         */
        public FanoutConfig build() {
            if (heartbeatMaxNanos < heartbeatMinNanos) {
                throw new IllegalArgumentException("heartbeatMaxNanos below heartbeatMinNanos");
            }
            if (maxStallNanos < 2 * statusIntervalNanos) {
                // Otherwise one lost STATUS after a receiver caught up could cut it off.
                throw new IllegalArgumentException("maxStallNanos must be at least twice statusIntervalNanos");
            }
            if (backlogFrames < windowFrames) {
                throw new IllegalArgumentException("backlogFrames must be at least windowFrames");
            }
            if (maxPayloadBytes > FanoutCodec.MAX_PAYLOAD_BYTES) {
                throw new IllegalArgumentException("maxPayloadBytes above " + FanoutCodec.MAX_PAYLOAD_BYTES);
            }
            return new FanoutConfig(this);
        }

        private static void positive(long v, String name) {
            if (v <= 0) {
                throw new IllegalArgumentException(name + " must be positive, got " + v);
            }
        }

        private static void fraction(double v, String name) {
            if (!(v > 0 && v <= 1)) {
                throw new IllegalArgumentException(name + " must be in (0, 1], got " + v);
            }
        }
    }
}
