package io.swp.protocol;

/**
 * The TCP-like states of an {@link Engine} (RFC 9293 §3.3.2, with frames for segments).
 */
public enum EngineState {
    /** Created, nothing sent yet. */
    FRESH,
    /** SYN sent, waiting for SYN-ACK. */
    SYN_SENT,
    /** SYN received and SYN-ACK sent, waiting for the final ACK (or data). */
    SYN_RECEIVED,
    /** Handshake done; data flows both ways. */
    ESTABLISHED,
    /** We closed our output; our FIN is queued or unacknowledged; peer still open. */
    FIN_WAIT_1,
    /** Our FIN is acknowledged; waiting for the peer's FIN. */
    FIN_WAIT_2,
    /** The peer closed its output (its FIN arrived); we may still send. */
    CLOSE_WAIT,
    /** Both sides sent FIN; ours is not yet acknowledged and theirs arrived first or at once. */
    CLOSING,
    /** Peer closed first, then we closed; waiting for the ACK of our FIN. */
    LAST_ACK,
    /** Both FINs exchanged and acknowledged; lingering to answer late duplicates. */
    TIME_WAIT,
    /** Finished: see {@link Engine#closeReason()}. */
    CLOSED;

    /**
     * @return whether the peer may still send data in this state (ESTABLISHED, or our side
     *     half-closed): the states that need a share of the receive buffer. Handshakes
     *     and sessions whose peer has finished get none.
     */
    public boolean mayReceiveData() {
        return this == ESTABLISHED || this == FIN_WAIT_1 || this == FIN_WAIT_2;
    }

    /** @return whether the session has finished, normally or not */
    public boolean isClosed() {
        return this == CLOSED;
    }
}
