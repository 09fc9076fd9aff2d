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
 * {@link FanoutConfig#nackRetryNanos()} (or twice the measured delay from a NACK to its
 * repair, when longer) until it arrives. STATUS goes out when the
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
    /** Most retry intervals a NACK retry waits for, however long repairs take to arrive. */
    private static final long MAX_RETRY_FACTOR = 4;
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
    /** When the oldest NACK not yet followed by a repair went out, or NEVER. */
    private long nackOutAt = NEVER;
    /** Smoothed delay from a NACK to the first repair after it; 0 before the first sample. */
    private long repairDelay;
    /** Frames per parity block, learnt from the publisher's heartbeat; 0 without parity. */
    private int fec;
    /** Delivered frames of the block {@code position} is in, kept to decode parity with. */
    private final HashMap<Long, FanoutFrame> retained = new HashMap<>();
    private long retainedFrom;
    /** Parity rows held per block start: row index to parity bytes. */
    private final HashMap<Long, TreeMap<Integer, byte[]>> parity = new HashMap<>();
    /** Parity rows that arrived before the WELCOME; with {@link #held}, at most a window of frames. */
    private final ArrayDeque<FanoutFrame> earlyParity = new ArrayDeque<>();

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
                learnBlock(f);
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
                learnBlock(f);
                lastPublisherHeard = now;
                if (state == State.ACTIVE) {
                    noteSent(f.seq() - 1, now);
                }
            }
            case DATA -> onData(f, now);
            case PARITY -> onParity(f, now);
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
            if (nackOutAt == NEVER) {
                nackOutAt = now;
            }
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
        retainedFrom = start;
        reportedPosition = start;
        highestKnown = Math.max(highestKnown, start - 1);
        statusDue = true;
        events.add(Event.WELCOMED);
        // Frames published after the JOIN may have overtaken the WELCOME: keep those of our stream.
        held.keySet().removeIf(q -> q < start || q >= start + config.windowFrames());
        if (!held.isEmpty()) {
            long last = -1;
            for (Map.Entry<Long, FanoutFrame> e : new TreeMap<>(held).entrySet()) {
                if (finSeq >= 0 && e.getKey() > finSeq) {
                    held.remove(e.getKey());
                    continue;
                }
                if (e.getValue().has(FanoutFrame.FIN)) {
                    finSeq = e.getKey();
                }
                last = e.getKey();
            }
            noteSent(last, now);
            highestKnown = Math.max(highestKnown, last);
            advance(last, now);
        }
        FanoutFrame early;
        while ((early = earlyParity.poll()) != null) {
            onParity(early, now);
        }
    }

    private void onData(FanoutFrame f, long now) {
        lastPublisherHeard = now;
        if (state == State.JOINING && !held.containsKey(f.seq()) && held.size() < config.windowFrames()) {
            held.put(f.seq(), f);
            stats.framesReceived++;
            return;
        }
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
            repairArrived(now);
        }
        noteSent(seq - 1, now);
        highestKnown = Math.max(highestKnown, seq);
        advance(seq, now);
    }

    /** Delivers held frames from {@code position} on, in order; {@code seq} is the frame that just arrived. */
    private void advance(long seq, long now) {
        FanoutFrame next;
        while ((next = held.remove(position)) != null) {
            if (fec > 0) {
                retained.put(position, next);
            }
            if (!next.has(FanoutFrame.FIN)) {
                readable.add(new FanoutChunk(position, next.payload(), next.has(FanoutFrame.SOM),
                        next.has(FanoutFrame.EOM)));
                stats.payloadBytesReceived += next.payload().length;
            }
            position++;
        }
        if (fec > 0) {
            long blockStart = position - position % fec;
            while (retainedFrom < blockStart) {
                retained.remove(retainedFrom++);
            }
            parity.keySet().removeIf(b -> b + fec <= position);
            if (!parity.isEmpty()) {
                tryDecode(seq - seq % fec, now);
            }
        }
        if (position - reportedPosition >= Math.max(1, config.windowFrames() / 4) || finSeq >= 0 && position > finSeq) {
            statusDue = true;
        }
    }

    private void learnBlock(FanoutFrame heartbeat) {
        long[] r = heartbeat.ranges();
        if (fec == 0 && r.length == 2 && r[0] == r[1] && r[0] >= 2 && r[0] <= FanoutConfig.MAX_FEC_BLOCK_FRAMES) {
            fec = (int) r[0];
            retainedFrom = position;
        }
    }

    private void onParity(FanoutFrame f, long now) {
        lastPublisherHeard = now;
        long k = f.aux() >>> 16;
        int row = (int) (f.aux() & 0xffff);
        long block = f.seq();
        if (state == State.JOINING && fec != 0 && k == fec && held.size() + earlyParity.size() < config.windowFrames()) {
            // Parity that overtook the WELCOME, kept like early data: the rows a block got before
            // this receiver was welcomed would otherwise be sent again for it alone.
            earlyParity.add(f);
            return;
        }
        if (state != State.ACTIVE || fec == 0 || k != fec || block % fec != 0 || row >= BlockCode.maxRows(fec)
                || f.payload().length < BlockCode.SYMBOL_OVERHEAD) {
            stats.strayDropped++;
            return;
        }
        if (block + fec <= position || block >= position + config.windowFrames()) {
            stats.duplicates++;
            return;
        }
        TreeMap<Integer, byte[]> rows = parity.computeIfAbsent(block, b -> new TreeMap<>());
        // Never more rows than frames missing in the block: the memory stays within the window.
        if (rows.containsKey(row) || rows.size() >= missingIn(block)) {
            stats.duplicates++;
            return;
        }
        rows.put(row, f.payload());
        stats.parityReceived++;
        repairArrived(now);
        tryDecode(block, now);
    }

    /** @return how many frames of the block are not held (nor delivered) */
    private int missingIn(long block) {
        int n = 0;
        for (long s = Math.max(block, position); s < block + fec; s++) {
            if (!held.containsKey(s) && (finSeq < 0 || s <= finSeq)) {
                n++;
            }
        }
        return n;
    }

    /** Rebuilds the block's missing frames once it holds as many parity rows as frames are missing. */
    private void tryDecode(long block, long now) {
        TreeMap<Integer, byte[]> rows = parity.get(block);
        if (rows == null || rows.isEmpty()) {
            return;
        }
        byte[][] known = new byte[fec][];
        int missingCount = 0;
        for (int i = 0; i < fec; i++) {
            long s = block + i;
            FanoutFrame f = s < position ? retained.get(s) : held.get(s);
            if (f == null && s < position) {
                // A delivered frame not retained (parity learnt late): this block cannot be decoded.
                parity.remove(block);
                return;
            }
            if (f == null) {
                missingCount++;
            } else {
                known[i] = BlockCode.symbol(f.aux() & ~FanoutFrame.REPAIR, f.payload(),
                        f.payload().length + BlockCode.SYMBOL_OVERHEAD);
            }
        }
        if (missingCount == 0) {
            parity.remove(block);
            return;
        }
        if (rows.size() < missingCount) {
            return;
        }
        int[] idx = new int[missingCount];
        byte[][] par = new byte[missingCount][];
        int n = 0;
        for (Map.Entry<Integer, byte[]> e : rows.entrySet()) {
            if (n == missingCount) {
                break;
            }
            idx[n] = e.getKey();
            par[n++] = e.getValue();
        }
        parity.remove(block);
        byte[][] got = BlockCode.decode(fec, known, idx, par);
        if (got == null) {
            stats.malformedDropped++;
            return;
        }
        for (int i = 0; i < fec; i++) {
            if (got[i] != null) {
                byte[] payload = BlockCode.payloadOf(got[i]);
                long flags = BlockCode.flagsOf(got[i]);
                if (payload == null || (flags & ~FanoutFrame.DATA_FLAGS) != 0) {
                    stats.malformedDropped++;
                    continue;
                }
                stats.decoded++;
                onData(FanoutFrame.data(stream, block + i, flags | FanoutFrame.REPAIR, 0, payload), now);
            }
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
                missing.put(s, new long[] {now, NEVER, 0});
            }
        }
        highestKnown = Math.max(highestKnown, limit);
    }

    /**
     * How long a NACKed frame waits before it is asked for again: {@link
     * FanoutConfig#nackRetryNanos()}, or twice the smoothed time from a NACK to the first
     * repair after it when that is longer (at most {@link #MAX_RETRY_FACTOR} retry
     * intervals). Repairs wait behind whatever data is queued at the server and the
     * clients, which can be far longer than the retry interval; asking again before the
     * answer can arrive only made the publisher send the same repairs again, adding to that
     * queue. The cap keeps a lost repair from holding the window back long: measured over
     * nats-server (10 subscribers, 5 % loss), a cap of 16 intervals sent as few bytes as 4
     * but took longer, and no adaptation sent a fifth more.
     */
    private long nackRetry() {
        return Math.max(config.nackRetryNanos(), Math.min(2 * repairDelay, MAX_RETRY_FACTOR * config.nackRetryNanos()));
    }

    /** A repair arrived: the time since the oldest NACK not yet answered is a sample of the repair delay. */
    private void repairArrived(long now) {
        if (nackOutAt == NEVER) {
            return;
        }
        long sample = Math.max(0, now - nackOutAt);
        repairDelay = repairDelay == 0 ? sample : repairDelay + (sample - repairDelay) / 8;
        nackOutAt = NEVER;
    }

    /** Missing entries: {first seen, last NACKed (or NEVER), not before (covered by parity until)}. */
    private long nackDueAt(long[] m) {
        long due = m[1] == NEVER ? m[0] + config.nackDelayNanos() : m[1] + nackRetry();
        return Math.max(due, m[2]);
    }

    private long[] dueNacks(long now) {
        if (missing.isEmpty()) {
            return null;
        }
        // With parity, a block is asked for only as many frames as it lacks beyond the
        // rows held: that count is what the publisher reads as this receiver's need.
        HashMap<Long, Integer> allowance = null;
        if (fec > 0 && !parity.isEmpty()) {
            allowance = new HashMap<>();
            for (Map.Entry<Long, TreeMap<Integer, byte[]>> e : parity.entrySet()) {
                allowance.put(e.getKey(), missingIn(e.getKey()) - e.getValue().size());
            }
            // Frames asked for in this round already (NACKed, not yet due again) use up the allowance too.
            for (Map.Entry<Long, long[]> e : missing.entrySet()) {
                long[] m = e.getValue();
                long block = e.getKey() - e.getKey() % fec;
                if (m[1] != NEVER && m[1] + nackRetry() > now && allowance.containsKey(block)) {
                    allowance.merge(block, -1, Integer::sum);
                }
            }
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
            if (allowance != null) {
                Integer left = allowance.get(seq - seq % fec);
                if (left != null) {
                    if (left <= 0) {
                        // Covered by parity held or asked for: look again after a retry interval.
                        m[2] = now + nackRetry();
                        continue;
                    }
                    allowance.put(seq - seq % fec, left - 1);
                }
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
        retained.clear();
        parity.clear();
        earlyParity.clear();
        events.add(Event.FAILED);
    }

    /** Counters of a receiver. */
    public static final class Stats {
        long framesReceived;
        long payloadBytesReceived;
        long repairsReceived;
        long parityReceived;
        long decoded;
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

        /** @return parity rows taken in */
        public long parityReceived() {
            return parityReceived;
        }

        /** @return frames rebuilt from parity */
        public long decoded() {
            return decoded;
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
                    + " repairs (" + decoded + " decoded from " + parityReceived + " parity rows), " + duplicates + " duplicates; dropped " + noRoomDropped + " no room, "
                    + beforeJoinDropped + " before join, " + malformedDropped + " malformed, " + staleDropped
                    + " stale, " + strayDropped + " stray; sent " + nacksSent + " NACKs, " + statusSent + " status";
        }
    }
}
