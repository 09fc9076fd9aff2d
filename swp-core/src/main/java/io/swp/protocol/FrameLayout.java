package io.swp.protocol;

/**
 * Where the send buffer stores a stream payload so that its frame can be encoded around
 * it ({@link FrameCodec#encodeInPlace}): {@code headroom} bytes before the payload for the
 * header and {@code tail} bytes after it for the CRC.
 *
 * <p>Small payloads are stored bare: their copy into a new frame costs little, while the
 * room would cost memory that the send buffer's accounting does not see. A payload is
 * laid out for its frame from {@link #MIN_PAYLOAD_PER_ROOM_BYTE} times the room on, so the
 * room adds at most an eighth to what the send buffer holds.
 *
 * @param headroom bytes before the payload (0: every payload bare)
 * @param tail bytes after it
 */
record FrameLayout(int headroom, int tail) {
    /** Stores every payload bare. */
    static final FrameLayout BARE = new FrameLayout(0, 0);
    /** Payload bytes per byte of room from which a payload is laid out for its frame. */
    static final int MIN_PAYLOAD_PER_ROOM_BYTE = 8;

    /** @return whether a payload of {@code capacity} bytes is stored with room around it */
    boolean roomFor(int capacity) {
        return headroom > 0 && capacity >= MIN_PAYLOAD_PER_ROOM_BYTE * (headroom + tail);
    }
}
