package io.swp.protocol;

/**
 * Round-trip time estimation and the retransmission timeout, as RFC 6298 specifies:
 * SRTT and RTTVAR with alpha = 1/8 and beta = 1/4 (§2.3), RTO = SRTT + max(G, K·RTTVAR)
 * with K = 4 and a clock granularity G of 1 µs (§2.2–2.3), clamped to the configured
 * floor and ceiling (§2.4; the floor is far below the RFC's 1 s because a message bus
 * is fast), the initial RTO before the first sample (§2.1), and exponential backoff on
 * expiry capped at the ceiling (§5.5), undone by the next new acknowledgement.
 *
 * <p>The estimator only does arithmetic. Which acknowledgements yield samples (Karn's
 * rule: never one for a retransmitted frame) is the engine's business.
 */
final class RttEstimator {
    /** Clock granularity G of RFC 6298 §2: our clock counts nanoseconds; 1 µs is a safe floor. */
    static final long CLOCK_GRANULARITY_NANOS = 1_000;
    /** K of RFC 6298 §2.3. */
    private static final int K = 4;

    private final long minRto;
    private final long maxRto;
    private long srtt;
    private long rttvar;
    private long baseRto;
    private long rto;
    private long samples;

    /**
     * @param initialRto RTO before the first sample
     * @param minRto floor
     * @param maxRto ceiling, also the backoff cap
     */
    RttEstimator(long initialRto, long minRto, long maxRto) {
        this.minRto = minRto;
        this.maxRto = maxRto;
        this.baseRto = clamp(initialRto);
        this.rto = baseRto;
    }

    /** @param sample a measured round trip in nanoseconds (negative values are ignored) */
    void addSample(long sample) {
        if (sample < 0) {
            return;
        }
        if (samples == 0) {
            srtt = sample;
            rttvar = sample / 2;
        } else {
            rttvar = (3 * rttvar + Math.abs(srtt - sample)) / 4;
            srtt = (7 * srtt + sample) / 8;
        }
        samples++;
        baseRto = clamp(srtt + Math.max(CLOCK_GRANULARITY_NANOS, K * rttvar));
        rto = baseRto;
    }

    /** Doubles the RTO after a timer expiry, up to the ceiling (RFC 6298 §5.5). */
    void backoff() {
        rto = rto > maxRto / 2 ? maxRto : rto * 2;
    }

    /** Undoes backoff: new data was acknowledged, so the path works (RFC 6298 §5.7 note). */
    void resetBackoff() {
        rto = baseRto;
    }

    /** @return the current RTO, backoff included */
    long rto() {
        return rto;
    }

    /** @return SRTT, or 0 before the first sample */
    long srtt() {
        return srtt;
    }

    /** @return RTTVAR, or 0 before the first sample */
    long rttvar() {
        return rttvar;
    }

    /** @return how many samples were taken */
    long samples() {
        return samples;
    }

    /** @return SRTT if known, else the initial RTO: a conservative RTT for pacing decisions */
    long smoothedOrInitial() {
        return samples == 0 ? baseRto : srtt;
    }

    private long clamp(long value) {
        return Math.max(minRto, Math.min(maxRto, value));
    }
}
