package io.swp.protocol;

import java.util.ArrayDeque;

/**
 * The send side of a session: every sequenced frame from the oldest unacknowledged one
 * ({@link #una()}) through those sent ({@code < }{@link #nextToSend()}) to those only
 * queued ({@code < }{@link #end()}), with the SACK scoreboard and loss detection.
 *
 * <h2>Scoreboard</h2>
 * Frames in {@code [una, nextToSend)} are in flight. The peer's SACK ranges mark some of
 * them as held by the peer; the rest ("unSACKed") count against the peer's advertised
 * window ({@link #unsackedFrames()}, {@link #unsackedBytes()}). SACK ranges are merged
 * into a {@link RangeSet}, which reports only the numbers that are new, so an
 * acknowledgement costs O(ranges + newly acknowledged frames), never O(window).
 *
 * <h2>Loss detection (RFC 6675 with a RACK-style time rule)</h2>
 * A frame is lost when at least {@link #DUP_THRESH} frames above it are SACKed (RFC 6675
 * §2 DupThresh), or when a frame sent later than it by more than the reordering allowance
 * has been delivered or seen by the peer (RFC 8985 RACK, with the peer's echoed timestamp
 * as evidence of what it has seen). Both conditions only become true in sequence order for frames sent
 * once, so a scan pointer walks forward over the scoreboard and each frame is examined
 * O(1) times overall. Retransmitted frames are watched in a queue ordered by their
 * retransmission time and declared lost again by the same time rule, which can only
 * happen after a later frame's acknowledgement came back, so at most once per round trip.
 *
 * <h2>Adapting to reordering</h2>
 * A fast retransmission is found spurious when the acknowledgement that delivers the
 * frame echoes a timestamp older than the retransmission (RFC 3522, Eifel detection): the
 * peer got the original. The network reorders, then, so the SACK threshold rises to the
 * frame's reordering distance and the time allowance widens by a quarter SRTT, as Linux
 * and RFC 8985 §6.2 do. Without a congestion window nothing else needs undoing.
 */
final class SendBuffer implements RangeSet.NewSpanSink {
    /** What each queued frame costs against the send buffer beyond its payload: about its bookkeeping. */
    static final int FRAME_CHARGE_BYTES = 64;
    /** RFC 6675 DupThresh: SACKed frames above a hole that prove it lost, until reordering is seen. */
    static final int DUP_THRESH = 3;
    /** Ceiling of the adapted reordering threshold (Linux caps its own at 300). */
    static final int MAX_REORDERING_THRESHOLD = 256;
    /** Most sends the pipe list remembers: twice the largest window, far above any real pipe. */
    static final int MAX_PIPE_ENTRIES = 2 * EngineConfig.MAX_WINDOW_FRAMES;
    /** Ceiling of the reordering allowance, in quarters of SRTT (RFC 8985 §6.2 caps it at SRTT). */
    static final int MAX_REORDERING_QUARTERS = 4;

    private final SeqRing<SentFrame> frames = new SeqRing<>(0);
    // How stream DATA is stored so that it can be sent without copying (SentFrame).
    private final FrameLayout layout;
    private final RangeSet sackedRanges = new RangeSet();
    private final ArrayDeque<SentFrame> retransmitQueue = new ArrayDeque<>();
    private final SendLog retransmittedWatch = new SendLog();
    // Every send, first or again, in the order made, until the peer is known to have seen
    // something sent after it (see pipeBytes()).
    private final SendLog pipe = new SendLog();
    private long pipeBytes;
    private int pipeFrameCount;

    private long una;
    private long nextToSend;
    private long end;
    private long bufferedBytes;
    private long inFlightBytes;
    private int unsackedFrames;
    private long unsackedBytes;
    private int sackedCount;
    private long lossScan;
    private int sackedBelowLossScan;
    private long finSeq = -1;
    private int reorderingThreshold = DUP_THRESH;
    private int reorderingQuarters = 1;
    private long spuriousRetransmits;
    private long deliveredBytes;

