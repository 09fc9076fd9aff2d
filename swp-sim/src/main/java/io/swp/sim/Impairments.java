package io.swp.sim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What one direction of a link does to the frames offered to it. Immutable; build one with
 * {@link #builder()}; {@link #NONE} is a perfect link. {@link ImpairmentModel} applies it.
 *
 * <p>Every impairment is off by default. They are applied to each offered frame in this
 * order: the drop list, black holes, random loss, Gilbert-Elliott bursty loss, the
 * bandwidth queue (tail drop), then for each copy that survives: corruption, latency and
 * jitter, reordering; duplication adds a second copy. Jitter alone never reorders frames
 * (a single path is FIFO); only the reordering rate does.
 */
public final class Impairments {
    /** A link that delivers every frame at once, intact, in order. */
    public static final Impairments NONE = builder().build();

    private final double lossRate;
    private final GilbertElliott gilbertElliott;
    private final long latencyNanos;
    private final long jitterNanos;
    private final double reorderRate;
    private final long reorderMaxDelayNanos;
    private final double duplicateRate;
    private final long duplicateMaxDelayNanos;
    private final double corruptRate;
    private final int corruptMaxBits;
    private final long bandwidthBitsPerSecond;
    private final long queueLimitBytes;
    private final List<BlackHole> blackHoles;
    private final List<FrameRange> dropList;

    private Impairments(Builder b) {
        this.lossRate = b.lossRate;
        this.gilbertElliott = b.gilbertElliott;
        this.latencyNanos = b.latency.toNanos();
        this.jitterNanos = b.jitter.toNanos();
        this.reorderRate = b.reorderRate;
        this.reorderMaxDelayNanos = b.reorderMaxDelay.toNanos();
        this.duplicateRate = b.duplicateRate;
        this.duplicateMaxDelayNanos = b.duplicateMaxDelay.toNanos();
        this.corruptRate = b.corruptRate;
        this.corruptMaxBits = b.corruptMaxBits;
        this.bandwidthBitsPerSecond = b.bandwidthBitsPerSecond;
        this.queueLimitBytes = b.queueLimitBytes;
        this.blackHoles = List.copyOf(b.blackHoles);
        this.dropList = List.copyOf(b.dropList);
    }

    /** @return a builder holding the defaults (a perfect link) */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder pre-filled with these impairments */
    public Builder toBuilder() {
        Builder b = new Builder()
                .lossRate(lossRate)
                .latency(Duration.ofNanos(latencyNanos))
                .jitter(Duration.ofNanos(jitterNanos))
                .reorder(reorderRate, Duration.ofNanos(reorderMaxDelayNanos))
                .duplicate(duplicateRate, Duration.ofNanos(duplicateMaxDelayNanos))
                .corrupt(corruptRate, corruptMaxBits)
                .bandwidth(bandwidthBitsPerSecond, queueLimitBytes);
        b.gilbertElliott = gilbertElliott;
        b.blackHoles.addAll(blackHoles);
        b.dropList.addAll(dropList);
        return b;
    }

    /** @return probability that a frame is lost independently of all others */
    public double lossRate() { return lossRate; }
    /** @return the bursty loss model, or null if off */
    public GilbertElliott gilbertElliott() { return gilbertElliott; }
    /** @return fixed one-way delay, nanoseconds */
    public long latencyNanos() { return latencyNanos; }
    /** @return largest extra random delay, nanoseconds (uniform in [0, jitter]) */
    public long jitterNanos() { return jitterNanos; }
    /** @return probability that a frame is held back so later frames overtake it */
    public double reorderRate() { return reorderRate; }
    /** @return largest hold-back of a reordered frame, nanoseconds */
    public long reorderMaxDelayNanos() { return reorderMaxDelayNanos; }
    /** @return probability that a frame is delivered twice */
    public double duplicateRate() { return duplicateRate; }
    /** @return largest delay of a duplicate after the original, nanoseconds */
    public long duplicateMaxDelayNanos() { return duplicateMaxDelayNanos; }
    /** @return probability that a delivered copy has bits flipped */
    public double corruptRate() { return corruptRate; }
    /** @return most bits flipped in a corrupted copy (at least one is) */
    public int corruptMaxBits() { return corruptMaxBits; }
    /** @return link rate in bits per second, 0 for unlimited */
    public long bandwidthBitsPerSecond() { return bandwidthBitsPerSecond; }
    /** @return bytes the bandwidth queue holds before it drops arriving frames */
    public long queueLimitBytes() { return queueLimitBytes; }
    /** @return the black holes (partitions) of this direction */
    public List<BlackHole> blackHoles() { return blackHoles; }
    /** @return ranges of frame indices (1-based, in offer order) that are always dropped */
    public List<FrameRange> dropList() { return dropList; }

    /** @return the long-run fraction of frames lost by random and bursty loss together */
    public double meanLossRate() {
        double burst = gilbertElliott == null ? 0 : gilbertElliott.meanLossRate();
        return 1 - (1 - lossRate) * (1 - burst);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Impairments{");
        if (lossRate > 0) s.append("loss=").append(lossRate).append(' ');
        if (gilbertElliott != null) s.append(gilbertElliott).append(' ');
        if (latencyNanos > 0) s.append("latency=").append(Duration.ofNanos(latencyNanos)).append(' ');
        if (jitterNanos > 0) s.append("jitter=").append(Duration.ofNanos(jitterNanos)).append(' ');
        if (reorderRate > 0) s.append("reorder=").append(reorderRate).append('/')
                .append(Duration.ofNanos(reorderMaxDelayNanos)).append(' ');
        if (duplicateRate > 0) s.append("dup=").append(duplicateRate).append(' ');
        if (corruptRate > 0) s.append("corrupt=").append(corruptRate).append(' ');
        if (bandwidthBitsPerSecond > 0) s.append("bw=").append(bandwidthBitsPerSecond).append("bit/s queue=")
                .append(queueLimitBytes).append("B ");
        if (!blackHoles.isEmpty()) s.append("blackHoles=").append(blackHoles).append(' ');
        if (!dropList.isEmpty()) s.append("drop=").append(dropList).append(' ');
        if (s.charAt(s.length() - 1) == ' ') s.setLength(s.length() - 1);
        return s.append('}').toString();
    }

    /**
     * Two-state Gilbert-Elliott loss: the link moves between a good and a bad state, and
     * loses frames with a state-dependent probability. Losses cluster in bursts whose mean
     * length is {@code 1 / pBadToGood} frames.
     *
     * <p>The chain takes one step per offered frame. With {@code stepNanos > 0} it also
     * takes one step per {@code stepNanos} of time that passes between frames, so that a
     * burst lasts a bounded time even when frames are sparse (a handshake retried with
     * backoff otherwise meets one burst for tens of seconds, which real bursty links do
     * not do). With {@code stepNanos == 0} it steps only per frame, the classic model.
     *
     * @param pGoodToBad probability of moving from good to bad at a step
     * @param pBadToGood probability of moving from bad to good at a step
     * @param lossInGood loss probability while good
     * @param lossInBad loss probability while bad
     * @param stepNanos time that counts as one more step between frames; 0 for per frame only
     */
    public record GilbertElliott(double pGoodToBad, double pBadToGood, double lossInGood, double lossInBad,
                                 long stepNanos) {
        /** Checks every probability is in [0, 1] and the chain can leave the bad state. */
        public GilbertElliott {
            probability(pGoodToBad, "pGoodToBad");
            probability(pBadToGood, "pBadToGood");
            probability(lossInGood, "lossInGood");
            probability(lossInBad, "lossInBad");
            if (pBadToGood == 0) {
                throw new IllegalArgumentException("pBadToGood must be positive or the link never recovers");
            }
            if (stepNanos < 0) {
                throw new IllegalArgumentException("stepNanos must not be negative, got " + stepNanos);
            }
        }

        /**
         * A chain that steps once per frame only.
         *
         * @param pGoodToBad probability of moving from good to bad at a frame
         * @param pBadToGood probability of moving from bad to good at a frame
         * @param lossInGood loss probability while good
         * @param lossInBad loss probability while bad
         */
        public GilbertElliott(double pGoodToBad, double pBadToGood, double lossInGood, double lossInBad) {
            this(pGoodToBad, pBadToGood, lossInGood, lossInBad, 0);
        }

        /**
         * The classic Gilbert model, stepping per frame: the good state loses nothing, the
         * bad state loses everything.
         *
         * @param meanLossRate long-run fraction of frames lost, in [0, 1)
         * @param meanBurstLength mean number of consecutive frames lost, at least 1
         * @return the model
         */
        public static GilbertElliott of(double meanLossRate, double meanBurstLength) {
            return of(meanLossRate, meanBurstLength, Duration.ZERO);
        }

        /**
         * The classic Gilbert model that also steps once per {@code step} of time between
         * frames (see the class comment).
         *
         * @param meanLossRate long-run fraction of frames lost, in [0, 1)
         * @param meanBurstLength mean number of consecutive frames lost in back-to-back traffic, at least 1
         * @param step time that counts as a step; zero for per frame only
         * @return the model
         */
        public static GilbertElliott of(double meanLossRate, double meanBurstLength, Duration step) {
            if (meanLossRate < 0 || meanLossRate >= 1) {
                throw new IllegalArgumentException("meanLossRate must be in [0, 1), got " + meanLossRate);
            }
            if (meanBurstLength < 1) {
                throw new IllegalArgumentException("meanBurstLength must be >= 1, got " + meanBurstLength);
            }
            double r = 1 / meanBurstLength;
            double p = meanLossRate * r / (1 - meanLossRate);
            return new GilbertElliott(Math.min(1, p), r, 0, 1, step.toNanos());
        }

        /**
         * @param steps how many steps the chain takes
         * @param fromBad whether it starts in the bad state
         * @return the probability of being in the bad state afterwards
         */
        public double badProbabilityAfter(long steps, boolean fromBad) {
            // A two-state chain forgets its start geometrically: the deviation from the
            // stationary probability shrinks by (1 - p - r) per step.
            double stationary = badStateFraction();
            double deviation = (fromBad ? 1 : 0) - stationary;
            return stationary + deviation * Math.pow(1 - pGoodToBad - pBadToGood, steps);
        }

        /** @return the fraction of time spent in the bad state in the long run */
        public double badStateFraction() {
            return pGoodToBad / (pGoodToBad + pBadToGood);
        }

        /** @return the long-run fraction of frames lost */
        public double meanLossRate() {
            double bad = badStateFraction();
            return bad * lossInBad + (1 - bad) * lossInGood;
        }
    }

    /**
     * A span (or a repeating span) during which the link swallows every frame offered.
     * Times are measured from the model's origin.
     *
     * @param startNanos when the first span begins
     * @param durationNanos how long each span lasts
     * @param periodNanos distance between span starts, 0 for a single span
     */
    public record BlackHole(long startNanos, long durationNanos, long periodNanos) {
        /** Checks the span is well formed. */
        public BlackHole {
            if (startNanos < 0 || durationNanos < 0 || periodNanos < 0) {
                throw new IllegalArgumentException("black hole times must not be negative");
            }
            if (periodNanos != 0 && durationNanos > periodNanos) {
                throw new IllegalArgumentException("black hole longer than its period");
            }
        }

        /**
         * @param start when it begins, from the origin
         * @param duration how long it lasts
         * @return a single span
         */
        public static BlackHole once(Duration start, Duration duration) {
            return new BlackHole(start.toNanos(), duration.toNanos(), 0);
        }

        /**
         * @param start when it begins, from the origin
         * @return a span that never ends
         */
        public static BlackHole forever(Duration start) {
            return new BlackHole(start.toNanos(), Long.MAX_VALUE - start.toNanos(), 0);
        }

        /**
         * E.g. {@code every(5 s, 2 s, 3 s)}: swallow everything for 2 s every 5 s, from 3 s on.
         *
         * @param period distance between span starts
         * @param duration how long each span lasts
         * @param start when the first span begins, from the origin
         * @return a repeating span
         */
        public static BlackHole every(Duration period, Duration duration, Duration start) {
            return new BlackHole(start.toNanos(), duration.toNanos(), period.toNanos());
        }

        /**
         * @param sinceOrigin time since the model's origin
         * @return whether the link swallows frames at that time
         */
        public boolean isActive(long sinceOrigin) {
            if (sinceOrigin < startNanos) {
                return false;
            }
            long into = sinceOrigin - startNanos;
            if (periodNanos > 0) {
                into %= periodNanos;
            }
            return into < durationNanos;
        }
    }

    /**
     * Frames {@code first..last} (inclusive, 1-based, counted in the order they are
     * offered to the link) that are always dropped.
     *
     * @param first first index dropped
     * @param last last index dropped
     */
    public record FrameRange(long first, long last) {
        /** Checks the range is well formed. */
        public FrameRange {
            if (first < 1 || last < first) {
                throw new IllegalArgumentException("frame range must be 1 <= first <= last, got " + first + ".." + last);
            }
        }

        /** @param index a 1-based frame index @return whether it is in the range */
        public boolean contains(long index) {
            return index >= first && index <= last;
        }
    }

    /** Builds {@link Impairments}; every setter documents its default. */
    public static final class Builder {
        private double lossRate;
        private GilbertElliott gilbertElliott;
        private Duration latency = Duration.ZERO;
        private Duration jitter = Duration.ZERO;
        private double reorderRate;
        private Duration reorderMaxDelay = Duration.ofMillis(10);
        private double duplicateRate;
        private Duration duplicateMaxDelay = Duration.ofMillis(5);
        private double corruptRate;
        private int corruptMaxBits = 8;
        private long bandwidthBitsPerSecond;
        private long queueLimitBytes = 1024 * 1024;
        private final List<BlackHole> blackHoles = new ArrayList<>();
        private final List<FrameRange> dropList = new ArrayList<>();

        private Builder() {
        }

        /** Independent random loss. Default 0. @param p probability in [0, 1] @return this */
        public Builder lossRate(double p) { this.lossRate = probability(p, "lossRate"); return this; }

        /** Bursty loss on top of {@link #lossRate}. Default off. @param ge the model, or null @return this */
        public Builder gilbertElliott(GilbertElliott ge) { this.gilbertElliott = ge; return this; }

        /** Fixed one-way delay. Default 0. @param d zero or positive @return this */
        public Builder latency(Duration d) { this.latency = nonNegative(d, "latency"); return this; }

        /** Largest extra random delay per frame (uniform). Default 0. @param d zero or positive @return this */
        public Builder jitter(Duration d) { this.jitter = nonNegative(d, "jitter"); return this; }

        /**
         * Reordering: a chosen frame is held back by a random delay in (0, maxDelay] and
         * later frames may overtake it. Default rate 0, max delay 10 ms.
         * @param rate probability in [0, 1] @param maxDelay positive @return this
         */
        public Builder reorder(double rate, Duration maxDelay) {
            this.reorderRate = probability(rate, "reorderRate");
            this.reorderMaxDelay = positive(maxDelay, "reorderMaxDelay");
            return this;
        }

        /** Reordering with the current max delay. @param rate probability in [0, 1] @return this */
        public Builder reorderRate(double rate) { this.reorderRate = probability(rate, "reorderRate"); return this; }

        /**
         * Duplication: a second copy arrives up to maxDelay after the original. Default
         * rate 0, max delay 5 ms.
         * @param rate probability in [0, 1] @param maxDelay positive @return this
         */
        public Builder duplicate(double rate, Duration maxDelay) {
            this.duplicateRate = probability(rate, "duplicateRate");
            this.duplicateMaxDelay = positive(maxDelay, "duplicateMaxDelay");
            return this;
        }

        /** Duplication with the current max delay. @param rate probability in [0, 1] @return this */
        public Builder duplicateRate(double rate) { this.duplicateRate = probability(rate, "duplicateRate"); return this; }

        /**
         * Corruption: a delivered copy gets 1..maxBits random bits flipped. Default rate
         * 0, at most 8 bits.
         * @param rate probability in [0, 1] @param maxBits at least 1 @return this
         */
        public Builder corrupt(double rate, int maxBits) {
            this.corruptRate = probability(rate, "corruptRate");
            if (maxBits < 1) {
                throw new IllegalArgumentException("corruptMaxBits must be >= 1, got " + maxBits);
            }
            this.corruptMaxBits = maxBits;
            return this;
        }

        /** Corruption with the current bit count. @param rate probability in [0, 1] @return this */
        public Builder corruptRate(double rate) { this.corruptRate = probability(rate, "corruptRate"); return this; }

        /**
         * A serialising link of the given rate in front of the latency, with a FIFO queue
         * that drops arriving frames when it holds more than queueLimitBytes (tail drop).
         * Default unlimited rate (0) and a 1 MiB queue.
         * @param bitsPerSecond 0 (unlimited) or positive @param queueLimitBytes positive @return this
         */
        public Builder bandwidth(long bitsPerSecond, long queueLimitBytes) {
            if (bitsPerSecond < 0) {
                throw new IllegalArgumentException("bandwidth must not be negative, got " + bitsPerSecond);
            }
            if (queueLimitBytes < 1) {
                throw new IllegalArgumentException("queueLimitBytes must be positive, got " + queueLimitBytes);
            }
            this.bandwidthBitsPerSecond = bitsPerSecond;
            this.queueLimitBytes = queueLimitBytes;
            return this;
        }

        /** Adds a black hole (partition). Default none. @param hole the span @return this */
        public Builder blackHole(BlackHole hole) { this.blackHoles.add(Objects.requireNonNull(hole)); return this; }

        /**
         * Always drops frames {@code first..last} (1-based, inclusive, in offer order).
         * Default none.
         * @param first first index @param last last index @return this
         */
        public Builder dropFrames(long first, long last) { this.dropList.add(new FrameRange(first, last)); return this; }

        /** @return the impairments */
        public Impairments build() {
            return new Impairments(this);
        }

        private static Duration nonNegative(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative()) {
                throw new IllegalArgumentException(name + " must not be negative, got " + d);
            }
            return d;
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, got " + d);
            }
            return d;
        }
    }

    private static double probability(double p, String name) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1], got " + p);
        }
        return p;
    }
}
