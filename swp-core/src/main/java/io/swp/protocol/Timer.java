package io.swp.protocol;

/**
 * Every timer of an {@link Engine}, in the order {@link Engine#handleTimeout(long)}
 * runs them: failures first, so a session that must close does not send first. Each
 * deadline is derived from engine state, so {@link Engine#pollTimeout()} is a minimum
 * over this short, fixed list.
 */
enum Timer {
    /** SYN_SENT or SYN_RECEIVED: the handshake did not finish within the connect timeout. */
    CONNECT,
    /** Nothing valid heard from the peer for the dead-peer bound (keepalive interval × failures). */
    DEAD_PEER,
    /** The oldest unacknowledged frame has waited longer than the configured unacked timeout. */
    UNACKED,
    /**
     * close() was called and what we sent, FIN included, is still not all acknowledged
     * after the close timeout: the session is reset ({@link CloseReason#CLOSE_TIMEOUT}).
     */
    CLOSE,
    /**
     * TIME_WAIT is over, or FIN_WAIT_2 after close() has lasted the close timeout: the
     * session closes normally (resetting a peer that never finished).
     */
    TIME_WAIT,
    /** The retransmission timeout (RFC 6298) on the oldest in-flight frame, or on the SYN / SYN-ACK. */
    RETRANSMIT,
    /**
     * Frames are in flight and nothing has come back for two round trips: resend the
     * oldest to draw an acknowledgement (a tail-loss probe, RFC 8985 §7), earlier than
     * the retransmission timer and without its backoff.
     */
    TAIL_LOSS_PROBE,
    /** A delayed acknowledgement is due (RFC 1122 §4.2.3.2). */
    DELAYED_ACK,
    /** Nothing sent for a keepalive interval: send a KEEPALIVE. */
    KEEPALIVE,
    /** The peer's window is closed while we have data: send a zero-window probe (RFC 1122 §4.2.2.17). */
    PROBE;

    /** All timers, without the defensive copy {@code values()} makes. */
    static final Timer[] ALL = values();
}