    // Results of the acknowledgement being processed; reset by beginAck().
    private boolean echoValid;
    private long echoedTimestamp;
    private boolean newInformation;
    private long newestCleanDeliverySentAt;
    private long latestCleanDeliverySentAt = Long.MIN_VALUE;
    private long latestEchoed = Long.MIN_VALUE;

    /** A send buffer that stores payloads bare (every frame is encoded into a new array). */
    SendBuffer() {
        this(FrameLayout.BARE);
    }

    /** @param layout how to store stream payloads so that their frames can be encoded around them */
    SendBuffer(FrameLayout layout) {
        this.layout = layout;
    }

    /** @return the oldest unacknowledged sequence number */
    long una() {
        return una;
    }

    /** @return the first sequence number never sent */
    long nextToSend() {
        return nextToSend;
    }

    /** @return one past the last queued sequence number */
    long end() {
        return end;
    }

    /** @return payload bytes queued or unacknowledged */
    long bufferedBytes() {
        return bufferedBytes;
    }

    /**
     * @return what the buffered frames cost against the send buffer: their payload plus
     *     {@link #FRAME_CHARGE_BYTES} each, so that floods of tiny or empty messages are
     *     bounded in memory like large ones
     */
    long chargedBytes() {
        return bufferedBytes + (end - una) * FRAME_CHARGE_BYTES;
    }

    /** @return slots allocated for queued frames: for tests of memory bounds */
    int ringCapacity() {
        return frames.capacity();
    }

    /** @return frames sent and not cumulatively acknowledged */
    long inFlightFrames() {
        return nextToSend - una;
    }

    /** @return payload bytes sent and not cumulatively acknowledged */
    long inFlightBytes() {
        return inFlightBytes;
    }

    /** @return in-flight frames the peer has not SACKed */
    int unsackedFrames() {
        return unsackedFrames;
    }

    /** @return payload bytes of in-flight frames the peer has not SACKed */
    long unsackedBytes() {
        return unsackedBytes;
    }

    /**
     * @return payload bytes of frames sent (or resent) after the newest send the peer has
     *     echoed, and neither acknowledged nor SACKed since: what may still be on the way
     *     to the peer. A frame sent before that echo has arrived or been lost (the network
     *     keeps order, and reordering is the exception), even when the peer holds it above
     *     the last SACK range it could report; counting those as in flight, as
     *     {@link #unsackedBytes()} does, kept the queue cap shut with nothing on the wire
     */
    long pipeBytes() {
        return pipeBytes;
    }

    /** @return sends the pipe list remembers, counted or not: for tests of its bound */
    int pipeEntriesForTest() {
        return pipe.size();
    }

    /** @return how many frames {@link #pipeBytes()} counts */
    int pipeFrames() {
        return pipeFrameCount;
    }

    /** @return in-flight frames the peer has SACKed (holds above a hole) */
    int sackedFrames() {
        return sackedCount;
    }

    /** @return whether a FIN has been queued */
    boolean finQueued() {
        return finSeq >= 0;
    }

    /** @return whether the FIN was queued and has been cumulatively acknowledged */
    boolean finAcknowledged() {
        return finSeq >= 0 && una > finSeq;
    }

    /** @return whether everything queued has been acknowledged */
    boolean isEmpty() {
        return una == end;
    }

    /**
     * @return the oldest in-flight frame if the peer has not SACKed it and it is not
     *     already waiting for retransmission, else null: what a tail-loss probe resends
     */
    SentFrame oldestProbeCandidate() {
        SentFrame f = oldestInFlight();
        return f != null && !f.sacked && !f.queuedForRetransmit ? f : null;
    }

    /** @return the oldest in-flight frame, or null */
    SentFrame oldestInFlight() {
        return una < nextToSend ? frames.get(una) : null;
    }

    /** @return the next frame to send for the first time, or null */
    SentFrame peekUnsent() {
        return nextToSend < end ? frames.get(nextToSend) : null;
    }

    // ------------------------------------------------------------------ queueing

