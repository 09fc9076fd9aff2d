package io.swp.fanout;

/**
 * Something that happened to the publisher's member set, from
 * {@link PublisherEngine#pollEvent()}.
 *
 * @param type what happened
 * @param receiver the receiver's nonce
 * @param inbox the receiver's inbox
 * @param index for {@link Type#REPORT}, the report's index (0, 1, 2, … per receiver)
 * @param payload for {@link Type#REPORT}, the report
 * @param reason for {@link Type#CUT_OFF}, why
 */
public record PublisherEvent(Type type, long receiver, String inbox, long index, byte[] payload, LostReason reason) {
    /** Kinds of publisher event. */
    public enum Type {
        /** A receiver joined. */
        JOINED,
        /** A receiver has every frame up to and including the end of the stream. */
        COMPLETE,
        /** A receiver sent a report; each index is reported once, in order. */
        REPORT,
        /** A receiver left on its own. */
        LEFT,
        /** A receiver was dropped from the member set; it was sent a LOST. */
        CUT_OFF
    }
}
