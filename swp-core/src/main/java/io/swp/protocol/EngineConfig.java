package io.swp.protocol;

/**
 * The numbers one {@link Engine} runs by, all times in nanoseconds of the caller's clock.
 * The protocol layer owns this type so it depends on nothing above it; the runtime builds
 * one from its user-facing configuration ({@code io.swp.SessionConfig#engineConfig()}),
 * which documents each value and its default.
 *
 * @param windowFrames receive window in frames: frames this side buffers, out of order or
 *     unread; 1 to {@link #MAX_WINDOW_FRAMES}
 * @param windowBytes receive window in payload bytes
 * @param sendBufferBytes written but unacknowledged bytes the engine holds
 * @param maxPayloadBytes largest payload of one frame, sent or accepted
 * @param initialRtoNanos retransmission timeout before the first RTT sample (RFC 6298 §2.1)
 * @param minRtoNanos floor of the retransmission timeout (RFC 6298 §2.4)
 * @param maxRtoNanos ceiling of the retransmission timeout and of its backoff (RFC 6298 §2.5)
 * @param ackEveryFrames in-order frames after which an acknowledgement is sent at once, at
 *     most an eighth of {@code windowFrames} ({@link #inOrderFramesPerAck()})
 * @param ackDelayNanos longest an acknowledgement of in-order data waits
 * @param keepaliveIntervalNanos quiet time after which a keepalive is sent
 * @param deadPeerNanos silence after which the peer is declared dead; {@code Long.MAX_VALUE} never
 * @param unackedTimeoutNanos the session fails when data stays unacknowledged this long; 0 never
 * @param maxRetransmitsPerFrame the session fails when one frame was resent this often; 0 never
 * @param connectTimeoutNanos how long a handshake may take, counted from the first SYN
 * @param timeWaitNanos how long a closed session answers late duplicates (TIME_WAIT)
 * @param closeTimeoutNanos how long, after {@link Engine#close}, our data and FIN may stay
 *     unacknowledged before the session is reset, and how long an orphaned FIN_WAIT_2 waits
 *     for the peer's FIN
 * @param unorderedQueueLimit unordered messages held before the oldest are dropped
 */
public record EngineConfig(
        int windowFrames,
        long windowBytes,
        long sendBufferBytes,
        int maxPayloadBytes,
        long initialRtoNanos,
        long minRtoNanos,
        long maxRtoNanos,
        int ackEveryFrames,
        long ackDelayNanos,
        long keepaliveIntervalNanos,
        long deadPeerNanos,
        long unackedTimeoutNanos,
        int maxRetransmitsPerFrame,
        long connectTimeoutNanos,
        long timeWaitNanos,
        long closeTimeoutNanos,
        int unorderedQueueLimit) {

    /**
     * The largest receive window in frames, 65,536. The receive side holds frames in a
     * ring addressed by sequence number, and one frame from the peer at the far edge of
     * the window makes that ring as large as the window (a reference per frame: at most
     * 512 KiB here). Without a bound a configured window of {@code Integer.MAX_VALUE}
     * would let a single frame allocate gigabytes. 65,536 frames of the default 16 KiB
     * payload are a 1 GiB window, far more than a bus connection needs in flight.
     */
    public static final int MAX_WINDOW_FRAMES = 1 << 16;

    /** Checks the values the engine's arithmetic relies on. */
    public EngineConfig {
        requirePositive(windowFrames, "windowFrames");
        if (windowFrames > MAX_WINDOW_FRAMES) {
            throw new IllegalArgumentException("windowFrames must be at most " + MAX_WINDOW_FRAMES + ", got "
                    + windowFrames);
        }
        requirePositive(windowBytes, "windowBytes");
        requirePositive(sendBufferBytes, "sendBufferBytes");
        requirePositive(maxPayloadBytes, "maxPayloadBytes");
        requirePositive(initialRtoNanos, "initialRtoNanos");
        requirePositive(minRtoNanos, "minRtoNanos");
        requirePositive(maxRtoNanos, "maxRtoNanos");
        if (minRtoNanos > maxRtoNanos) {
            throw new IllegalArgumentException("minRto " + minRtoNanos + " ns exceeds maxRto " + maxRtoNanos + " ns");
        }
        requirePositive(ackEveryFrames, "ackEveryFrames");
        requireNonNegative(ackDelayNanos, "ackDelayNanos");
        requirePositive(keepaliveIntervalNanos, "keepaliveIntervalNanos");
        requirePositive(deadPeerNanos, "deadPeerNanos");
        requireNonNegative(unackedTimeoutNanos, "unackedTimeoutNanos");
        requireNonNegative(maxRetransmitsPerFrame, "maxRetransmitsPerFrame");
        requirePositive(connectTimeoutNanos, "connectTimeoutNanos");
        requireNonNegative(timeWaitNanos, "timeWaitNanos");
        requirePositive(closeTimeoutNanos, "closeTimeoutNanos");
        requirePositive(unorderedQueueLimit, "unorderedQueueLimit");
    }

    /**
     * @param bytes the new largest payload per frame
     * @return this configuration with {@link #maxPayloadBytes()} replaced
     */
    public EngineConfig withMaxPayloadBytes(int bytes) {
        return new EngineConfig(windowFrames, windowBytes, sendBufferBytes, bytes, initialRtoNanos, minRtoNanos,
                maxRtoNanos, ackEveryFrames, ackDelayNanos, keepaliveIntervalNanos, deadPeerNanos,
                unackedTimeoutNanos, maxRetransmitsPerFrame, connectTimeoutNanos, timeWaitNanos, closeTimeoutNanos,
                unorderedQueueLimit);
    }

    /**
     * @return in-order frames acknowledged together: {@link #ackEveryFrames()}, but at most an
     *     eighth of the window, so that a sender held by a small window hears of the room
     *     long before it stalls
     */
    public int inOrderFramesPerAck() {
        return Math.max(1, Math.min(ackEveryFrames, windowFrames / 8));
    }

    private static void requirePositive(long v, String name) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " must be positive, got " + v);
        }
    }

    private static void requireNonNegative(long v, String name) {
        if (v < 0) {
            throw new IllegalArgumentException(name + " must not be negative, got " + v);
        }
    }
}