    /**
     * Queues stream bytes, coalescing into the last unsent frame when it can take more.
     *
     * @return the frame holding the last byte, or null if {@code len} is 0
     */
    SentFrame appendBytes(byte[] src, int off, int len, int maxPayload) {
        SentFrame last = end > nextToSend ? frames.get(end - 1) : null;
        int done = 0;
        if (last != null && last.canAppend(maxPayload) && len > 0) {
            done = last.append(src, off, len, maxPayload);
        }
        while (done < len) {
            int n = Math.min(len - done, maxPayload);
            last = new SentFrame(end, layout, src, off + done, n);
            frames.put(end++, last);
            done += n;
        }
        bufferedBytes += len;
        return len == 0 ? null : last;
    }

    /** @return the last queued frame if it is unsent plain DATA that may still be flagged, else null */
    SentFrame lastUnsentPlainData() {
        if (end > nextToSend) {
            SentFrame last = frames.get(end - 1);
            if (last.canAppend(Integer.MAX_VALUE)) {
                return last;
            }
        }
        return null;
    }

    /** Queues one frame as is (a message, an empty end-of-message marker). */
    void appendFrame(FrameKind kind, int flags, byte[] payload) {
        if (kind == FrameKind.FIN) {
            finSeq = end;
        }
        frames.put(end, new SentFrame(end, kind, flags, payload));
        end++;
        bufferedBytes += payload.length;
    }

    // ------------------------------------------------------------------ sending

    /** Marks the frame at {@link #nextToSend()} as sent now. */
    SentFrame markNextSent(long now) {
        SentFrame f = frames.get(nextToSend++);
        f.firstSentAt = now;
        f.lastSentAt = now;
        enterPipe(f, now);
        inFlightBytes += f.length;
        unsackedFrames++;
        unsackedBytes += f.length;
        return f;
    }

    /** @return the next frame to retransmit, skipping those already delivered, or null */
    SentFrame pollRetransmit() {
        SentFrame f;
        while ((f = retransmitQueue.poll()) != null) {
            f.queuedForRetransmit = false;
            if (f.seq >= una && !f.sacked) {
                return f;
            }
        }
        return null;
    }

    /** @return whether frames wait for retransmission (some may turn out to be delivered) */
    boolean hasRetransmitsQueued() {
        return !retransmitQueue.isEmpty();
    }

    /** Records that {@code f} was sent again now. */
    void markRetransmitted(SentFrame f, long now) {
        f.retransmits++;
        leavePipe(f);
        f.lastSentAt = now;
        enterPipe(f, now);
        retransmittedWatch.add(f, now);
    }

    /** Queues a frame for retransmission unless it is already queued or delivered. */
    void markLost(SentFrame f, boolean byEvidence) {
        if (!f.queuedForRetransmit && !f.sacked && f.seq >= una) {
            f.queuedForRetransmit = true;
            f.lostByEvidence = byEvidence;
            retransmitQueue.add(f);
        }
    }

    /**
     * Declares lost every in-flight frame not SACKed, last sent before {@code sentBefore}
     * and below {@code reportedBelow}: after a retransmission timeout, once an
     * acknowledgement shows the path works. Frames at or above {@code reportedBelow} are
     * left alone: the peer's acknowledgement used every SACK range it may carry before
     * reaching them, so it may hold them without having said so, and resending them
     * would mostly duplicate what arrived (a window of 1,024 frames with many holes
     * outruns 32 ranges). They are judged once the ranges reach them. This is the only
     * O(window) walk; it runs at most once per timeout.
     *
     * @param sentBefore frames last sent before this time qualify
     * @param reportedBelow the last acknowledgement accounted for every frame below this
     * @return how many frames were queued for retransmission
     */
    int markLostSentBefore(long sentBefore, long reportedBelow) {
        int marked = 0;
        long limit = Math.min(nextToSend, Math.max(una + 1, reportedBelow));
        for (long s = una; s < limit; s++) {
            SentFrame f = frames.get(s);
            if (!f.sacked && !f.queuedForRetransmit && f.lastSentAt < sentBefore) {
                markLost(f, false);
                marked++;
            }
        }
        return marked;
    }

