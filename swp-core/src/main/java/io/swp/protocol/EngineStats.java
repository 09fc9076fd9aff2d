package io.swp.protocol;

/**
 * A snapshot of an {@link Engine}'s counters: what a user debugging a session wants.
 *
 * @param framesSent every frame handed to the network, retransmissions included
 * @param framesReceived every well-formed frame addressed to this session
 * @param dataFramesSent DATA and FIN frames sent for the first time
 * @param payloadBytesSent payload bytes sent for the first time
 * @param payloadBytesReceived payload bytes accepted in order (duplicates excluded)
 * @param retransmits frames sent again, for any reason
 * @param fastRetransmits retransmissions triggered by SACK/dup-ack evidence, not a timer
 * @param timeouts retransmission timer expiries
 * @param duplicatesDropped DATA/FIN frames received again and discarded
 * @param badFramesDropped frames that failed to decode (corrupted, malformed)
 * @param strayFramesDropped well-formed frames not taken: for another inbox, with the wrong
 *     nonce, for another state, or breaking the protocol (a payload larger than this side's
 *     maximum, an acknowledgement of data never sent, data beyond the peer's FIN)
 * @param noRoomDropped DATA frames dropped because the receive window had no room for
 *     them: the peer sent beyond what this side advertised (or the window shrank, with the
 *     transport's capacity, while they were on their way); the peer resends them
 * @param acksSent pure ACK frames sent
 * @param acksReceived frames that carried a new cumulative ack or SACK information
 * @param keepalivesSent keepalive (and zero-window probe) frames sent
 * @param unorderedDropped unordered messages dropped because the application fell behind
 * @param srttNanos smoothed RTT estimate (RFC 6298 SRTT), 0 before the first sample
 * @param rttvarNanos RTT variation (RFC 6298 RTTVAR), 0 before the first sample
 * @param rtoNanos current retransmission timeout, backoff included
 * @param rttSamples number of RTT samples taken
 * @param inFlightFrames frames sent and not yet acknowledged
 * @param inFlightBytes payload bytes sent and not yet acknowledged
 * @param peerWindowFrames the peer's last advertised free capacity in frames
 * @param peerWindowBytes the peer's last advertised free capacity in bytes
 * @param localWindowFrames the capacity in frames we advertise now
 * @param localWindowBytes the capacity in bytes we advertise now
 * @param tailLossProbes frames resent because nothing came back for two round trips
 *     while frames were in flight (counted in {@code retransmits} too)
 * @param spuriousRetransmits fast retransmissions found unnecessary afterwards: the
 *     acknowledgement that delivered the frame echoed a send from before the
 *     retransmission, so the original had arrived (reordering, not loss)
 * @param spuriousTimeouts retransmission timeouts found unnecessary the same way: the
 *     first acknowledgement after the timeout answered frames sent before it
 */
public record EngineStats(
        long framesSent,
        long framesReceived,
        long dataFramesSent,
        long payloadBytesSent,
        long payloadBytesReceived,
        long retransmits,
        long fastRetransmits,
        long timeouts,
        long duplicatesDropped,
        long badFramesDropped,
        long strayFramesDropped,
        long noRoomDropped,
        long acksSent,
        long acksReceived,
        long keepalivesSent,
        long unorderedDropped,
        long srttNanos,
        long rttvarNanos,
        long rtoNanos,
        long rttSamples,
        long inFlightFrames,
        long inFlightBytes,
        long peerWindowFrames,
        long peerWindowBytes,
        long localWindowFrames,
        long localWindowBytes,
        long tailLossProbes,
        long spuriousRetransmits,
        long spuriousTimeouts) {
}
