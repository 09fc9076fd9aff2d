package io.swp.fanout;

import io.swp.protocol.Demux;
import io.swp.protocol.MalformedFrameException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The publishing side of one one-to-many stream: a sans-I/O state machine like the
 * session {@code Engine}. It never starts threads, touches sockets or reads a clock;
 * {@code now} is a monotonic nanosecond count passed in. Not thread-safe: the runtime
 * serialises all calls.
 *
 * <h2>Methods come in four kinds</h2>
 * <ul>
 *   <li>getters: {@link #receivers()}, {@link #stats()}, {@link #isComplete()}, …;</li>
 *   <li>inputs: {@link #handleFrame(byte[], long)} (frames arriving at the publisher's
 *       inbox), {@link #handleTimeout(long)};</li>
 *   <li>application commands: {@link #write}, {@link #finish(long)};</li>
 *   <li>outputs: {@link #pollTransmit(long)}, {@link #pollTimeout()}, {@link #pollEvent()}.</li>
 * </ul>
 *
 * <h2>Backlog and flow control</h2>
 * Written data is cut into DATA frames numbered from 0 and kept in a backlog of at most
 * {@link FanoutConfig#backlogFrames()} frames and {@link FanoutConfig#backlogBytes()}
 * bytes, for repairs and late joiners. The oldest frame leaves the backlog only when
 * room is needed and every member has it; when none can leave, writes take nothing.
 * Frames are published in order, and only below the smallest {@code position + free
 * window} any active member advertised: no member is sent more than it can buffer.
 * With no members, nothing limits publication except the backlog (like a NATS
 * subject without subscribers).
 *
 * <h2>Repairs</h2>
 * A NACK names missing ranges. With parity on ({@link FanoutConfig#fecBlockFrames()}),
 * NACKs of a block whose frames are all published and held are collected per block for
 * {@link FanoutConfig#repairAggregationNanos()}, counted from the block's end for a block
 * still being published (NACKs of it wait, at most a retry interval, since plain frames
 * sent meanwhile would mostly duplicate the parity its other requesters soon need); receivers list, per block, only as many
 * frames as they lack beyond the parity rows they hold. With at least
 * {@link FanoutConfig#multicastRepairMin()} requesters, as many new parity rows
 * ({@code BlockCode}) as the neediest listed go out on the subject, and any receiver
 * rebuilds its own missing frames from any that many rows; with one requester, it gets
 * the frames it listed. After four parity rounds, for the stream's unfinished last block,
 * or without parity, frames are repaired themselves: each missing frame collects its
 * requesters for
 * {@link FanoutConfig#repairAggregationNanos()}: once the requesters reach
 * {@link #multicastThreshold()} the frame is re-published on the subject (one
 * publication serves them all, and the others discard it as a duplicate); when the
 * interval ends with fewer, it is sent to each requester's inbox. A frame repaired on
 * the subject is not repaired again for half of {@link FanoutConfig#nackRetryNanos()},
 * since later NACKs of it were already on their way. A NACK of a frame that has left
 * the backlog is answered with LOST ({@link LostReason#BACKLOG}) and the member is dropped.
 *
 * <h2>Membership and its bounds</h2>
 * A JOIN makes a receiver a member at once, answered with WELCOME giving its start:
 * the next frame to be published, or the oldest in the backlog when it asks for
 * {@link LateJoin#FROM_BACKLOG}. A member is cut off (sent LOST, dropped, and no longer
 * counted by flow control) when it holds the stream back, its window closed while data
 * waits, for {@link FanoutConfig#maxStallNanos()} without progress, or when it is silent
 * for {@link FanoutConfig#deadReceiverNanos()}. So one receiver that stops reading or
 * crashes stalls the others for at most {@code maxStallNanos}. A member is complete once
 * its position passes the end of the stream.
 *
 * <h2>Heartbeats</h2>
 * HEARTBEAT frames on the subject carry the next sequence number, the oldest frame held
 * and the publisher's inbox: receivers find the publisher through them, and detect
 * tail loss and a silent publisher. They go out {@link FanoutConfig#heartbeatMinNanos()}
 * after the last publication and then at doubling intervals up to
 * {@link FanoutConfig#heartbeatMaxNanos()}.
 */
public final class PublisherEngine {
    private static final long NEVER = Long.MAX_VALUE;
    /** Most control frames (WELCOME, LOST, REPORT_ACK, unicast repairs) queued at once; more are dropped. */
    private static final int MAX_CONTROL_QUEUE = 65536;
    /**
     * Most bytes of queued control frames; beyond it unicast repairs are dropped (and
     * counted) like lost frames, to be NACKed again, so a NACK storm cannot grow memory.
     */
    private static final long MAX_CONTROL_BYTES = 32L * 1024 * 1024;
    /** Most departed receivers remembered, so their late frames are answered with the right LOST. */
    private static final int MAX_GONE = 4096;
    /** Rounds of parity a block gets before its remaining requesters get plain frames. */
    private static final int MAX_PARITY_ROUNDS = 4;
    /** Most frames one NACK may ask for. */
    private static final int MAX_REPAIRS_PER_NACK = 1024;

    private final FanoutConfig config;
    private final String subject;
    private final String inbox;
    private final long stream;

    // The backlog: frames [backlogStart, nextSeq), of which [backlogStart, nextSent) are published.
    private final Slot[] ring;
    private long backlogStart;
    private long nextSent;
    private long nextSeq;
    private long backlogBytesHeld;
    private boolean atMessageStart = true;
    private long finSeq = -1;

    private final Map<Long, Member> members = new LinkedHashMap<>();
    private final LinkedHashMap<Long, LostReason> gone = new LinkedHashMap<>();
    private final TreeMap<Long, Repair> pendingRepairs = new TreeMap<>();
    /** Parity blocks with NACKs being collected, by first sequence number. */
    private final TreeMap<Long, BlockRepair> blockRepairs = new TreeMap<>();
    /** Parity rows to publish: pairs of (block start, row). */
    private final ArrayDeque<long[]> parityQueue = new ArrayDeque<>();
    /** Next unused parity row and last parity time of each block that had some, bounded by the backlog. */
    private final TreeMap<Long, long[]> parityState = new TreeMap<>();
    private final int fec;
    private final ArrayDeque<Long> multicastRepairs = new ArrayDeque<>();
    private final ArrayDeque<FanoutTransmit> control = new ArrayDeque<>();
    private long controlBytes;
    private final ArrayDeque<PublisherEvent> events = new ArrayDeque<>();

    private long heartbeatAt;
    private long heartbeatInterval;
    /** Replies to non-members and new admissions, as the session Demux limits its replies to unknown peers. */
    private double replyTokens = Demux.DEFAULT_REPLY_BURST;
    private long replyRefilledAt = Long.MIN_VALUE;
    private final Stats stats = new Stats();

    /**
     * @param config the settings
     * @param subject the subject data is published on
     * @param inbox the publisher's own inbox, where receivers send JOIN, STATUS, NACK
     * @param stream this stream's nonce: random and non-zero, new for every publisher
     * @param now the current time; the first heartbeat is due at once
     */
    public PublisherEngine(FanoutConfig config, String subject, String inbox, long stream, long now) {
        this.config = Objects.requireNonNull(config, "config");
        this.subject = Objects.requireNonNull(subject, "subject");
        this.inbox = Objects.requireNonNull(inbox, "inbox");
        if (stream == 0) {
            throw new IllegalArgumentException("stream nonce must be non-zero");
        }
        this.stream = stream;
        this.ring = new Slot[config.backlogFrames()];
        this.fec = config.fecBlockFrames();
        this.heartbeatAt = now;
        this.heartbeatInterval = config.heartbeatMinNanos();
    }

    // ---------------------------------------------------------------- getters

    /** @return the stream nonce */
    public long stream() {
        return stream;
    }

    /** @return the subject */
    public String subject() {
        return subject;
    }

    /** @return the publisher's inbox */
    public String inbox() {
        return inbox;
    }

    /** @return the sequence number the next written frame gets */
    public long nextSeq() {
        return nextSeq;
    }

    /** @return the next sequence number to be published for the first time */
    public long nextSent() {
        return nextSent;
    }

    /** @return the oldest sequence number still in the backlog */
    public long backlogStart() {
        return backlogStart;
    }

    /** @return how many members there are, complete ones included */
    public int memberCount() {
        return members.size();
    }

    /** @return a snapshot of the members */
    public List<ReceiverInfo> receivers() {
        List<ReceiverInfo> out = new ArrayList<>(members.size());
        for (Member m : members.values()) {
            out.add(new ReceiverInfo(m.nonce, m.inbox, m.start, m.position, m.free, m.complete));
        }
        return out;
    }

    /** @return whether the end of the stream was written and every member has it */
    public boolean isComplete() {
        if (finSeq < 0) {
            return false;
        }
        for (Member m : members.values()) {
            if (!m.complete) {
                return false;
            }
        }
        return true;
    }

    /** @return whether {@link #finish(long)} was called successfully */
    public boolean isFinished() {
        return finSeq >= 0;
    }

    /** @return whether every written frame has been published at least once */
    public boolean isAllPublished() {
        return nextSent == nextSeq;
    }

    /**
     * @return the least number of requesters for which a repair is published on the
     *     subject rather than sent to each: {@link FanoutConfig#multicastRepairFraction()}
     *     of the members, at least {@link FanoutConfig#multicastRepairMin()}
     */
    public int multicastThreshold() {
        return Math.max(config.multicastRepairMin(), (int) Math.ceil(config.multicastRepairFraction() * members.size()));
    }

    /** @return counters since creation */
    public Stats stats() {
        return stats;
    }

    // ---------------------------------------------------------------- application commands

    /**
     * Queues data for publication, as many whole frames as the backlog has room for.
     *
     * @param src the data
     * @param off where it starts
     * @param len how many bytes; positive
     * @param endOfMessage whether the last of these bytes ends a message (only when all are taken)
     * @param now the current time
     * @return how many bytes were taken; 0 when the backlog is full
     * @throws IllegalStateException after {@link #finish(long)}
     */
    public int write(byte[] src, int off, int len, boolean endOfMessage, long now) {
        Objects.checkFromIndexSize(off, len, src.length);
        if (len <= 0) {
            throw new IllegalArgumentException("nothing to write");
        }
        if (finSeq >= 0) {
            throw new IllegalStateException("the stream is finished");
        }
        int taken = 0;
        while (taken < len) {
            int n = Math.min(len - taken, config.maxPayloadBytes());
            if (!makeRoom(n)) {
                break;
            }
            boolean last = taken + n == len && endOfMessage;
            long flags = (atMessageStart ? FanoutFrame.SOM : 0) | (last ? FanoutFrame.EOM : 0);
            byte[] payload = new byte[n];
            System.arraycopy(src, off + taken, payload, 0, n);
            append(payload, flags);
            atMessageStart = last;
            taken += n;
        }
        return taken;
    }

    /** @return whether a write of one full frame would be taken now */
    public boolean canWrite() {
        return finSeq < 0 && makeRoom(config.maxPayloadBytes());
    }

    /**
     * Queues the end of the stream (a FIN frame). Idempotent.
     *
     * @param now the current time
     * @return whether the end is queued; false when the backlog is full
     */
    public boolean finish(long now) {
        if (finSeq >= 0) {
            return true;
        }
        if (!makeRoom(0)) {
            return false;
        }
        finSeq = nextSeq;
        append(new byte[0], FanoutFrame.FIN | (atMessageStart ? 0 : FanoutFrame.EOM));
        return true;
    }

    // ---------------------------------------------------------------- inputs

    /**
     * Handles a frame that arrived at the publisher's inbox. Malformed frames are counted
     * and dropped.
     *
     * @param encoded the frame bytes
     * @param now the current time
     * @return false if the frame was malformed
     */
    public boolean handleFrame(byte[] encoded, long now) {
        FanoutFrame f;
        try {
            f = FanoutCodec.decode(encoded);
        } catch (MalformedFrameException e) {
            stats.malformedDropped++;
            return false;
        }
        handleFrame(f, now);
        return true;
    }

    /**
     * Handles a decoded frame that arrived at the publisher's inbox.
     *
     * @param f the frame
     * @param now the current time
     */
    public void handleFrame(FanoutFrame f, long now) {
        if (f.stream() != stream) {
            stats.staleDropped++;
            return;
        }
        if (f.receiver() == 0 || f.inbox().isEmpty() && f.kind() != FanoutKind.LEAVE) {
            stats.strayDropped++;
            return;
        }
        switch (f.kind()) {
            case JOIN -> onJoin(f, now);
            case STATUS, NACK -> onStatus(f, now);
            case LEAVE -> onLeave(f);
            case REPORT -> onReport(f, now);
            default -> stats.strayDropped++;
        }
    }

    /**
     * Runs due timers: unicast repairs whose aggregation interval ended, and the
     * dead-receiver and stall bounds.
     *
     * @param now the current time
     */
    public void handleTimeout(long now) {
        // All pending repairs share one interval, and they are few: a scan is cheap.
        for (Iterator<Map.Entry<Long, Repair>> it = pendingRepairs.entrySet().iterator(); it.hasNext();) {
            Map.Entry<Long, Repair> e = it.next();
            // Read the entry before removing it: TreeMap may reuse the removed node for its successor.
            long seq = e.getKey();
            Repair r = e.getValue();
            if (r.firstAt + config.repairAggregationNanos() <= now) {
                it.remove();
                flushUnicast(seq, r);
            }
        }
        for (Iterator<Map.Entry<Long, BlockRepair>> it = blockRepairs.entrySet().iterator(); it.hasNext();) {
            Map.Entry<Long, BlockRepair> e = it.next();
            long block = e.getKey();
            BlockRepair r = e.getValue();
            if (dueAt(r) <= now) {
                it.remove();
                flushBlock(block, r, now);
            }
        }
        boolean dataWaiting = nextSent < nextSeq;
        for (Member m : new ArrayList<>(members.values())) {
            if (now - m.lastHeard >= config.deadReceiverNanos()) {
                cutOff(m, LostReason.SILENT);
            } else if (m.blockedSince != NEVER && now - m.blockedSince >= config.maxStallNanos()) {
                if (!m.complete && dataWaiting && m.limit() <= nextSent) {
                    cutOff(m, LostReason.CUT_OFF);
                } else {
                    m.blockedSince = NEVER;
                }
            }
        }
    }

    // ---------------------------------------------------------------- outputs

    /**
     * @param now the current time
     * @return the next frame to send, or null when there is nothing to send now
     */
    public FanoutTransmit pollTransmit(long now) {
        FanoutTransmit t = control.poll();
        if (t != null) {
            controlBytes -= t.frame().length;
            count(t);
            return t;
        }
        while (!multicastRepairs.isEmpty()) {
            long seq = multicastRepairs.poll();
            Slot s = slot(seq);
            if (s != null) {
                s.lastMulticastAt = now;
                stats.multicastRepairs++;
                return count(new FanoutTransmit(subject, FanoutCodec.encode(
                        FanoutFrame.data(stream, seq, s.flags | FanoutFrame.REPAIR, 0, s.payload)), true));
            }
        }
        long[] parity;
        while ((parity = parityQueue.poll()) != null) {
            byte[] row = parityRow(parity[0], (int) parity[1]);
            if (row != null) {
                stats.parityFrames++;
                return count(new FanoutTransmit(subject, FanoutCodec.encode(new FanoutFrame(FanoutKind.PARITY, stream,
                        parity[0], ((long) fec << 16) | parity[1], 0, "", null, row)), true));
            }
        }
        if (nextSent < nextSeq && flowAllows(nextSent, now)) {
            Slot s = slot(nextSent);
            long seq = nextSent++;
            if (fec > 0 && !blockRepairs.isEmpty() && ((seq + 1) % fec == 0 || seq == finSeq)) {
                BlockRepair br = blockRepairs.get(seq - seq % fec);
                if (br != null && br.endedAt == NEVER) {
                    br.endedAt = now;
                }
            }
            stats.dataFramesPublished++;
            stats.payloadBytesPublished += s.payload.length;
            heartbeatInterval = config.heartbeatMinNanos();
            heartbeatAt = now + heartbeatInterval;
            return count(new FanoutTransmit(subject, FanoutCodec.encode(
                    FanoutFrame.data(stream, seq, s.flags, 0, s.payload)), true));
        }
        if (now >= heartbeatAt) {
            heartbeatAt = now + heartbeatInterval;
            heartbeatInterval = Math.min(heartbeatInterval * 2, config.heartbeatMaxNanos());
            stats.heartbeats++;
            return count(new FanoutTransmit(subject, FanoutCodec.encode(new FanoutFrame(FanoutKind.HEARTBEAT, stream,
                    nextSent, backlogStart, 0, inbox, fec > 0 ? new long[] {fec, fec} : null, null)), true));
        }
        return null;
    }

    /** @return the time at which {@link #handleTimeout(long)} or {@link #pollTransmit(long)} should next run */
    public long pollTimeout() {
        long t = heartbeatAt;
        for (Repair r : pendingRepairs.values()) {
            t = Math.min(t, r.firstAt + config.repairAggregationNanos());
        }
        for (BlockRepair r : blockRepairs.values()) {
            t = Math.min(t, dueAt(r));
        }
        boolean dataWaiting = nextSent < nextSeq;
        for (Member m : members.values()) {
            t = Math.min(t, m.lastHeard + config.deadReceiverNanos());
            if (m.blockedSince != NEVER) {
                t = Math.min(t, m.blockedSince + config.maxStallNanos());
            }
        }
        return t;
    }

    /** @return the next event, or null */
    public PublisherEvent pollEvent() {
        return events.poll();
    }

    @Override
    public String toString() {
        return "PublisherEngine{" + subject + "#" + Long.toHexString(stream) + " sent " + nextSent + "/" + nextSeq
                + " backlog from " + backlogStart + ", " + members.size() + " members}";
    }

    // ---------------------------------------------------------------- internals

    private void onJoin(FanoutFrame f, long now) {
        Member m = members.get(f.receiver());
        if (m == null) {
            if (!takeReplyToken(now)) {
                // A JOIN flood from strangers: each one would cost a member slot or a reply.
                return;
            }
            LostReason wasGone = gone.get(f.receiver());
            if (wasGone != null) {
                sendLost(f.receiver(), f.inbox(), wasGone);
                return;
            }
            if (members.size() >= config.maxReceivers()) {
                sendLost(f.receiver(), f.inbox(), LostReason.FULL);
                return;
            }
            long start = (f.aux() & FanoutFrame.JOIN_FROM_BACKLOG) != 0 ? backlogStart : nextSent;
            if (fec > 0 && start - start % fec >= backlogStart) {
                // From the start of its parity block, so the receiver holds every frame parity is computed over.
                start -= start % fec;
            }
            m = new Member(f.receiver(), f.inbox(), start, now);
            m.free = Math.min(f.seq(), Integer.MAX_VALUE);
            members.put(m.nonce, m);
            events.add(new PublisherEvent(PublisherEvent.Type.JOINED, m.nonce, m.inbox, 0, null, null));
            if (finSeq >= 0 && m.position > finSeq) {
                markComplete(m);
            }
        }
        m.lastHeard = now;
        queue(new FanoutTransmit(m.inbox, FanoutCodec.encode(
                FanoutFrame.control(FanoutKind.WELCOME, stream, m.start, 0, m.nonce, "")), false));
    }

    /**
     * @return the member that sent {@code f}, or null after answering a non-member with
     *     LOST (within the reply rate limit), since it has nothing to gain from this stream
     */
    private Member memberOrLost(FanoutFrame f, long now) {
        Member m = members.get(f.receiver());
        if (m == null && takeReplyToken(now)) {
            sendLost(f.receiver(), f.inbox(), gone.getOrDefault(f.receiver(), LostReason.NOT_MEMBER));
        }
        return m;
    }

    private void onStatus(FanoutFrame f, long now) {
        Member m = memberOrLost(f, now);
        if (m == null) {
            return;
        }
        m.lastHeard = now;
        long oldLimit = m.limit();
        if (f.seq() > m.position) {
            // A position beyond what was published would be a lie; it cannot release frames no one has.
            m.position = Math.min(f.seq(), nextSent);
        }
        m.free = Math.min(f.aux(), Integer.MAX_VALUE);
        if (m.limit() > oldLimit) {
            m.blockedSince = NEVER;
        }
        if (!m.complete && finSeq >= 0 && m.position > finSeq) {
            markComplete(m);
        }
        if (f.kind() == FanoutKind.NACK) {
            onNack(m, f.ranges(), now);
        }
    }

    private void onNack(Member m, long[] ranges, long now) {
        int budget = MAX_REPAIRS_PER_NACK;
        int threshold = multicastThreshold();
        for (int i = 0; i + 1 < ranges.length && budget > 0; i += 2) {
            long first = Math.max(ranges[i], m.position);
            long last = Math.min(ranges[i + 1], nextSent - 1);
            for (long seq = first; seq <= last && budget > 0; seq++, budget--) {
                if (seq < backlogStart) {
                    cutOff(m, LostReason.BACKLOG);
                    return;
                }
                if (fec > 0 && (parityPossible(seq) || underWay(seq - seq % fec))) {
                    long block = seq - seq % fec;
                    long[] ps = parityState.get(block);
                    if (ps != null && ps[1] != NEVER && now - ps[1] < config.nackRetryNanos() / 2) {
                        // Parity for this block just went out; this NACK crossed it.
                        stats.repairsSuppressed++;
                        continue;
                    }
                    BlockRepair br = blockRepairs.computeIfAbsent(block, k -> new BlockRepair(now));
                    if (br.endedAt == NEVER && !underWay(block)) {
                        br.endedAt = now;
                    }
                    br.requested.computeIfAbsent(m.nonce, k -> new java.util.TreeSet<>()).add(seq);
                    continue;
                }
                Slot s = slot(seq);
                if (s.lastMulticastAt != NEVER && now - s.lastMulticastAt < config.nackRetryNanos() / 2) {
                    stats.repairsSuppressed++;
                    continue;
                }
                Repair r = pendingRepairs.computeIfAbsent(seq, k -> new Repair(now));
                r.requesters.add(m.nonce);
                if (r.requesters.size() >= threshold) {
                    pendingRepairs.remove(seq);
                    multicastRepairs.add(seq);
                }
            }
        }
    }

    /**
     * Whether the block at {@code block} is held and still being published: NACKs of it wait
     * for its end, since parity needs the whole block and plain frames sent meanwhile would
     * mostly duplicate the parity that the block's other requesters soon need anyway.
     */
    private boolean underWay(long block) {
        return block >= backlogStart && block + fec > nextSent && !(finSeq >= 0 && nextSent > finSeq);
    }

    /** When the collection of a block's NACKs ends: an aggregation interval after the block ended, or, while it is still under way (its publication held back by flow control), a retry interval after the first NACK. */
    private long dueAt(BlockRepair r) {
        return r.endedAt == NEVER ? r.firstAt + config.nackRetryNanos()
                : Math.max(r.firstAt, r.endedAt) + config.repairAggregationNanos();
    }

    /** Whether the block of {@code seq} is complete and wholly in the backlog, so parity can be computed. */
    private boolean parityPossible(long seq) {
        long block = seq - seq % fec;
        return block >= backlogStart && block + fec <= nextSent;
    }

    /**
     * Ends a block's collection: with enough requesters, as many new parity rows on the
     * subject as the neediest requester listed frames; otherwise the listed frames to
     * their one requester. Receivers list, per block, only as many frames as they lack
     * beyond the parity rows they hold, so that count is what each still needs.
     */
    private void flushBlock(long block, BlockRepair r, long now) {
        int need = 0;
        int requesters = 0;
        for (Map.Entry<Long, java.util.TreeSet<Long>> e : r.requested.entrySet()) {
            Member m = members.get(e.getKey());
            if (m == null || m.position >= block + fec) {
                continue;
            }
            requesters++;
            need = Math.max(need, e.getValue().size());
        }
        if (requesters == 0) {
            return;
        }
        long[] ps = parityState.computeIfAbsent(block, k -> new long[] {0, NEVER, 0});
        // After MAX_PARITY_ROUNDS rounds a block's stragglers get the frames themselves: a
        // receiver that cannot use parity (it lacks a frame the parity covers) still finishes.
        if (requesters >= config.multicastRepairMin() && parityPossible(block) && ps[2] < MAX_PARITY_ROUNDS
                && ps[0] + need <= BlockCode.maxRows(fec)) {
            for (int i = 0; i < need; i++) {
                parityQueue.add(new long[] {block, ps[0]++});
            }
            ps[1] = now;
            ps[2]++;
            while (parityState.size() > ring.length / fec + 1) {
                parityState.pollFirstEntry();
            }
            return;
        }
        // Frames: on the subject those that enough receivers asked for, to each requester the rest.
        TreeMap<Long, Repair> bySeq = new TreeMap<>();
        for (Map.Entry<Long, java.util.TreeSet<Long>> e : r.requested.entrySet()) {
            for (long seq : e.getValue()) {
                bySeq.computeIfAbsent(seq, k -> new Repair(now)).requesters.add(e.getKey());
            }
        }
        int threshold = multicastThreshold();
        for (Map.Entry<Long, Repair> e : bySeq.entrySet()) {
            Slot s = slot(e.getKey());
            if (e.getValue().requesters.size() >= threshold && s != null
                    && (s.lastMulticastAt == NEVER || now - s.lastMulticastAt >= config.nackRetryNanos() / 2)) {
                multicastRepairs.add(e.getKey());
            } else {
                flushUnicast(e.getKey(), e.getValue());
            }
        }
    }

    /** @return parity row {@code row} of the block at {@code block}, or null if a frame has left the backlog */
    private byte[] parityRow(long block, int row) {
        long[] flags = new long[fec];
        byte[][] payloads = new byte[fec][];
        for (int i = 0; i < fec; i++) {
            Slot s = slot(block + i);
            if (s == null) {
                return null;
            }
            flags[i] = s.flags;
            payloads[i] = s.payload;
        }
        return BlockCode.encode(fec, row, flags, payloads);
    }

    private void flushUnicast(long seq, Repair r) {
        for (long nonce : r.requesters) {
            Member m = members.get(nonce);
            if (m == null || m.position > seq) {
                continue;
            }
            Slot s = slot(seq);
            if (s == null) {
                cutOff(m, LostReason.BACKLOG);
                continue;
            }
            stats.unicastRepairs++;
            queue(new FanoutTransmit(m.inbox, FanoutCodec.encode(
                    FanoutFrame.data(stream, seq, s.flags | FanoutFrame.REPAIR, nonce, s.payload)), false));
        }
    }

    private void onLeave(FanoutFrame f) {
        Member m = members.remove(f.receiver());
        if (m != null) {
            remember(m.nonce, LostReason.NOT_MEMBER);
            events.add(new PublisherEvent(PublisherEvent.Type.LEFT, m.nonce, m.inbox, 0, null, null));
        }
    }

    private void onReport(FanoutFrame f, long now) {
        Member m = memberOrLost(f, now);
        if (m == null) {
            return;
        }
        m.lastHeard = now;
        if (f.seq() == m.nextReport) {
            m.nextReport++;
            events.add(new PublisherEvent(PublisherEvent.Type.REPORT, m.nonce, m.inbox, f.seq(), f.payload(), null));
        }
        if (f.seq() < m.nextReport) {
            queue(new FanoutTransmit(m.inbox, FanoutCodec.encode(
                    FanoutFrame.control(FanoutKind.REPORT_ACK, stream, f.seq(), 0, m.nonce, "")), false));
        }
    }

    /**
     * Takes one token for a reply to a non-member or a new admission: {@link
     * Demux#DEFAULT_REPLIES_PER_SECOND} a second, in bursts of {@link Demux#DEFAULT_REPLY_BURST}
     * (the session endpoint's defaults). Without it, frames forged by strangers drew one
     * reply each, to any inbox they named, as fast as they could be sent.
     *
     * @return false, counting it, when the limit is spent
     */
    private boolean takeReplyToken(long now) {
        if (replyRefilledAt != Long.MIN_VALUE && now > replyRefilledAt) {
            replyTokens = Math.min(Demux.DEFAULT_REPLY_BURST,
                    replyTokens + (now - replyRefilledAt) * (Demux.DEFAULT_REPLIES_PER_SECOND / 1e9));
        }
        replyRefilledAt = replyRefilledAt == Long.MIN_VALUE ? now : Math.max(now, replyRefilledAt);
        if (replyTokens < 1) {
            stats.repliesRateLimited++;
            return false;
        }
        replyTokens -= 1;
        return true;
    }

    private void markComplete(Member m) {
        m.complete = true;
        m.blockedSince = NEVER;
        events.add(new PublisherEvent(PublisherEvent.Type.COMPLETE, m.nonce, m.inbox, 0, null, null));
    }

    private void cutOff(Member m, LostReason reason) {
        members.remove(m.nonce);
        remember(m.nonce, reason);
        sendLost(m.nonce, m.inbox, reason);
        events.add(new PublisherEvent(PublisherEvent.Type.CUT_OFF, m.nonce, m.inbox, 0, null, reason));
    }

    private void remember(long nonce, LostReason reason) {
        gone.put(nonce, reason);
        if (gone.size() > MAX_GONE) {
            Iterator<Long> it = gone.keySet().iterator();
            it.next();
            it.remove();
        }
    }

    private void sendLost(long nonce, String to, LostReason reason) {
        stats.lostSent++;
        queue(new FanoutTransmit(to, FanoutCodec.encode(
                FanoutFrame.control(FanoutKind.LOST, stream, backlogStart, reason.code(), nonce, "")), false));
    }

    private void queue(FanoutTransmit t) {
        if (control.size() >= MAX_CONTROL_QUEUE || controlBytes + t.frame().length > MAX_CONTROL_BYTES) {
            stats.controlDropped++;
            return;
        }
        controlBytes += t.frame().length;
        control.add(t);
    }

    private FanoutTransmit count(FanoutTransmit t) {
        if (t.toSubject()) {
            stats.subjectFrames++;
            stats.subjectBytes += t.frame().length;
        } else {
            stats.unicastFrames++;
            stats.unicastBytes += t.frame().length;
        }
        return t;
    }

    private boolean flowAllows(long seq, long now) {
        boolean allowed = true;
        for (Member m : members.values()) {
            if (!m.complete && m.limit() <= seq) {
                allowed = false;
                if (m.blockedSince == NEVER) {
                    m.blockedSince = now;
                }
            }
        }
        return allowed;
    }

    private void append(byte[] payload, long flags) {
        Slot s = new Slot(payload, flags);
        ring[(int) (nextSeq % ring.length)] = s;
        nextSeq++;
        backlogBytesHeld += payload.length;
    }

    /** Makes room for one more frame of {@code bytes}, evicting frames every member has. */
    private boolean makeRoom(int bytes) {
        while (nextSeq - backlogStart >= ring.length
                || backlogStart < nextSeq && backlogBytesHeld + bytes > config.backlogBytes()) {
            if (backlogStart >= nextSent || !everyMemberHas(backlogStart)) {
                return false;
            }
            int i = (int) (backlogStart % ring.length);
            backlogBytesHeld -= ring[i].payload.length;
            ring[i] = null;
            backlogStart++;
        }
        return true;
    }

    private boolean everyMemberHas(long seq) {
        for (Member m : members.values()) {
            if (m.position <= seq) {
                return false;
            }
        }
        return true;
    }

    private Slot slot(long seq) {
        return seq >= backlogStart && seq < nextSeq ? ring[(int) (seq % ring.length)] : null;
    }

    /** One frame in the backlog. */
    private static final class Slot {
        final byte[] payload;
        final long flags;
        long lastMulticastAt = NEVER;

        Slot(byte[] payload, long flags) {
            this.payload = payload;
            this.flags = flags;
        }
    }

    /** One member: what it has and what it can take. */
    private static final class Member {
        final long nonce;
        final String inbox;
        final long start;
        long position;
        long free;
        long lastHeard;
        long blockedSince = NEVER;
        long nextReport;
        boolean complete;

        Member(long nonce, String inbox, long start, long now) {
            this.nonce = nonce;
            this.inbox = inbox;
            this.start = start;
            this.position = start;
            this.lastHeard = now;
        }

        long limit() {
            return position + free;
        }
    }

    /** Requesters of one frame, collected over the aggregation interval. */
    private static final class Repair {
        final long firstAt;
        final Set<Long> requesters = new LinkedHashSet<>();

        Repair(long firstAt) {
            this.firstAt = firstAt;
        }
    }

    /** NACKs of one parity block, collected over the aggregation interval: frames listed per requester. */
    private static final class BlockRepair {
        final long firstAt;
        /** When the block was wholly published (or the stream ended within it); NEVER while under way. */
        long endedAt = NEVER;
        final Map<Long, java.util.TreeSet<Long>> requested = new LinkedHashMap<>();

        BlockRepair(long firstAt) {
            this.firstAt = firstAt;
        }
    }

    /** Counters of a publisher; read on the thread that drives it. */
    public static final class Stats {
        long dataFramesPublished;
        long payloadBytesPublished;
        long subjectFrames;
        long subjectBytes;
        long unicastFrames;
        long unicastBytes;
        long multicastRepairs;
        long unicastRepairs;
        long parityFrames;
        long repairsSuppressed;
        long heartbeats;
        long lostSent;
        long malformedDropped;
        long staleDropped;
        long strayDropped;
        long controlDropped;
        long repliesRateLimited;

        Stats() {
        }

        /** @return frames from non-members (and JOINs) not answered because the reply rate limit was spent */
        public long repliesRateLimited() {
            return repliesRateLimited;
        }

        /** @return DATA frames published for the first time */
        public long dataFramesPublished() {
            return dataFramesPublished;
        }

        /** @return payload bytes published for the first time */
        public long payloadBytesPublished() {
            return payloadBytesPublished;
        }

        /** @return frames published on the subject: data, repairs there, heartbeats */
        public long subjectFrames() {
            return subjectFrames;
        }

        /** @return bytes of frames published on the subject */
        public long subjectBytes() {
            return subjectBytes;
        }

        /** @return frames sent to single receivers: repairs, WELCOME, LOST, REPORT_ACK */
        public long unicastFrames() {
            return unicastFrames;
        }

        /** @return bytes of frames sent to single receivers */
        public long unicastBytes() {
            return unicastBytes;
        }

        /** @return repairs re-published on the subject */
        public long multicastRepairs() {
            return multicastRepairs;
        }

        /** @return repairs sent to one receiver */
        public long unicastRepairs() {
            return unicastRepairs;
        }

        /** @return parity rows published on the subject */
        public long parityFrames() {
            return parityFrames;
        }

        /** @return NACKed frames not repaired because a repair on the subject had just gone out */
        public long repairsSuppressed() {
            return repairsSuppressed;
        }

        /** @return heartbeats published */
        public long heartbeats() {
            return heartbeats;
        }

        /** @return LOST frames sent */
        public long lostSent() {
            return lostSent;
        }

        /** @return frames dropped because they could not be decoded */
        public long malformedDropped() {
            return malformedDropped;
        }

        /** @return frames dropped because they belong to another stream */
        public long staleDropped() {
            return staleDropped;
        }

        /** @return frames dropped because they make no sense at a publisher */
        public long strayDropped() {
            return strayDropped;
        }

        /** @return control frames dropped because too many were queued */
        public long controlDropped() {
            return controlDropped;
        }

        @Override
        public String toString() {
            return "published " + dataFramesPublished + " frames / " + payloadBytesPublished + " B; subject "
                    + subjectFrames + " frames / " + subjectBytes + " B; unicast " + unicastFrames + " frames / "
                    + unicastBytes + " B; repairs " + multicastRepairs + " on subject, " + unicastRepairs
                    + " unicast, " + parityFrames + " parity, " + repairsSuppressed + " suppressed; heartbeats " + heartbeats + "; lost "
                    + lostSent + "; dropped " + malformedDropped + " malformed, " + staleDropped + " stale, "
                    + strayDropped + " stray";
        }
    }
}
