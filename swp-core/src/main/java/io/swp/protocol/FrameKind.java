package io.swp.protocol;

/**
 * What a {@link Frame} is for. The numeric code is what goes on the wire; codes are
 * never reused, so an old peer rejects a kind it does not know instead of misreading it.
 */
public enum FrameKind {
    /** Opens a session: carries the initiator's nonce and receive window. */
    SYN(1),
    /** Answers a SYN: carries the acceptor's nonce; echoes the initiator's. */
    SYN_ACK(2),
    /** Pure acknowledgement (cumulative ack, SACK ranges, window update). */
    ACK(3),
    /** Carries payload bytes at a sequence number. */
    DATA(4),
    /** End of the sender's byte stream; occupies one sequence number, delivered in order. */
    FIN(5),
    /** Liveness probe (also a zero-window probe); the peer answers with an ACK at once. */
    KEEPALIVE(6),
    /** Aborts the session (or answers a frame for a session the receiver does not know). */
    RESET(7);

    private static final FrameKind[] BY_CODE = new FrameKind[8];

    static {
        for (FrameKind k : values()) {
            BY_CODE[k.code] = k;
        }
    }

    private final int code;

    FrameKind(int code) {
        this.code = code;
    }

    /** @return the wire code of this kind */
    public int code() {
        return code;
    }

    /**
     * @param code a wire code
     * @return the kind, or {@code null} if the code is unknown
     */
    public static FrameKind fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /** @return whether frames of this kind occupy a sequence number and are retransmitted */
    public boolean isSequenced() {
        return this == DATA || this == FIN;
    }
}
