package io.swp.fanout;

/**
 * One frame's data, delivered in order by {@link ReceiverEngine#pollChunk(long)}.
 *
 * @param seq its sequence number
 * @param payload the data (owned by the caller)
 * @param startOfMessage whether it starts a message
 * @param endOfMessage whether it ends a message
 */
public record FanoutChunk(long seq, byte[] payload, boolean startOfMessage, boolean endOfMessage) {
}
