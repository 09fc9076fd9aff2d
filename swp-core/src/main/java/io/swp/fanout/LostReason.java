package io.swp.fanout;

/** Why a receiver cannot continue with a stream (carried by a LOST frame). */
public enum LostReason {
    /** A frame the receiver needs has already left the publisher's backlog. */
    BACKLOG(1),
    /** The receiver held the whole stream back longer than the publisher allows. */
    CUT_OFF(2),
    /** The publisher did not hear from the receiver for its dead-receiver timeout. */
    SILENT(3),
    /** The publisher has as many members as it accepts. */
    FULL(4),
    /** The publisher does not know this receiver (it left, or the publisher restarted). */
    NOT_MEMBER(5),
    /** Local to the receiver, never sent: nothing came from the publisher for the silent-publisher timeout. */
    PUBLISHER_SILENT(6);

    private final int code;

    LostReason(int code) {
        this.code = code;
    }

    /** @return the code written on the wire */
    public int code() {
        return code;
    }

    /**
     * @param code a wire code
     * @return the reason; unknown codes read as {@link #NOT_MEMBER}, the most general
     */
    public static LostReason ofCode(long code) {
        for (LostReason r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        return NOT_MEMBER;
    }
}