    /**
     * Forgets every SACK (RFC 2018 §8): the peer has dropped frames it reported as held
     * (it acknowledges up to a frame it SACKed, and no further), so nothing it SACKed can
     * be relied on. Every frame in flight counts as unSACKed again, may be declared lost
     * again, and is resent unless a later acknowledgement reports it anew. O(window); the
     * engine calls it only on a retransmission timeout that finds the oldest frame
     * SACKed, which a peer that keeps what it reports never causes.
     */
    void forgetSacks() {
        for (long s = una; s < nextToSend; s++) {
            SentFrame f = frames.get(s);
            if (f.sacked) {
                f.sacked = false;
                unsackedFrames++;
                unsackedBytes += f.length;
            }
        }
        sackedCount = 0;
        sackedBelowLossScan = 0;
        sackedRanges.clear();
        lossScan = una;
    }

    // ------------------------------------------------------------------ acknowledgements

    /** @return fast retransmissions found unnecessary (the original had arrived) */
    long spuriousRetransmits() {
        return spuriousRetransmits;
    }

    /** @return SACKed frames above a hole that now prove it lost (3, raised by reordering) */
    int reorderingThreshold() {
        return reorderingThreshold;
    }

    /**
     * Starts processing one incoming acknowledgement.
     *
     * @param valid whether {@code echoed} is an echo of a timestamp this side sent; if
     *     not, it is not used at all (no RACK evidence, no spurious-retransmission check)
     * @param echoed the acknowledgement's echoed timestamp: the newest send time of ours the peer had seen
     */
    void beginAck(boolean valid, long echoed) {
        echoValid = valid;
        echoedTimestamp = echoed;
        if (valid && (latestEchoed == Long.MIN_VALUE || echoed - latestEchoed > 0)) {
            latestEchoed = echoed;
            drainPipe();
        }
        newInformation = false;
        newestCleanDeliverySentAt = Long.MIN_VALUE;
    }

    /** @return whether the acknowledgement acknowledged or SACKed anything new */
    boolean hadNewInformation() {
        return newInformation;
    }

    /**
     * @return the send time of the most recently sent frame this acknowledgement newly
     *     delivered that was never retransmitted (Karn's rule), or {@code Long.MIN_VALUE}
     */
    long newestCleanDeliverySentAt() {
        return newestCleanDeliverySentAt;
    }

    /**
     * Processes a cumulative acknowledgement.
     *
     * @param ack every sequence number below it was received; at most {@link #nextToSend()}
     */
    void acknowledgeUpTo(long ack) {
        if (ack <= una) {
            return;
        }
        newInformation = true;
        while (una < ack) {
            SentFrame f = frames.pollBase();
            if (f.sacked) {
                sackedCount--;
                if (f.seq < lossScan) {
                    sackedBelowLossScan--;
                }
            } else {
                unsackedFrames--;
                unsackedBytes -= f.length;
                noteDelivery(f);
            }
            inFlightBytes -= f.length;
            bufferedBytes -= f.length;
            una++;
        }
        sackedRanges.removeBelow(una);
        if (lossScan < una) {
            lossScan = una;
            sackedBelowLossScan = 0;
        }
    }

    /** Processes one SACK range {@code [start, end)}, clipped to the frames in flight. */
    void acknowledgeRange(long start, long end) {
        long from = Math.max(start, una);
        long to = Math.min(end, nextToSend);
        if (from < to) {
            sackedRanges.add(from, to, this);
        }
    }

    @Override
    public void newSpan(long start, long end) {
        newInformation = true;
        for (long s = start; s < end; s++) {
            SentFrame f = frames.get(s);
            f.sacked = true;
            sackedCount++;
            if (s < lossScan) {
                sackedBelowLossScan++;
            }
            unsackedFrames--;
            unsackedBytes -= f.length;
            noteDelivery(f);
        }
    }

