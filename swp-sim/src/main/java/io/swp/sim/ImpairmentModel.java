package io.swp.sim;

import java.util.SplittableRandom;

/**
 * Applies {@link Impairments} to the frames offered to one direction of a link, deciding
 * for each frame whether it is dropped, when each copy arrives, and whether a copy is
 * corrupted. It keeps no clock: callers pass the time a frame is offered, in virtual or
 * real nanoseconds, and get back delivery times on the same scale.
 *
 * <p>Deterministic: the same seed, impairments and sequence of {@code (frame, now)}
 * offers give the same decisions. Each kind of impairment draws from its own random
 * stream split from the seed, so switching one impairment on or off does not change the
 * pattern of the others (the losses of a seed stay the losses when duplication is added).
 *
 * <p>Not thread-safe; {@link LossyNetwork} serialises access.
 */
public final class ImpairmentModel {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final int BITS_PER_BYTE = 8;

    private final Impairments config;
    private final long originNanos;
    private final SplittableRandom lossRandom;
    private final SplittableRandom burstRandom;
    private final SplittableRandom delayRandom;
    private final SplittableRandom reorderRandom;
    private final SplittableRandom duplicateRandom;
    private final SplittableRandom corruptRandom;

    private boolean burstBad;
    private long lastBurstStepAt = Long.MIN_VALUE;
    private long linkBusyUntil = Long.MIN_VALUE;
    private long fifoWatermark = Long.MIN_VALUE;

    private long offered;
    private long delivered;
    private long droppedByIndex;
    private long droppedByBlackHole;
    private long droppedRandom;
    private long droppedBurst;
    private long droppedQueueFull;
    private long duplicated;
    private long corrupted;
    private long reordered;
    private long bytesOffered;

    /** Receives the copies of a frame that survive, with their arrival times. */
    @FunctionalInterface
    public interface DeliverySink {
        /**
         * @param frame the copy to deliver (a fresh array the receiver may own)
         * @param deliverAtNanos when it arrives, on the caller's time scale
         */
        void deliver(byte[] frame, long deliverAtNanos);
    }

    /**
     * @param config what the link does
     * @param seed the seed of every random decision
     * @param originNanos the time black holes are measured from
     */
    public ImpairmentModel(Impairments config, long seed, long originNanos) {
        this.config = config;
        this.originNanos = originNanos;
        SplittableRandom root = new SplittableRandom(seed);
        this.lossRandom = root.split();
        this.burstRandom = root.split();
        this.delayRandom = root.split();
        this.reorderRandom = root.split();
        this.duplicateRandom = root.split();
        this.corruptRandom = root.split();
    }

    /** @return the impairments this model applies */
    public Impairments config() {
        return config;
    }

    /**
     * Decides the fate of one frame.
     *
     * @param frame the frame; not modified
     * @param now when it is offered
     * @param sink receives zero, one or two copies with their arrival times
     */
    public void offer(byte[] frame, long now, DeliverySink sink) {
        offered++;
        bytesOffered += frame.length;
        if (isDropListed(offered)) {
            droppedByIndex++;
            return;
        }
        if (isInBlackHole(now)) {
            droppedByBlackHole++;
            return;
        }
        // Draw every stream once per surviving frame so that one decision never shifts another.
        boolean randomLoss = config.lossRate() > 0 && lossRandom.nextDouble() < config.lossRate();
        boolean burstLoss = stepBurstModel(now);
        if (randomLoss) {
            droppedRandom++;
            return;
        }
        if (burstLoss) {
            droppedBurst++;
            return;
        }
        long departure = now;
        long bandwidth = config.bandwidthBitsPerSecond();
        if (bandwidth > 0) {
            long start = Math.max(now, linkBusyUntil);
            double backlogBytes = (double) (start - now) * bandwidth / BITS_PER_BYTE / NANOS_PER_SECOND;
            if (backlogBytes + frame.length > config.queueLimitBytes()) {
                droppedQueueFull++;
                return;
            }
            departure = start + (long) frame.length * BITS_PER_BYTE * NANOS_PER_SECOND / bandwidth;
            linkBusyUntil = departure;
        }
        long arrival = departure + config.latencyNanos() + randomUpTo(delayRandom, config.jitterNanos());
        if (config.reorderRate() > 0 && reorderRandom.nextDouble() < config.reorderRate()) {
            reordered++;
            arrival += 1 + randomUpTo(reorderRandom, config.reorderMaxDelayNanos() - 1);
        } else {
            arrival = Math.max(arrival, fifoWatermark);
            fifoWatermark = arrival;
        }
        emit(frame, arrival, sink);
        if (config.duplicateRate() > 0 && duplicateRandom.nextDouble() < config.duplicateRate()) {
            duplicated++;
            emit(frame, arrival + 1 + randomUpTo(duplicateRandom, config.duplicateMaxDelayNanos() - 1), sink);
        }
    }

    /** @return a snapshot of the counters */
    public LinkStats stats() {
        return new LinkStats(offered, delivered, droppedByIndex, droppedByBlackHole, droppedRandom,
                droppedBurst, droppedQueueFull, duplicated, corrupted, reordered, bytesOffered);
    }

    private void emit(byte[] frame, long arrival, DeliverySink sink) {
        byte[] copy = frame.clone();
        if (config.corruptRate() > 0 && corruptRandom.nextDouble() < config.corruptRate() && copy.length > 0) {
            corrupted++;
            int bits = 1 + corruptRandom.nextInt(config.corruptMaxBits());
            for (int i = 0; i < bits; i++) {
                long bit = corruptRandom.nextLong((long) copy.length * BITS_PER_BYTE);
                copy[(int) (bit / BITS_PER_BYTE)] ^= (byte) (1 << (bit % BITS_PER_BYTE));
            }
        }
        delivered++;
        sink.deliver(copy, arrival);
    }

    private boolean stepBurstModel(long now) {
        Impairments.GilbertElliott ge = config.gilbertElliott();
        if (ge == null) {
            return false;
        }
        long steps = 1;
        if (ge.stepNanos() > 0 && lastBurstStepAt != Long.MIN_VALUE && now > lastBurstStepAt) {
            steps = Math.max(1, (now - lastBurstStepAt) / ge.stepNanos());
        }
        lastBurstStepAt = now;
        burstBad = burstRandom.nextDouble() < ge.badProbabilityAfter(steps, burstBad);
        double lossProbability = burstBad ? ge.lossInBad() : ge.lossInGood();
        return burstRandom.nextDouble() < lossProbability;
    }

    private boolean isDropListed(long index) {
        for (Impairments.FrameRange r : config.dropList()) {
            if (r.contains(index)) {
                return true;
            }
        }
        return false;
    }

    private boolean isInBlackHole(long now) {
        long sinceOrigin = now - originNanos;
        for (Impairments.BlackHole h : config.blackHoles()) {
            if (h.isActive(sinceOrigin)) {
                return true;
            }
        }
        return false;
    }

    private static long randomUpTo(SplittableRandom random, long maxInclusive) {
        return maxInclusive <= 0 ? 0 : random.nextLong(maxInclusive + 1);
    }
}
