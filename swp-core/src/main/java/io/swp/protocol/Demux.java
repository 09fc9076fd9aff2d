package io.swp.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Routing for one local inbox, as a pure state machine in the manner of quinn-proto's
 * {@code Endpoint::handle}: given a received frame and {@code now}, {@link #route} says
 * what to do with it and never performs I/O itself. It owns
 * <ul>
 *   <li>the session table: a session is found by the peer's inbox and this side's nonce
 *       (every frame after the SYN carries it as its destination nonce), or, for a SYN
 *       repeated before the handshake completes, by the peer's inbox and the peer's nonce;</li>
 *   <li>SYN admission: a SYN opens an incoming session while the endpoint is accepting,
 *       fewer than the accept backlog of incoming sessions wait for the application
 *       (handshaking, or established and not yet taken by {@link #accepted}), and the
 *       endpoint holds fewer than its session limits, in all and with that peer inbox;</li>
 *   <li>the RESET policy: a frame that matches no session, and a refused SYN, is answered
 *       with one RESET ({@link Engine#resetFor}); a RESET is never answered, nor is a frame
 *       addressed to another inbox, which is dropped before anything else; such replies
 *       to unknown peers are rate-limited (a token bucket), so the endpoint cannot be
 *       used as a reflector; and a frame whose {@code from} is not a plain NATS subject
 *       (empty tokens, wildcards, whitespace or control characters) is dropped unanswered;</li>
 *   <li>nonce generation, from an injected random source, never 0 and never one in use
 *       with the same peer;</li>
 *   <li>stateless handshakes (SYN cookies): a SYN creates no state at all. It is answered
 *       with one SYN_ACK whose nonce is a keyed hash of the initiator's inbox and nonce and
 *       the time ({@link Engine#statelessSynAck}), and never resent: a lost SYN_ACK is
 *       repaired by the initiator repeating its SYN, which gets the same cookie. The
 *       session is created only when a frame names that nonce, which proves its sender
 *       receives at its {@code from} ({@link Engine#acceptProven}); if the initiator's ACK
 *       is lost, its first data or keepalive names the cookie too. A SYN from a peer this
 *       endpoint does not know therefore costs exactly one reply, no slot and no timer,
 *       whatever subject its {@code from} names, and legitimate connects go on
 *       succeeding during a flood. ({@link #setCookieThreshold} can bring back the
 *       stateful half-open acceptor for tests of the engine's own handshake.)</li>
 *   <li>how the transport's free capacity is shared out, by demand ({@link #plan},
 *       {@link #shareFor}): only sessions that may receive data
 *       ({@link EngineState#mayReceiveData()}) hold a share, so half-open sessions (a SYN
 *       flood, say) and sessions whose peer has finished shrink nobody's share. Among
 *       them, a session is <em>active</em> while its peer has sent data within the last
 *       {@link #setShareTiming share idle time} (a new session starts active); the rest
 *       are <em>idle</em>. Capacity is counted in whole frames ({@code units}: the free
 *       frames, and the free bytes divided by the largest frame expected, after room
 *       for one control frame per shareholder is set aside), because a share below one
 *       frame moves nothing. With no active session, the idle ones split
 *       everything evenly. Otherwise each idle session gets a floor of one frame from at
 *       most a quarter of the units, and the active sessions split the rest evenly
 *       (max-min fair among those that want it); several active sessions split only
 *       half of it, since a share taken back when more turn active may still see what
 *       its peer sent under it (a lone one has no one to overrun). When there is not a
 *       frame for every idle session, none of them gets one: their windows close, and
 *       their peers' window probes ({@link Frame#FLAG_WANTS_WINDOW}, answered with an
 *       update) earn them demand. When the active sessions have fewer units than
 *       members, the units go round: half of them (the
 *       other half is slack for frames still in flight under earlier grants) are granted
 *       as one frame each to that many members at a time, rotating every
 *       {@link #setShareTiming rotation slot}; the others advertise a closed window. So
 *       silent sessions hold at most a frame each, and shares never add up to more than
 *       is free, however many sessions there are.</li>
 * </ul>
 * It is not thread-safe: one loop owns it. Counters may be read from any thread.
 *
 * @param <S> the caller's per-session state; the demux keeps it and hands it back
 */
public final class Demux<S extends Demux.Routed> {

    /** What the demux needs from the caller's per-session state. */
    public interface Routed {
        /** @return the session's engine; the same one for the session's whole life */
        Engine engine();
    }

    /** What to do with one received frame. */
    public sealed interface Outcome<S> permits Deliver, Accept, Reply, Drop {
    }

    /**
     * Hand the frame to an existing session's engine.
     *
     * @param session the session it belongs to
     * @param <S> the caller's per-session state
     */
    public record Deliver<S>(S session) implements Outcome<S> {
    }

    /**
     * A new incoming session, already registered: its engine was created from a SYN and
     * owes the SYN_ACK, or from the frame that answered a stateless SYN_ACK, which the
     * caller must then feed to it.
     *
     * @param session the new session
     * @param deliver the frame to feed the new engine, or null (a SYN, already taken in)
     * @param <S> the caller's per-session state
     */
    public record Accept<S>(S session, Frame deliver) implements Outcome<S> {
    }

    /**
     * Send {@code frame} to {@code inbox}: a RESET for a frame that matched no session,
     * or for a refused SYN.
     *
     * @param inbox where to send it
     * @param frame the encoded frame
     * @param <S> the caller's per-session state
     */
    public record Reply<S>(String inbox, byte[] frame) implements Outcome<S> {
    }

    /**
     * Ignore the frame; it is counted.
     *
     * @param reason why
     * @param <S> the caller's per-session state
     */
    public record Drop<S>(DropReason reason) implements Outcome<S> {
    }

    /** Why a frame was dropped without an answer. */
    public enum DropReason {
        /** A RESET for no session: answering it could start an exchange of resets. */
        UNKNOWN_RESET,
        /** A SYN the engine cannot open a session from (a zero nonce, say). */
        INVALID_SYN,
        /** {@code from} is not a subject a reply could go to: never answered, never routed. */
        INVALID_FROM,
        /** A reply to an unknown peer was due, but the reply rate limit was spent. */
        RATE_LIMITED,
        /**
         * Addressed to another inbox (its {@code to} is not this demux's inbox): misrouted
         * or forged. It neither reaches a session nor is answered, so a frame naming a
         * victim's inbox as its sender cannot make this endpoint send that victim a RESET.
         */
        WRONG_INBOX
    }

    /** Thrown by {@link #connect} when a session limit is reached. */
    public static final class SessionLimitException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        SessionLimitException(String message) {
            super(message);
        }
    }

    /** Capacity of a session that gets no share: nothing beyond the engine's own minimum. */
    private static final long[] NO_SHARE = {0, 0};

    /**
     * Room kept for one control frame (ACK, KEEPALIVE, window probe) per shareholder
     * before data is shared out: the size of such a frame between inboxes of a few dozen
     * characters.
     */
    public static final long CONTROL_FRAME_BYTES = 128;

    /** Default {@link #setShareTiming share idle time}: a few round trips on a local bus. */
    public static final long DEFAULT_SHARE_IDLE_NANOS = 20_000_000L;
    /** Default {@link #setShareTiming rotation slot} of round-robin grants. */
    public static final long DEFAULT_SHARE_ROTATION_NANOS = 10_000_000L;

    private final String localInbox;
    private final RandomGenerator random;
    private final Function<Engine, S> incomingFactory;
    private EngineConfig acceptConfig;
    private int acceptBacklog;
    private int maxSessions = Integer.MAX_VALUE;
    private int maxSessionsPerPeer = Integer.MAX_VALUE;
    private boolean accepting = true;
    // Replies to unknown peers: a token bucket, refilled with time.
    private double replyTokens;
    private double replyBurst = DEFAULT_REPLY_BURST;
    private double repliesPerNano = DEFAULT_REPLIES_PER_SECOND / 1e9;
    private long replyRefilledAt = Long.MIN_VALUE;

    private final Map<Key, S> byLocalNonce = new HashMap<>();
    private final Map<Key, S> bySynKey = new HashMap<>();
    /** Incoming sessions that the application has not taken yet (handshaking or established). */
    private final Set<S> awaitingAccept = new LinkedHashSet<>();
    /** Registered sessions per peer inbox, for the per-peer limit. */
    private final Map<String, Integer> perPeer = new HashMap<>();
    /** Sessions that may receive data, as of their last {@link #refresh}: the capacity's shareholders, in a stable order for rotation. */
    private final Map<S, Share> receivers = new LinkedHashMap<>();
    /** The shareholders active at the last classification, in their stable order. */
    private final List<Share> activeScratch = new ArrayList<>();
    /** The shareholders idle at the last classification, in their stable order. */
    private final List<Share> idleScratch = new ArrayList<>();
    /** Whether a shareholder came, went, or showed demand while idle since the last classification. */
    private boolean sharesChanged = true;
    /** When the first share active at the last classification may go idle. */
    private long activeUntil = Long.MIN_VALUE;
    /** What the shares were last set to. */
    private Grants applied;
    /** Tests set this to compare the plan that reuses its work with one that redoes it every time. */
    boolean classifyEveryPlan;
    /** Plans that visited the shares, for tests. */
    long plansThatSetShares;
    /** Sessions whose grant changed at the last {@link #plan}: they must tell their peers. */
    private final List<S> regranted = new ArrayList<>();
    private long[] handshakeShare = {Engine.UNKNOWN_CAPACITY, Engine.UNKNOWN_CAPACITY};
    private long shareIdleNanos = DEFAULT_SHARE_IDLE_NANOS;
    private long shareRotationNanos = DEFAULT_SHARE_ROTATION_NANOS;
    private long shareDeadline = Long.MAX_VALUE;
    private volatile long rotatingPlans;

    /** Default rate of replies (RESETs) to frames that match no session. */
    public static final int DEFAULT_REPLIES_PER_SECOND = 20_000;
    /** Default number of such replies that may go out at once. */
    public static final int DEFAULT_REPLY_BURST = 2_000;

    /** How long one cookie key epoch lasts; a cookie is valid in its epoch and the next. */
    static final long COOKIE_EPOCH_NANOS = 30_000_000_000L;
    private static final int COOKIE_SECRET_BYTES = 32;

    /** Keyed on first use, from the random source, so nonce draws are the same until cookies are needed. */
    private Mac cookieMac;
    private int cookieThreshold;

    // Written by the owning loop only; volatile so stats can be read from other threads.
    private volatile long cookieSessions;
    private volatile long framesRouted;
    private volatile long repliesRateLimited;
    private volatile long resetsSent;
    private volatile long synsRefused;
    private volatile long sessionsOpened;
    private volatile long dropped;

    /**
     * @param localInbox the inbox this demux routes for
     * @param acceptConfig the engine settings of incoming sessions
     * @param acceptBacklog incoming sessions that may wait for the application at once
     * @param random the source of session nonces (a {@code SecureRandom} in production)
     * @param incomingFactory wraps the engine of a newly accepted session in the caller's state
     */
    public Demux(String localInbox, EngineConfig acceptConfig, int acceptBacklog, RandomGenerator random,
                 Function<Engine, S> incomingFactory) {
        this.localInbox = Objects.requireNonNull(localInbox, "localInbox");
        this.acceptConfig = Objects.requireNonNull(acceptConfig, "acceptConfig");
        this.random = Objects.requireNonNull(random, "random");
        this.incomingFactory = Objects.requireNonNull(incomingFactory, "incomingFactory");
        setAcceptBacklog(acceptBacklog);
    }

    // ---------------------------------------------------------------- policy

    /** @param on whether SYNs open sessions; while off they are refused with a RESET */
    public void setAccepting(boolean on) {
        accepting = on;
    }

    /** @return whether SYNs open sessions */
    public boolean isAccepting() {
        return accepting;
    }

    /** @param backlog incoming sessions that may wait for the application, at least 1 */
    public void setAcceptBacklog(int backlog) {
        if (backlog < 1) {
            throw new IllegalArgumentException("acceptBacklog must be positive, got " + backlog);
        }
        this.acceptBacklog = backlog;
    }

    /**
     * Bounds the sessions this demux holds: SYNs beyond either limit are refused with a
     * RESET, and {@link #connect} throws.
     *
     * @param total sessions in all, at least 1
     * @param perPeerInbox sessions with any one peer inbox, at least 1
     */
    public void setSessionLimits(int total, int perPeerInbox) {
        if (total < 1 || perPeerInbox < 1) {
            throw new IllegalArgumentException("session limits must be positive, got " + total + " and " + perPeerInbox);
        }
        this.maxSessions = total;
        this.maxSessionsPerPeer = perPeerInbox;
    }

    /**
     * Limits the replies (RESETs) to frames that match no session.
     *
     * @param perSecond replies per second in the long run, at least 1
     * @param burst replies that may go out at once, at least 1
     */
    public void setReplyRateLimit(int perSecond, int burst) {
        if (perSecond < 1 || burst < 1) {
            throw new IllegalArgumentException("reply rate limit must be positive, got " + perSecond + "/s, burst "
                    + burst);
        }
        this.repliesPerNano = perSecond / 1e9;
        this.replyBurst = burst;
    }

    /**
     * From how many incoming sessions waiting for the application on, SYNs are answered
     * statelessly (SYN cookies). Default 0: every SYN is. Below a higher threshold a SYN
     * opens a half-open session that resends its SYN_ACK on its own timer to whatever
     * subject the SYN's {@code from} names, an amplifier for forged SYNs; only tests of
     * that stateful handshake should raise it ({@code Integer.MAX_VALUE}: never stateless).
     *
     * @param waiting the threshold, at least 0
     */
    public void setCookieThreshold(int waiting) {
        if (waiting < 0) {
            throw new IllegalArgumentException("cookie threshold must not be negative, got " + waiting);
        }
        this.cookieThreshold = waiting;
    }

    /** @param config the engine settings of sessions accepted from now on */
    public void setAcceptConfig(EngineConfig config) {
        this.acceptConfig = Objects.requireNonNull(config, "config");
    }

    // ---------------------------------------------------------------- inputs

    /**
     * Decides what to do with a frame that arrived at the local inbox.
     *
     * @param frame the decoded frame
     * @param now the current time (a new incoming engine starts its clocks there)
     * @return the outcome; {@link Accept} and {@link Reply} have already changed the
     *     table or the counters, the caller only acts on them
     */
    public Outcome<S> route(Frame frame, long now) {
        framesRouted++;
        if (!frame.to().equals(localInbox)) {
            dropped++;
            return new Drop<>(DropReason.WRONG_INBOX);
        }
        if (frame.dstNonce() != 0) {
            S s = byLocalNonce.get(new Key(frame.from(), frame.dstNonce()));
            if (s != null) {
                noteDemand(s, frame, now);
                return new Deliver<>(s);
            }
            if (frame.kind() != FrameKind.RESET && frame.kind() != FrameKind.SYN && frame.srcNonce() != 0
                    && isPlainSubject(frame.from()) && isCookie(frame, now)) {
                return acceptProven(frame, now);
            }
            return answerUnknown(frame, now);
        }
        if (!isPlainSubject(frame.from())) {
            dropped++;
            return new Drop<>(DropReason.INVALID_FROM);
        }
        if (frame.kind() != FrameKind.SYN) {
            return answerUnknown(frame, now);
        }
        S existing = bySynKey.get(new Key(frame.from(), frame.srcNonce()));
        if (existing != null) {
            return new Deliver<>(existing);
        }
        if (!accepting || awaitingAccept.size() >= acceptBacklog || atLimit(frame.from())) {
            synsRefused++;
            return answerUnknown(frame, now);
        }
        if (frame.srcNonce() == 0) {
            dropped++;
            return new Drop<>(DropReason.INVALID_SYN);
        }
        if (awaitingAccept.size() >= cookieThreshold) {
            if (!takeReplyToken(now)) {
                dropped++;
                repliesRateLimited++;
                return new Drop<>(DropReason.RATE_LIMITED);
            }
            long cookie = cookie(frame.from(), frame.srcNonce(), now / COOKIE_EPOCH_NANOS);
            return new Reply<>(frame.from(), Engine.statelessSynAck(acceptConfig, localInbox, frame, cookie, now,
                    handshakeShare[0], handshakeShare[1]));
        }
        Engine engine;
        try {
            engine = Engine.accept(acceptConfig, localInbox, frame, newNonce(frame.from()), now);
        } catch (IllegalArgumentException e) {
            dropped++;
            return new Drop<>(DropReason.INVALID_SYN);
        }
        S s = incomingFactory.apply(engine);
        register(s);
        awaitingAccept.add(s);
        return new Accept<>(s, null);
    }

    /** A frame named a valid cookie: admit the session it proves, or refuse it. */
    private Outcome<S> acceptProven(Frame frame, long now) {
        if (!accepting || awaitingAccept.size() >= acceptBacklog || atLimit(frame.from())) {
            synsRefused++;
            return answerUnknown(frame, now);
        }
        Engine engine = Engine.acceptProven(acceptConfig, localInbox, frame, frame.dstNonce(), now);
        S s = incomingFactory.apply(engine);
        register(s);
        awaitingAccept.add(s);
        cookieSessions++;
        return new Accept<>(s, frame);
    }

    private boolean isCookie(Frame frame, long now) {
        long epoch = now / COOKIE_EPOCH_NANOS;
        long nonce = frame.dstNonce();
        return nonce == cookie(frame.from(), frame.srcNonce(), epoch)
                || nonce == cookie(frame.from(), frame.srcNonce(), epoch - 1);
    }

    /** @return the keyed hash of (peer, peer's nonce, epoch), never 0: a session nonce no one else can guess */
    private long cookie(String peer, long peerNonce, long epoch) {
        if (cookieMac == null) {
            byte[] secret = new byte[COOKIE_SECRET_BYTES];
            random.nextBytes(secret);
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(secret, "HmacSHA256"));
                cookieMac = mac;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
            }
        }
        cookieMac.update(peer.getBytes(StandardCharsets.UTF_8));
        byte[] numbers = new byte[Long.BYTES * 2];
        ByteBuffer.wrap(numbers).putLong(peerNonce).putLong(epoch);
        byte[] mac = cookieMac.doFinal(numbers);
        long n = ByteBuffer.wrap(mac).getLong();
        return n == 0 ? 1 : n;
    }

    /**
     * Opens an outgoing session: a fresh nonce, an engine in SYN_SENT, registered.
     *
     * @param remoteInbox the peer's inbox
     * @param config the session's engine settings
     * @param now the current time
     * @param factory wraps the engine in the caller's state
     * @return the new session; its engine owes the SYN
     * @throws SessionLimitException if a session limit is reached
     */
    public S connect(String remoteInbox, EngineConfig config, long now, Function<Engine, S> factory) {
        if (atLimit(remoteInbox)) {
            throw new SessionLimitException("session limit reached: " + byLocalNonce.size() + " sessions in all (max "
                    + maxSessions + "), " + perPeer.getOrDefault(remoteInbox, 0) + " with " + remoteInbox + " (max "
                    + maxSessionsPerPeer + ")");
        }
        Engine engine = Engine.connect(config, localInbox, remoteInbox, newNonce(remoteInbox), now);
        S s = factory.apply(engine);
        register(s);
        return s;
    }

    /**
     * The application took an incoming session: it no longer counts against the backlog.
     *
     * @param session a session from an {@link Accept} outcome
     */
    public void accepted(S session) {
        awaitingAccept.remove(session);
    }

    /**
     * Forgets a session (closed, or given up): its frames are answered as unknown from
     * now on, and it no longer counts against the backlog.
     *
     * @param session the session
     */
    public void remove(S session) {
        Engine e = session.engine();
        byLocalNonce.remove(new Key(e.remoteInbox(), e.localNonce()), session);
        if (!e.isInitiator()) {
            bySynKey.remove(new Key(e.remoteInbox(), e.remoteNonce()), session);
        }
        awaitingAccept.remove(session);
        if (receivers.remove(session) != null) {
            sharesChanged = true;
        }
        perPeer.computeIfPresent(e.remoteInbox(), (k, n) -> n > 1 ? n - 1 : null);
    }

    /**
     * Notes a session's state after the caller fed its engine, for capacity sharing. A
     * session that starts to count is presumed active (it has just been set up to move
     * data) until it stays silent for the share idle time.
     *
     * @param session a registered session
     * @param now the current time
     */
    public void refresh(S session, long now) {
        if (session.engine().state().mayReceiveData()) {
            if (!receivers.containsKey(session)) {
                receivers.put(session, new Share(session, now));
                sharesChanged = true;
            }
        } else if (receivers.remove(session) != null) {
            sharesChanged = true;
        }
    }

    /**
     * Sets the timing of capacity sharing.
     *
     * @param idleNanos how long a session whose peer sends no data keeps an active share;
     *     a peer that sends again, or probes a closed window, earns it back
     * @param rotationNanos how long a round-robin grant lasts when there are fewer free
     *     frames than sessions that want one
     * @throws IllegalArgumentException if either is not positive
     */
    public void setShareTiming(long idleNanos, long rotationNanos) {
        if (idleNanos <= 0 || rotationNanos <= 0) {
            throw new IllegalArgumentException("share idle time and rotation slot must be positive, got "
                    + idleNanos + " and " + rotationNanos);
        }
        this.shareIdleNanos = idleNanos;
        this.shareRotationNanos = rotationNanos;
        sharesChanged = true;
    }

    /**
     * A frame routed to an existing session: data shows demand, and so does a window probe
     * (a KEEPALIVE flagged {@link Frame#FLAG_WANTS_WINDOW}), which is how a session without
     * a share asks for one. A liveness KEEPALIVE does not: a peer with nothing to send
     * would otherwise earn an idle session a share at every keepalive, and lose it again
     * a share idle time later, costing two window updates each time.
     */
    private void noteDemand(S session, Frame frame, long now) {
        Share sh = receivers.get(session);
        if (sh != null && (frame.payloadLength() > 0
                || (frame.kind() == FrameKind.KEEPALIVE && frame.hasFlag(Frame.FLAG_WANTS_WINDOW)))) {
            if (now - sh.lastDemandAt >= shareIdleNanos) {
                sharesChanged = true; // an idle share turns active
            }
            sh.lastDemandAt = now;
        }
    }

    // ---------------------------------------------------------------- outputs

    /**
     * Shares out the transport's free room among the sessions that may receive data (as
     * of their last {@link #refresh}), by demand, as the class comment describes. The
     * grants never add up to more than {@code freeFrames} frames or {@code freeBytes}
     * bytes, counting a granted frame as {@code frameBytes}. Sessions whose grant changed
     * are then listed by {@link #regranted()}, and {@link #shareDeadline()} says when the
     * plan changes by itself (an active session goes idle, a rotation slot ends).
     *
     * <p>A plan costs time in the number of shareholders only when something changed: the
     * sort into active and idle ones is redone when a shareholder came, went or turned
     * active again, or the first active one may have gone idle; the shares are set again
     * only when that sort or the grants of a group changed. Otherwise it costs a few
     * arithmetic operations.
     *
     * @param freeFrames frames the transport can still take, or {@link Engine#UNKNOWN_CAPACITY}
     * @param freeBytes bytes the transport can still take, or {@link Engine#UNKNOWN_CAPACITY}
     * @param frameBytes the largest frame a peer is expected to send, at least 1
     * @param now the current time
     */
    public void plan(long freeFrames, long freeBytes, long frameBytes, long now) {
        regranted.clear();
        boolean reclassified = classifyEveryPlan || sharesChanged || now >= activeUntil;
        if (reclassified) {
            classify(now);
        }
        List<Share> active = activeScratch;
        List<Share> idle = idleScratch;
        long next = activeUntil;
        Grants g;
        if (freeFrames < 0 && freeBytes < 0) {
            g = Grants.UNLIMITED;
            handshakeShare = new long[] {Engine.UNKNOWN_CAPACITY, Engine.UNKNOWN_CAPACITY};
        } else {
            long frame = Math.max(1, frameBytes);
            // Every shareholder may send a control frame (an ACK, a window probe) whatever its
            // grant: that room is kept aside before data is shared out.
            long holders = receivers.size();
            if (freeFrames >= 0) {
                freeFrames = Math.max(0, freeFrames - holders);
            }
            if (freeBytes >= 0) {
                freeBytes = Math.max(0, freeBytes - holders * CONTROL_FRAME_BYTES);
            }
            long units = freeFrames >= 0 ? freeFrames : Long.MAX_VALUE;
            if (freeBytes >= 0) {
                units = Math.min(units, freeBytes / frame);
            }
            g = grants(active.size(), idle.size(), units, freeFrames, freeBytes, frame, now);
            // A handshake gets one frame while there is room for a frame per shareholder and
            // more: its first advertisement then lets the peer start, and earn a full share.
            boolean roomy = units != Long.MAX_VALUE && units / 4 > receivers.size();
            handshakeShare = units == Long.MAX_VALUE || roomy
                    ? new long[] {freeFrames < 0 ? Engine.UNKNOWN_CAPACITY : 1, freeBytes < 0 ? Engine.UNKNOWN_CAPACITY : frame}
                    : NO_SHARE;
        }
        // The grants are a few numbers per group; each share is visited only when they (or
        // the groups) changed, so that a step of an endpoint with 10,000 sessions whose
        // shares stay as they were does not walk all of them.
        if (reclassified || !g.equals(applied)) {
            apply(g, active, idle);
            applied = g;
            plansThatSetShares++;
        }
        if (g.rotating()) {
            rotatingPlans++;
            next = Math.min(next, Math.floorDiv(now, shareRotationNanos) * shareRotationNanos + shareRotationNanos);
        }
        shareDeadline = next;
    }

    /**
     * Sorts the shareholders into active and idle ones, in their stable order, and notes
     * when the first active one may go idle. Until then, or until a shareholder comes,
     * goes or shows demand again while idle ({@link #sharesChanged}), the sort stands:
     * demand only ever extends an active share.
     */
    private void classify(long now) {
        activeScratch.clear();
        idleScratch.clear();
        long next = Long.MAX_VALUE;
        for (Share sh : receivers.values()) {
            if (now - sh.lastDemandAt < shareIdleNanos) {
                activeScratch.add(sh);
                next = Math.min(next, sh.lastDemandAt + shareIdleNanos);
            } else {
                idleScratch.add(sh);
            }
        }
        activeUntil = next;
        sharesChanged = false;
    }

    /**
     * What each group gets, from the counts alone: the idle sessions evenly from the pool
     * if every one gets at least a frame, otherwise nothing (idle grants do not rotate: a
     * rotating grant costs a window update to open it and another to take it back, every
     * slot, and idle peers have nothing to send with it; one that does have data probes
     * its closed window, which earns it an active share); the active sessions evenly from
     * what is left (half of it, when there are several) if every member gets at least one
     * frame, otherwise one frame each to half as many members at a time, taken in turn by
     * rotation slot.
     */
    private Grants grants(int nActive, int nIdle, long units, long freeFrames, long freeBytes, long frame, long now) {
        long idleSlots = nActive == 0 ? units : Math.min(nIdle, units / 4);
        long idlePoolFrames = nActive == 0 ? freeFrames : freeFrames < 0 ? -1 : idleSlots;
        long idlePoolBytes = nActive == 0 ? freeBytes : freeBytes < 0 ? -1 : idleSlots * frame;
        boolean idleServed = nIdle > 0 && idleSlots >= nIdle;
        long idleFrames = idleServed ? evenShare(idlePoolFrames, nIdle) : 0;
        long idleBytes = idleServed ? evenShare(idlePoolBytes, nIdle) : 0;
        if (nActive == 0) {
            return new Grants(idleFrames, idleBytes, 0, 0, -1, 0);
        }
        long used = idleServed ? nIdle : 0;
        long slots = units - used;
        long poolFrames = freeFrames < 0 ? -1 : freeFrames - used;
        long poolBytes = freeBytes < 0 ? -1 : freeBytes - used * frame;
        // A peer hears that its share shrank only once the share has halved (Share.set,
        // Engine.setTransportCapacity), so it may go on sending up to twice its share; and
        // when more sessions turn active, the shares already out shrink unannounced. So
        // active sessions that split the room split half of it, as those taking turns do,
        // and what their peers may send stays within the room. A lone active session has
        // no one to overrun: its own frames waiting here are already off the room.
        // (Half the room split n ways is the room split 2n ways.)
        int ways = nActive > 1 ? 2 * nActive : 1;
        if (slots >= ways) {
            return new Grants(idleFrames, idleBytes, evenShare(poolFrames, ways), evenShare(poolBytes, ways), -1, 0);
        }
        long holders = (Math.max(0, slots) + 1) / 2;
        long start = Math.floorMod(Math.floorDiv(now, shareRotationNanos) % nActive * holders, (long) nActive);
        return new Grants(idleFrames, idleBytes, poolFrames < 0 ? Engine.UNKNOWN_CAPACITY : 1,
                poolBytes < 0 ? Engine.UNKNOWN_CAPACITY : frame, holders, start);
    }

    private static long evenShare(long pool, int members) {
        return pool < 0 ? Engine.UNKNOWN_CAPACITY : pool / members;
    }

    /**
     * Sets every share to what its group gets under {@code g}: the idle ones first, as the
     * sessions to serve are then listed, except when nothing is limited.
     */
    private void apply(Grants g, List<Share> active, List<Share> idle) {
        boolean idleFirst = g != Grants.UNLIMITED;
        if (idleFirst) {
            setAll(idle, g.idleFrames(), g.idleBytes());
        }
        int n = active.size();
        for (int i = 0; i < n; i++) {
            boolean holder = g.holders() < 0 || Math.floorMod(i - g.start(), (long) n) < g.holders();
            active.get(i).set(holder ? g.activeFrames() : 0, holder ? g.activeBytes() : 0);
        }
        if (!idleFirst) {
            setAll(idle, g.idleFrames(), g.idleBytes());
        }
    }

    private void setAll(List<Share> group, long frames, long bytes) {
        for (int i = 0, n = group.size(); i < n; i++) {
            group.get(i).set(frames, bytes);
        }
    }

    /**
     * The outcome of a plan, per group: what each idle session gets, and what each active
     * one gets, or, when they take turns ({@code holders >= 0}), what each of the
     * {@code holders} members from position {@code start} on (wrapping) gets.
     */
    private record Grants(long idleFrames, long idleBytes, long activeFrames, long activeBytes, long holders,
                          long start) {
        static final Grants UNLIMITED = new Grants(Engine.UNKNOWN_CAPACITY, Engine.UNKNOWN_CAPACITY,
                Engine.UNKNOWN_CAPACITY, Engine.UNKNOWN_CAPACITY, -1, 0);

        boolean rotating() {
            return holders >= 0;
        }
    }

    /**
     * What one session may advertise: its grant from the last {@link #plan}. A handshake
     * does not count, but gets one frame while there is ample room (its advertisement
     * lets the peer send its first data, which earns a share) and nothing otherwise. A
     * session whose peer has finished gets nothing.
     *
     * @param session a registered session, its engine just fed
     * @return {frames, bytes} the session may advertise, each {@link Engine#UNKNOWN_CAPACITY} if unlimited
     */
    public long[] shareFor(S session) {
        EngineState state = session.engine().state();
        if (state.mayReceiveData()) {
            Share sh = receivers.get(session);
            return sh == null ? handshakeShare : new long[] {sh.frames, sh.bytes};
        }
        return state == EngineState.SYN_SENT || state == EngineState.SYN_RECEIVED ? handshakeShare : NO_SHARE;
    }

    /**
     * @return the sessions whose grant changed at the last {@link #plan}; the caller
     *     serves them so that each tells its peer its new window (a view, valid until the
     *     next plan)
     */
    public List<S> regranted() {
        return Collections.unmodifiableList(regranted);
    }

    /**
     * @return when the last {@link #plan} changes by itself (an active session may go idle,
     *     a rotation slot ends), or {@code Long.MAX_VALUE}; it may be earlier than needed,
     *     when demand has since extended the share that was first to go idle
     */
    public long shareDeadline() {
        return shareDeadline;
    }

    /** @return how many plans had fewer free frames than sessions that wanted one (round-robin grants) */
    public long rotatingPlans() {
        return rotatingPlans;
    }

    /** @return sessions holding a share now (those that may receive data) */
    public int shareholderCount() {
        return receivers.size();
    }

    /** One shareholder: when its peer last showed demand, and what it may advertise. */
    private final class Share {
        final S session;
        long lastDemandAt;
        long frames = -2;
        long bytes = -2;
        /** The grant when the session was last listed for service (its peer told since), or -2. */
        long listedFrames = -2;
        long listedBytes = -2;

        Share(S session, long now) {
            this.session = session;
            this.lastDemandAt = now;
        }

        /**
         * Sets the grant; the session is listed for service only when it changes enough
         * to matter to the peer (opens, closes, doubles or halves) against the grant it
         * was last listed with, so that shares that drift with every frame do not make
         * the owner serve every session every step. Measured against the previous grant
         * instead, a share that shrank a little at a time (each session that connects
         * takes a little from all) was never listed: its peer kept the window of its
         * first grant and, at 10,000 sessions, sent all of it into a queue that had been
         * shared out since.
         */
        void set(long f, long b) {
            if (f == frames && b == bytes) {
                return;
            }
            frames = f;
            bytes = b;
            // Opening from 0 and closing to 0 are "far" too: 0 is below half of anything.
            boolean matters = listedFrames < -1 || far(f, listedFrames) || far(b, listedBytes);
            if (matters) {
                listedFrames = f;
                listedBytes = b;
                regranted.add(session);
            }
        }

        private boolean far(long now, long before) {
            if ((now < 0) != (before < 0)) {
                return true;
            }
            return now >= 0 && (Engine.belowHalf(before, now) || Engine.belowHalf(now, before));
        }
    }

    /** @return the registered sessions, in no particular order (a copy) */
    public List<S> sessions() {
        return new ArrayList<>(byLocalNonce.values());
    }

    /** @return a view of the registered sessions, for iteration by the owner only */
    public Collection<S> sessionsView() {
        return Collections.unmodifiableCollection(byLocalNonce.values());
    }

    /** @return registered sessions */
    public int sessionCount() {
        return byLocalNonce.size();
    }

    /** @return incoming sessions counted against the backlog now */
    public int awaitingAcceptCount() {
        return awaitingAccept.size();
    }

    /** @return frames given to {@link #route} */
    public long framesRouted() {
        return framesRouted;
    }

    /** @return RESETs produced for unknown frames and refused SYNs */
    public long resetsSent() {
        return resetsSent;
    }

    /** @return SYNs refused because the endpoint was not accepting or the backlog was full */
    public long synsRefused() {
        return synsRefused;
    }

    /** @return sessions registered so far, outgoing and incoming */
    public long sessionsOpened() {
        return sessionsOpened;
    }

    /** @return incoming sessions opened by a SYN cookie (a stateless handshake) */
    public long cookieSessions() {
        return cookieSessions;
    }

    /** @return replies to unknown peers not sent because the reply rate limit was spent */
    public long repliesRateLimited() {
        return repliesRateLimited;
    }

    /** @return frames dropped without an answer */
    public long dropped() {
        return dropped;
    }

    // ---------------------------------------------------------------- internals

    private Outcome<S> answerUnknown(Frame frame, long now) {
        if (frame.kind() == FrameKind.RESET) {
            dropped++;
            return new Drop<>(DropReason.UNKNOWN_RESET);
        }
        if (!isPlainSubject(frame.from())) {
            dropped++;
            return new Drop<>(DropReason.INVALID_FROM);
        }
        if (!takeReplyToken(now)) {
            dropped++;
            repliesRateLimited++;
            return new Drop<>(DropReason.RATE_LIMITED);
        }
        resetsSent++;
        return new Reply<>(frame.from(), Engine.resetFor(frame, localInbox));
    }

    private boolean takeReplyToken(long now) {
        if (replyRefilledAt == Long.MIN_VALUE) {
            replyTokens = replyBurst;
        } else if (now > replyRefilledAt) {
            replyTokens = Math.min(replyBurst, replyTokens + (now - replyRefilledAt) * repliesPerNano);
        }
        replyRefilledAt = Math.max(now, replyRefilledAt);
        if (replyTokens < 1) {
            return false;
        }
        replyTokens -= 1;
        return true;
    }

    /**
     * @param subject a frame's {@code from}
     * @return whether it is a plain NATS subject a reply may go to: dot-separated non-empty
     *     tokens without wildcards ({@code *}, {@code >}), whitespace or control characters
     */
    static boolean isPlainSubject(String subject) {
        int n = subject.length();
        if (n == 0 || subject.charAt(0) == '.' || subject.charAt(n - 1) == '.') {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = subject.charAt(i);
            if (c == '*' || c == '>' || Character.isWhitespace(c) || Character.isISOControl(c)
                    || Character.isSpaceChar(c) || c == '.' && subject.charAt(i - 1) == '.') {
                return false;
            }
        }
        return true;
    }

    private boolean atLimit(String peer) {
        return byLocalNonce.size() >= maxSessions || perPeer.getOrDefault(peer, 0) >= maxSessionsPerPeer;
    }

    private void register(S s) {
        Engine e = s.engine();
        perPeer.merge(e.remoteInbox(), 1, Integer::sum);
        byLocalNonce.put(new Key(e.remoteInbox(), e.localNonce()), s);
        if (!e.isInitiator()) {
            bySynKey.put(new Key(e.remoteInbox(), e.remoteNonce()), s);
        }
        sessionsOpened++;
    }

    private long newNonce(String peer) {
        long n;
        do {
            n = random.nextLong();
        } while (n == 0 || byLocalNonce.containsKey(new Key(peer, n)));
        return n;
    }

    /** A peer's inbox and a nonce: ours for established routing, the peer's for SYNs. */
    private record Key(String peer, long nonce) {
    }
}