    /** @return payload bytes the peer has acknowledged or SACKed so far, each frame counted once */
    long deliveredBytes() {
        return deliveredBytes;
    }

    private void noteDelivery(SentFrame f) {
        leavePipe(f);
        deliveredBytes += f.length;
        if (f.retransmits == 0) {
            newestCleanDeliverySentAt = Math.max(newestCleanDeliverySentAt, f.lastSentAt);
            latestCleanDeliverySentAt = Math.max(latestCleanDeliverySentAt, f.lastSentAt);
        } else if (f.retransmits == 1 && f.lostByEvidence && echoValid && echoedTimestamp - f.lastSentAt < 0) {
            spuriousRetransmits++;
            // The frames SACKed by now all overtook the original: that is the reordering depth.
            int depth = Math.max(f.sackedAboveWhenLost, sackedCount);
            reorderingThreshold = Math.min(MAX_REORDERING_THRESHOLD, Math.max(reorderingThreshold, depth + 1));
            reorderingQuarters = Math.min(MAX_REORDERING_QUARTERS, reorderingQuarters + 1);
        }
    }

    /**
     * Declares frames lost on the evidence gathered so far (see the class comment).
     * Evidence is a frame sent later than the candidate by more than the reordering
     * allowance that was either delivered (SACKed or acknowledged) or seen by the peer at
     * all (its echoed timestamp, RACK-style with timestamps), or enough SACKed frames above
     * it. Echoes only count for frames the acknowledgement could have reported: a peer that
     * hit the SACK range limit may hold frames above its last range without saying so.
     *
     * @param srtt the smoothed round trip: the reordering allowance is a fraction of it
     * @param resendSpacing a retransmission is not declared lost again sooner than this
     *     after it was sent, whatever the evidence
     * @param now the current time
     * @param reportedBelow the acknowledgement accounted for every frame below this
     *     sequence number (its last SACK range's end if it used them all, else unbounded)
     * @return how many frames were newly declared lost
     */
    int detectLosses(long srtt, long resendSpacing, long now, long reportedBelow) {
        long reorderingAllowance = Math.max(RttEstimator.CLOCK_GRANULARITY_NANOS, srtt * reorderingQuarters / 4);
        long deliveredCutoff = cutoff(latestCleanDeliverySentAt, reorderingAllowance);
        long echoCutoff = Math.max(deliveredCutoff, cutoff(latestEchoed, reorderingAllowance));
        int lost = 0;
        while (lossScan < nextToSend) {
            SentFrame f = frames.get(lossScan);
            if (f.sacked) {
                sackedBelowLossScan++;
            } else if (f.retransmits == 0) {
                int sackedAbove = sackedCount - sackedBelowLossScan;
                long evidence = f.seq < reportedBelow ? echoCutoff : deliveredCutoff;
                if (sackedAbove >= reorderingThreshold || f.lastSentAt < evidence) {
                    if (!f.queuedForRetransmit) {
                        f.sackedAboveWhenLost = sackedAbove;
                        markLost(f, true);
                        lost++;
                    }
                } else {
                    break;
                }
            }
            // Frames already retransmitted (after a timeout) are left to the watch below.
            lossScan++;
        }
        while (!retransmittedWatch.isEmpty()) {
            SentFrame f = retransmittedWatch.oldestFrame();
            long sentAt = retransmittedWatch.oldestTime();
            boolean stale = f.seq < una || f.sacked || f.lastSentAt != sentAt;
            if (!stale) {
                long evidence = f.seq < reportedBelow ? echoCutoff : deliveredCutoff;
                if (sentAt >= evidence || now - sentAt < resendSpacing) {
                    break;
                }
                if (!f.queuedForRetransmit) {
                    markLost(f, true);
                    lost++;
                }
            }
            retransmittedWatch.removeOldest();
        }
        return lost;
    }

