package io.swp.fanout;

/**
 * The kinds of one-to-many frame. Which fields of {@link FanoutFrame} each uses is listed
 * in the table of {@link FanoutFrame}; the direction is given here.
 */
public enum FanoutKind {
    /** Publisher to the subject (or, as a unicast repair, to one receiver): sequenced data. */
    DATA(1),
    /** Publisher to the subject: the next sequence number, the backlog start and the publisher's inbox. */
    HEARTBEAT(2),
    /** Receiver to the publisher's inbox: asks to become a member. */
    JOIN(3),
    /** Receiver to the publisher: its position and free window. */
    STATUS(4),
    /** Receiver to the publisher: its position, free window and the ranges it misses. */
    NACK(5),
    /** Receiver to the publisher: it is leaving the stream. */
    LEAVE(6),
    /** Publisher to one receiver: the receiver is a member, and where its stream starts. */
    WELCOME(7),
    /** Publisher to one receiver: it cannot continue (a frame it needs is gone, or it was cut off). */
    LOST(8),
    /** Receiver to the publisher: an application report, for instance a file's verified BLAKE2b. */
    REPORT(9),
    /** Publisher to one receiver: the report with this index arrived. */
    REPORT_ACK(10),
    /**
     * Publisher to the subject: one parity row of a block of DATA frames, from which a
     * receiver missing m frames of the block rebuilds them with any m rows.
     */
    PARITY(11);

    private static final FanoutKind[] BY_CODE = new FanoutKind[12];

    static {
        for (FanoutKind k : values()) {
            BY_CODE[k.code] = k;
        }
    }

    private final int code;

    FanoutKind(int code) {
        this.code = code;
    }

    /** @return the code written on the wire */
    public int code() {
        return code;
    }

    /**
     * @param code a wire code
     * @return the kind, or null if the code is unknown
     */
    static FanoutKind ofCode(long code) {
        return code > 0 && code < BY_CODE.length ? BY_CODE[(int) code] : null;
    }
}
