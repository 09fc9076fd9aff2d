package io.swp.fanout;

/**
 * A publisher's view of one member.
 *
 * @param receiver the receiver's nonce
 * @param inbox the receiver's inbox
 * @param start the sequence number its stream started at
 * @param position the next sequence number it misses
 * @param freeFrames the free window it last advertised
 * @param complete whether it has the whole stream, end included
 */
public record ReceiverInfo(long receiver, String inbox, long start, long position, long freeFrames, boolean complete) {
}
