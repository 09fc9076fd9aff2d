package io.swp.protocol;

/**
 * In-order payload handed out by {@link Engine#pollChunk(long)}: the data of one DATA
 * frame, and whether it ends an application message.
 *
 * @param data the bytes; owned by the caller
 * @param endOfMessage whether this chunk is the last of a message
 */
public record ReceivedChunk(byte[] data, boolean endOfMessage) {
}
