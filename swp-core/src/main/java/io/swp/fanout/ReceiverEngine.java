package io.swp.fanout;

import io.swp.protocol.MalformedFrameException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The receiving side of one one-to-many stream: a sans-I/O state machine, driven like
 * {@link PublisherEngine} (inputs {@link #handleFrame(byte[], long)} for frames on the
 * subject and at the receiver's own inbox, {@link #handleTimeout(long)}; commands
 * {@link #pollChunk(long)}, {@link #report(byte[])}, {@link #leave(long)}; outputs
 * {@link #pollTransmit(long)}, {@link #pollTimeout()}, {@link #pollEvent()}). Not
 * thread-safe.
 *
 * <h2>Life</h2>
 * {@link State#DISCOVERING}: waits for a HEARTBEAT on the subject, which names the stream
 * and the publisher's inbox; the receiver keeps to that stream and ignores (counts)
 * frames of any other, so a stale publisher on the same subject cannot interfere.
 * {@link State#JOINING}: sends JOIN every {@link FanoutConfig#joinRetryNanos()} until
 * WELCOME gives its start. {@link State#ACTIVE}: takes data, NACKs gaps, reports its
 * position and free window. {@link State#FAILED}: LOST from the publisher, or the
 * publisher silent for {@link FanoutConfig#silentPublisherNanos()}; data delivered
 * before stays delivered. {@link State#LEFT}: after {@link #leave(long)}.
 *
 * <h2>Window and gaps</h2>
 * The receiver holds frames in {@code [position, position + windowFrames - unread)},
 * where {@code position} is the first frame it misses and unread frames are those the
 * application has not taken; anything beyond is dropped and counted. It advertises
 * {@code windowFrames - unread} as its free window, so its memory is bounded by
 * {@link FanoutConfig#windowFrames()} frames. A frame is missing when a later one (or a
 * heartbeat's next sequence number: tail loss) shows it was sent; it is NACKed
 * {@link FanoutConfig#nackDelayNanos()} after that (reordering allowance) and again every
 * {@link FanoutConfig#nackRetryNanos()} until it arrives. STATUS goes out when the
 * position moved by a quarter window, when the window reopens, at the end of the stream,
 * and at least every {@link FanoutConfig#statusIntervalNanos()} (the publisher's proof
 * that the receiver lives).
 *
 * <h2>Reports</h2>
 * {@link #report(byte[])} queues a small message for the publisher (a file's verified
 * digest, say); reports go one at a time, in order, resent until acknowledged.
 */
public final class ReceiverEngine {
    private static final long NEVER = Long.MAX_VALUE;
    /** Most reports queued at once. */
    public static final int MAX_QUEUED_REPORTS = 64;
    /** Largest report. */
    public static final int MAX_REPORT_BYTES = 1024;

    /** The states of a receiver. */
    public enum State {
        /** Waiting for a publisher's heartbeat. */
        DISCOVERING,
        /** Asking the publisher to be admitted. */
        JOINING,
        /** A member, receiving. */
        ACTIVE,
        /** Cannot continue; see {@link ReceiverEngine#failure()}. */
        FAILED,
        /** Left the stream. */
        LEFT
    }

    /** Events of a receiver. */
    public enum Event {
        /** Admitted; {@link ReceiverEngine#start()} is known. */
        WELCOMED,
        /** A report was acknowledged. */
        REPORT_ACKED,
        /** The receiver failed; see {@link ReceiverEngine#failure()}. */
        FAILED
    }

    private final FanoutConfig config;
    private final String subject;
    private final String inbox;
    private final long nonce;

    private State state = State.DISCOVERING;
    private LostReason failure;
    private long stream;
    private String publisherInbox;
    private long lastPublisherHeard;

    private long start;
    private long position;
    private long highestKnown = -1;
    private long finSeq = -1;
    private final HashMap<Long, FanoutFrame> held = new HashMap<>();
    private final ArrayDeque<FanoutChunk> readable = new ArrayDeque<>();
    private final TreeMap<Long, long[]> missing = new TreeMap<>();

    private long joinAt;
    private long nextStatusAt = NEVER;
    private boolean statusDue;
    private long reportedPosition;
    private long reportedFree;
    private boolean leaveDue;

    private final ArrayDeque<byte[]> reports = new ArrayDeque<>();
    private long reportIndex;
    private long reportAt;

    private final ArrayDeque<Event> events = new ArrayDeque<>();
    private final Stats stats = new Stats();

    /**
     * @param config the settings ({@link FanoutConfig#windowFrames()}, {@link FanoutConfig#lateJoin()}, …)
     * @param subject the subject the receiver is subscribed to
     * @param inbox the receiver's own inbox, for WELCOME, LOST and unicast repairs
     * @param nonce the receiver's nonce: random, non-zero
     * @param now the current time
     */
    public ReceiverEngine(FanoutConfig config, String subject, String inbox, long nonce, long now) {
        this.config = Objects.requireNonNull(config, "config");
        this.subject = Objects.requireNonNull(subject, "subject");
        this.inbox = Objects.requireNonNull(inbox, "inbox");
        if (nonce == 0) {
            throw new IllegalArgumentException("receiver nonce must be non-zero");
        }
        this.nonce = nonce;
        this.lastPublisherHeard = now;
    }

    // ---------------------------------------------------------------- getters

    /** @return the state */
    public State state() {
        return state;
    }

    /** @return why the receiver failed, or null */
    public LostReason failure() {
        return failure;
    }

    /** @return the subject */
    public String subject() {
        return subject;
    }

    /** @return the receiver's inbox */
    public String inbox() {
        return inbox;
    }

    /** @return the receiver's nonce */
    public long nonce() {
        return nonce;
    }

    /** @return the stream followed, 0 before one is found */
    public long stream() {
        return stream;
    }

    /** @return the sequence number this receiver's stream started at (known once welcomed) */
    public long start() {
        return start;
    }

    /** @return the first sequence number not yet received in order */
    public long position() {
        return position;
    }

    /** @return frames received in order but not yet taken by {@link #pollChunk(long)} */
    public int readableFrames() {
        return readable.size();
    }

    /** @return whether the end of the stream was received and everything before it taken */
    public boolean isEndOfStream() {
        return finSeq >= 0 && position > finSeq && readable.isEmpty();
    }

    /** @return whether every queued report was acknowledged */
    public boolean reportsAcknowledged() {
        return reports.isEmpty();
    }

    /** @return counters since creation */
    public Stats stats() {
        return stats;
    }

    // ---------------------------------------------------------------- commands

    /**
     * Takes the next in-order frame's data.
     *
     * @param now the current time
     * @return the chunk, or null when none is ready
     */
    public FanoutChunk pollChunk(long now) {
        FanoutChunk c = readable.poll();
        if (c != null && reportedFree < config.windowFrames() / 4 && free() >= config.windowFrames() / 4) {
            statusDue = true;
        }
        return c;
    }

    /**
     * Queues a report for the publisher.
     *
     * @param payload at most {@link #MAX_REPORT_BYTES} bytes
     * @return false if {@link #MAX_QUEUED_REPORTS} are already waiting
     */
    public boolean report(byte[] payload) {
        if (payload.length > MAX_REPORT_BYTES) {
            throw new IllegalArgumentException("report of " + payload.length + " bytes exceeds " + MAX_REPORT_BYTES);
        }
        if (reports.size() >= MAX_QUEUED_REPORTS) {
            return false;
        }
        reports.add(payload.clone());
        return true;
    }

    /**
     * Leaves the stream: one LEAVE goes to the publisher (if one is known) and the
     * receiver stops.
     *
     * @param now the current time
     */
    public void leave(long now) {
        if (state == State.LEFT || state == State.FAILED) {
            return;
        }
        leaveDue = publisherInbox != null;
        state = State.LEFT;
    }

    // ---------------------------------------------------------------- inputs

    /**
     * Handles a frame that arrived on the subject or at the receiver's inbox. Malformed
     * frames are counted and dropped.
     *
     * @param encoded the frame
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
     * Handles a decoded frame.
     *
     * @param f the frame
     * @param now the current time
     */
    public void handleFrame(FanoutFrame f, long now) {
        if (state == State.FAILED || state == State.LEFT) {
            return;
        }
        if (stream == 0) {
            if (f.kind() == FanoutKind.HEARTBEAT && !f.inbox().isEmpty()) {
                stream = f.stream();
                publisherInbox = f.inbox();
                state = State.JOINING;
                joinAt = now;
                lastPublisherHeard = now;
            } else {
                stats.beforeJoinDropped++;
            }
            return;
        }
        if (f.stream() != stream) {
            stats.staleDropped++;
            return;
        }
        if (f.receiver() != 0 && f.receiver() != nonce) {
            stats.strayDropped++;
            return;
        }
        switch (f.kind()) {
            case HEARTBEAT -> {
                lastPublisherHeard = now;
                if (state == State.ACTIVE) {
                    noteSent(f.seq() - 1, now);
                }
            }
            case DATA -> onData(f, now);
            case WELCOME -> onWelcome(f, now);
            case LOST -> {
                if (f.receiver() == nonce) {
                    fail(LostReason.ofCode(f.aux()));
                } else {
                    stats.strayDropped++;
                }
            }
            case REPORT_ACK -> {
                lastPublisherHeard = now;
                if (f.seq() == reportIndex && !reports.isEmpty()) {
                    reports.poll();
                    reportIndex++;
                    reportAt = now;
                    events.add(Event.REPORT_ACKED);
                }
            }
            default -> stats.strayDropped++;
        }
    }

    /**
     * Runs due timers: the silent-publisher bound. NACKs, STATUS, JOIN and REPORT retries
     * come out of {@link #pollTransmit(long)} when due.
     *
     * @param now the current time
     */
    public void handleTimeout(long now) {
        if ((state == State.JOINING || state == State.ACTIVE)
                && now - lastPublisherHeard >= config.silentPublisherNanos()) {
            fail(LostReason.PUBLISHER_SILENT);
        }
    }

    // ---------------------------------------------------------------- outputs

    /**
     * @param now the current time
     * @return the next frame to send (always to the publisher's inbox), or null
     */
    public FanoutTransmit pollTransmit(long now) {
        if (leaveDue) {
            leaveDue = false;
            return out(FanoutFrame.control(FanoutKind.LEAVE, stream, position, 0, nonce, inbox));
        }
        if (state == State.JOINING) {
            if (now >= joinAt) {
                joinAt = now + config.joinRetryNanos();
                long mode = config.lateJoin() == LateJoin.FROM_BACKLOG ? FanoutFrame.JOIN_FROM_BACKLOG : 0;
                return out(FanoutFrame.control(FanoutKind.JOIN, stream, config.windowFrames(), mode, nonce, inbox));
            }
            return null;
        }
        if (state != State.ACTIVE) {
            return null;
        }
        long[] ranges = dueNacks(now);
        if (ranges != null) {
            stats.nacksSent++;
            return status(new FanoutFrame(FanoutKind.NACK, stream, position, free(), nonce, inbox, ranges, null), now);
        }
        if (statusDue || now >= nextStatusAt) {
            return status(FanoutFrame.control(FanoutKind.STATUS, stream, position, free(), nonce, inbox), now);
        }
        if (!reports.isEmpty() && now >= reportAt) {
            reportAt = now + config.joinRetryNanos();
            return out(new FanoutFrame(FanoutKind.REPORT, stream, reportIndex, 0, nonce, inbox, null, reports.peek()));
        }
        return null;
    }

    /** @return when {@link #handleTimeout(long)} or {@link #pollTransmit(long)} should next run */
    public long pollTimeout() {
        if (state == State.JOINING) {
            return Math.min(joinAt, lastPublisherHeard + config.silentPublisherNanos());
        }
        if (state != State.ACTIVE) {
            return leaveDue ? Long.MIN_VALUE : NEVER;
        }
        long t = Math.min(nextStatusAt, lastPublisherHeard + config.silentPublisherNanos());
        if (!reports.isEmpty()) {
            t = Math.min(t, reportAt);
        }
        for (long[] m : missing.values()) {
            t = Math.min(t, nackDueAt(m));
        }
        return t;
    }

    /** @return the next event, or null */
    public Event pollEvent() {
        return events.poll();
    }

    @Override
    public String toString() {
        return "ReceiverEngine{" + inbox + "#" + Long.toHexString(nonce) + " " + state + " stream "
                + Long.toHexString(stream) + " at " + position + "}";
    }

    // ---------------------------------------------------------------- internals

    private void onWelcome(FanoutFrame f, long now) {
        lastPublisherHeard = now;
        if (state != State.JOINING || f.receiver() != nonce) {
            return;
        }
        state = State.ACTIVE;
        start = f.seq();
        position = start;
        reportedPosition = start;
        highestKnown = Math.max(highestKnown, start - 1);
        statusDue = true;
        events.add(Event.WELCOMED);
    }

    private void onData(FanoutFrame f, long now) {
        lastPublisherHeard = now;
        if (state != State.ACTIVE) {
            stats.beforeJoinDropped++;
            return;
        }
        long seq = f.seq();
        if (seq < position || held.containsKey(seq)) {
            stats.duplicates++;
            return;
        }
        if (finSeq >= 0 && seq > finSeq || seq >= position + free()) {
            stats.noRoomDropped++;
            return;
        }
        if (f.has(FanoutFrame.FIN)) {
            finSeq = seq;
        }
        held.put(seq, f);
        missing.remove(seq);
        stats.framesReceived++;
        if (f.has(FanoutFrame.REPAIR)) {
            stats.repairsReceived++;
        }
        noteSent(seq - 1, now);
        highestKnown = Math.max(highestKnown, seq);
        FanoutFrame next;
        while ((next = held.remove(position)) != null) {
            if (!next.has(FanoutFrame.FIN)) {
                readable.add(new FanoutChunk(position, next.payload(), next.has(FanoutFrame.SOM),
                        next.has(FanoutFrame.EOM)));
                stats.payloadBytesReceived += next.payload().length;
            }
            position++;
        }
        if (position - reportedPosition >= Math.max(1, config.windowFrames() / 4) || finSeq >= 0 && position > finSeq) {
            statusDue = true;
        }
    }

    /** Records that every frame up to {@code last} was sent: the ones not held are missing. */
    private void noteSent(long last, long now) {
        long limit = Math.min(last, position + config.windowFrames() - 1);
        if (finSeq >= 0) {
            limit = Math.min(limit, finSeq);
        }
        for (long s = Math.max(highestKnown + 1, position); s <= limit; s++) {
            if (!held.containsKey(s)) {
                missing.put(s, new long[] {now, NEVER});
            }
        }
        highestKnown = Math.max(highestKnown, limit);
    }

    private long nackDueAt(long[] m) {
        return m[1] == NEVER ? m[0] + config.nackDelayNanos() : m[1] + config.nackRetryNanos();
    }

    private long[] dueNacks(long now) {
        if (missing.isEmpty()) {
            return null;
        }
        long[] buf = null;
        int n = 0;
        long prev = -2;
        for (Iterator<Map.Entry<Long, long[]>> it = missing.entrySet().iterator(); it.hasNext();) {
            Map.Entry<Long, long[]> e = it.next();
            long seq = e.getKey();
            if (seq < position) {
                it.remove();
                continue;
            }
            long[] m = e.getValue();
            if (nackDueAt(m) > now) {
                continue;
            }
            if (buf == null) {
                buf = new long[FanoutCodec.MAX_NACK_RANGES * 2];
            }
            if (seq == prev + 1 && n > 0) {
                buf[n - 1] = seq;
            } else if (n < buf.length) {
                buf[n++] = seq;
                buf[n++] = seq;
            } else {
                break;
            }
            m[1] = now;
            prev = seq;
        }
        return buf == null ? null : java.util.Arrays.copyOf(buf, n);
    }

    private FanoutTransmit status(FanoutFrame f, long now) {
        statusDue = false;
        reportedPosition = position;
        reportedFree = free();
        nextStatusAt = now + config.statusIntervalNanos();
        stats.statusSent++;
        return out(f);
    }

    private FanoutTransmit out(FanoutFrame f) {
        return new FanoutTransmit(publisherInbox, FanoutCodec.encode(f), false);
    }

    private long free() {
        return Math.max(0, config.windowFrames() - readable.size());
    }

    private void fail(LostReason reason) {
        if (state == State.FAILED) {
            return;
        }
        state = State.FAILED;
        failure = reason;
        held.clear();
        missing.clear();
        events.add(Event.FAILED);
    }

    /** Counters of a receiver. */
    public static final class Stats {
        long framesReceived;
        long payloadBytesReceived;
        long repairsReceived;
        long duplicates;
        long noRoomDropped;
        long beforeJoinDropped;
        long malformedDropped;
        long staleDropped;
        long strayDropped;
        long nacksSent;
        long statusSent;

        Stats() {
        }

        /** @return distinct data frames taken in */
        public long framesReceived() {
            return framesReceived;
        }

        /** @return payload bytes delivered in order */
        public long payloadBytesReceived() {
            return payloadBytesReceived;
        }

        /** @return repairs taken in */
        public long repairsReceived() {
            return repairsReceived;
        }

        /** @return data frames already held or delivered */
        public long duplicates() {
            return duplicates;
        }

        /** @return data frames beyond the window */
        public long noRoomDropped() {
            return noRoomDropped;
        }

        /** @return frames dropped before the receiver was a member */
        public long beforeJoinDropped() {
            return beforeJoinDropped;
        }

        /** @return frames that could not be decoded */
        public long malformedDropped() {
            return malformedDropped;
        }

        /** @return frames of another stream */
        public long staleDropped() {
            return staleDropped;
        }

        /** @return frames for another receiver, or of a kind a receiver does not take */
        public long strayDropped() {
            return strayDropped;
        }

        /** @return NACK frames sent */
        public long nacksSent() {
            return nacksSent;
        }

        /** @return STATUS and NACK frames sent */
        public long statusSent() {
            return statusSent;
        }

        @Override
        public String toString() {
            return "received " + framesReceived + " frames / " + payloadBytesReceived + " B, " + repairsReceived
                    + " repairs, " + duplicates + " duplicates; dropped " + noRoomDropped + " no room, "
                    + beforeJoinDropped + " before join, " + malformedDropped + " malformed, " + staleDropped
                    + " stale, " + strayDropped + " stray; sent " + nacksSent + " NACKs, " + statusSent + " status";
        }
    }
}