    private void enterPipe(SentFrame f, long now) {
        // Sends already answered or superseded leave the front at once, so that a peer
        // that never echoes cannot make the list (and the payloads it holds) grow with
        // every send; a hard bound backs that up.
        while (!pipe.isEmpty() && (isStale(pipe.oldestFrame(), pipe.oldestTime())
                || pipe.size() >= MAX_PIPE_ENTRIES)) {
            removeOldestFromPipe();
        }
        pipe.add(f, now);
        f.inPipe = true;
        pipeBytes += f.length;
        pipeFrameCount++;
    }

    private void leavePipe(SentFrame f) {
        if (f.inPipe) {
            f.inPipe = false;
            pipeBytes -= f.length;
            pipeFrameCount--;
        }
    }

    /**
     * Takes out of the pipe every send older than the newest the peer has echoed. Strictly
     * older: frames sent in the same instant as the echoed one may still be queued behind it.
     */
    private void drainPipe() {
        while (!pipe.isEmpty() && pipe.oldestTime() - latestEchoed < 0) {
            removeOldestFromPipe();
        }
    }

    /** Drops the pipe's oldest entry; if it is its frame's latest send, the frame leaves the pipe. */
    private void removeOldestFromPipe() {
        SentFrame f = pipe.oldestFrame();
        if (f.lastSentAt == pipe.oldestTime()) {
            leavePipe(f);
        }
        pipe.removeOldest();
    }

    /** @return whether this send no longer counts: answered, or sent again since */
    private static boolean isStale(SentFrame f, long sentAt) {
        return !f.inPipe || f.lastSentAt != sentAt;
    }

    private static long cutoff(long sentAt, long allowance) {
        return sentAt == Long.MIN_VALUE ? Long.MIN_VALUE : sentAt - allowance;
    }

    /**
     * Recomputes every counter from the frames and compares: for tests, O(window).
     *
     * @throws IllegalStateException naming the first counter that disagrees
     */
    void checkInvariants() {
        int unsacked = 0;
        long unsackedPayload = 0;
        int sacked = 0;
        int sackedBelowScan = 0;
        long inFlight = 0;
        long buffered = 0;
        for (long s = una; s < end; s++) {
            SentFrame f = frames.get(s);
            if (f == null || f.seq != s) {
                throw new IllegalStateException("frame " + s + " missing or misplaced");
            }
            buffered += f.length;
            if (s >= nextToSend) {
                continue;
            }
            inFlight += f.length;
            if (f.sacked) {
                sacked++;
                if (s < lossScan) {
                    sackedBelowScan++;
                }
                if (!sackedRanges.contains(s)) {
                    throw new IllegalStateException("frame " + s + " SACKed but not in the ranges");
                }
            } else {
                unsacked++;
                unsackedPayload += f.length;
            }
        }
        check("unsackedFrames", unsacked, unsackedFrames);
        check("unsackedBytes", unsackedPayload, unsackedBytes);
        check("sackedCount", sacked, sackedCount);
        check("sackedBelowLossScan", sackedBelowScan, sackedBelowLossScan);
        check("inFlightBytes", inFlight, inFlightBytes);
        check("bufferedBytes", buffered, bufferedBytes);
        if (lossScan < una || lossScan > Math.max(una, nextToSend)) {
            throw new IllegalStateException("loss scan " + lossScan + " outside [" + una + ", " + nextToSend + "]");
        }
    }

    private static void check(String what, long expected, long actual) {
        if (expected != actual) {
            throw new IllegalStateException(what + " is " + actual + ", recomputed " + expected);
        }
    }

    /** Drops everything: the session is over. */
    void clear() {
        while (una < end) {
            frames.pollBase();
            una++;
        }
        nextToSend = end;
        lossScan = end;
        sackedBelowLossScan = 0;
        sackedCount = 0;
        bufferedBytes = 0;
        inFlightBytes = 0;
        unsackedFrames = 0;
        unsackedBytes = 0;
        sackedRanges.clear();
        retransmitQueue.clear();
        retransmittedWatch.clear();
        pipe.clear();
        pipeBytes = 0;
        pipeFrameCount = 0;
    }
}
