package io.swp.protocol;

/** State changes an {@link Engine} reports through {@link Engine#pollEvent()}. */
public enum EngineEvent {
    /** The handshake completed; data may flow. */
    ESTABLISHED,
    /** The peer's FIN was received; once readable data is drained, reads see end of stream. */
    PEER_FINISHED,
    /** Everything we sent, including our FIN, has been acknowledged. */
    OUTPUT_FINISHED,
    /** The engine reached {@link EngineState#CLOSED}; see {@link Engine#closeReason()}. */
    CLOSED
}
