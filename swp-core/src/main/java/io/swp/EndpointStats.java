package io.swp;

/**
 * Counters of an {@link Endpoint}: what happened to frames before they reached a session.
 *
 * @param framesReceived frames the network delivered to the endpoint's inbox
 * @param malformedFramesDropped frames that failed to decode (corrupted, truncated, alien)
 * @param inboundQueueDrops frames dropped because the event loop's inbound queue was full
 * @param resetsSent RESETs sent for frames that matched no session, or refused SYNs
 * @param synsRefused SYNs refused because the endpoint was not accepting or its backlog was full
 * @param sessionsOpened sessions created, outgoing and incoming
 * @param sessionsOpen sessions currently registered (including closing ones)
 * @param sendFailures frames the network refused to send
 * @param loopFailures failures of the event loop itself (0, or 1 for a dead endpoint)
 * @param bufferedInboundBytes inbound bytes all sessions held for their applications at
 *     their last service (out-of-order, unread, unordered and partial messages): what the
 *     memory budget has spent
 * @param budgetDrops frames dropped because they would have taken the inbound data past
 *     the memory budget (a peer sending beyond the windows it was given)
 * @param repliesRateLimited RESETs not sent to unknown peers because the reply rate limit
 *     was spent
 * @param wrongInboxDrops frames dropped unanswered because their {@code to} named another
 *     inbox than the one they arrived at (misrouted, or forged to aim a reply elsewhere)
 * @param inboundFramesMerged frames that took the place of one still waiting in the inbound
 *     queue instead of a place of their own: a control frame (no payload) replacing an
 *     older one of its session and kind, or a retransmitted DATA frame whose first copy
 *     was still waiting
 * @param inboundDuplicatesStripped DATA frames whose payload was dropped on arrival because
 *     their session had already taken that sequence number (retransmissions whose
 *     acknowledgement was still on its way); the header goes on, so the session still
 *     answers the duplicate with an acknowledgement
 */
public record EndpointStats(
        long framesReceived,
        long malformedFramesDropped,
        long inboundQueueDrops,
        long resetsSent,
        long synsRefused,
        long sessionsOpened,
        int sessionsOpen,
        long sendFailures,
        long loopFailures,
        long bufferedInboundBytes,
        long budgetDrops,
        long repliesRateLimited,
        long wrongInboxDrops,
        long inboundFramesMerged,
        long inboundDuplicatesStripped) {
}
