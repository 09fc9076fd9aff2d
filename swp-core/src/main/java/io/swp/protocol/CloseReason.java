package io.swp.protocol;

/** Why an {@link Engine} reached {@link EngineState#CLOSED}. */
public enum CloseReason {
    /** Both sides finished and all data was acknowledged. */
    NORMAL("closed normally"),
    /** The local application aborted the session. */
    ABORTED("aborted locally"),
    /** The peer sent a reset (it aborted, or does not know this session). */
    RESET_BY_PEER("reset by peer"),
    /** Nothing was heard from the peer for the dead-peer bound (keepalives unanswered). */
    PEER_DEAD("peer unresponsive: no frame received within the keepalive bound"),
    /** The handshake did not complete within the connect timeout. */
    CONNECT_TIMEOUT("connect timed out: no answer to SYN"),
    /** Data stayed unacknowledged longer than the configured unacked timeout. */
    UNACKED_TIMEOUT("data unacknowledged longer than the configured timeout"),
    /** A frame was retransmitted more often than the configured limit. */
    TOO_MANY_RETRANSMITS("a frame exceeded the configured retransmission limit"),
    /** After close, our data and FIN stayed unacknowledged longer than the close timeout. */
    CLOSE_TIMEOUT("close timed out: data not acknowledged; session aborted");

    private final String description;

    CloseReason(String description) {
        this.description = description;
    }

    /** @return a human-readable explanation, suitable for an exception message */
    public String description() {
        return description;
    }

    /** @return whether this reason means the session failed rather than finished */
    public boolean isFailure() {
        return this != NORMAL;
    }
}
