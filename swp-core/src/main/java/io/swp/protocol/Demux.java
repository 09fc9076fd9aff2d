package io.swp.protocol;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * Routing for one local inbox, as a pure state machine in the manner of quinn-proto's
 * {@code Endpoint::handle}: given a received frame and {@code now}, {@link #route} says
 * what to do with it and never performs I/O itself. It owns
 * <ul>
 *   <li>the session table: a session is found by the peer's inbox and this side's nonce
 *       (every frame after the SYN carries it as its destination nonce), or, for a SYN
 *       repeated before the handshake completes, by the peer's inbox and the peer's nonce;</li>
 *   <li>SYN admission: a SYN opens an incoming session while the endpoint is accepting
 *       and fewer than the accept backlog of incoming sessions wait for the application
 *       (handshaking, or established and not yet taken by {@link #accepted});</li>
 *   <li>the RESET policy: a frame that matches no session, and a refused SYN, is answered
 *       with one RESET ({@link Engine#resetFor}); a RESET is never answered, nor is a frame
 *       addressed to another inbox, which is dropped before anything else;</li>
 *   <li>nonce generation, from an injected random source, never 0 and never one in use
 *       with the same peer;</li>
 *   <li>how the transport's free capacity is shared out among the sessions
 *       ({@link #capacityShare}).</li>
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
     * A SYN opened a new incoming session, already registered; its engine was created
     * from the SYN and owes the SYN_ACK.
     *
     * @param session the new session
     * @param <S> the caller's per-session state
     */
    public record Accept<S>(S session) implements Outcome<S> {
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
        /**
         * Addressed to another inbox (its {@code to} is not this demux's inbox): misrouted
         * or forged. It neither reaches a session nor is answered, so a frame naming a
         * victim's inbox as its sender cannot make this endpoint send that victim a RESET.
         */
        WRONG_INBOX
    }

    private final String localInbox;
    private final RandomGenerator random;
    private final Function<Engine, S> incomingFactory;
    private EngineConfig acceptConfig;
    private int acceptBacklog;
    private boolean accepting = true;

    private final Map<Key, S> byLocalNonce = new HashMap<>();
    private final Map<Key, S> bySynKey = new HashMap<>();
    /** Incoming sessions that the application has not taken yet (handshaking or established). */
    private final Set<S> awaitingAccept = new LinkedHashSet<>();

    // Written by the owning loop only; volatile so stats can be read from other threads.
    private volatile long framesRouted;
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
            return s != null ? new Deliver<>(s) : answerUnknown(frame);
        }
        if (frame.kind() != FrameKind.SYN) {
            return answerUnknown(frame);
        }
        S existing = bySynKey.get(new Key(frame.from(), frame.srcNonce()));
        if (existing != null) {
            return new Deliver<>(existing);
        }
        if (!accepting || awaitingAccept.size() >= acceptBacklog) {
            synsRefused++;
            return answerUnknown(frame);
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
        return new Accept<>(s);
    }

    /**
     * Opens an outgoing session: a fresh nonce, an engine in SYN_SENT, registered.
     *
     * @param remoteInbox the peer's inbox
     * @param config the session's engine settings
     * @param now the current time
     * @param factory wraps the engine in the caller's state
     * @return the new session; its engine owes the SYN
     */
    public S connect(String remoteInbox, EngineConfig config, long now, Function<Engine, S> factory) {
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
    }

    // ---------------------------------------------------------------- outputs

    /**
     * How much of the transport's free room each session may advertise: the free room
     * split evenly among the registered sessions, so that what they advertise together
     * never exceeds what the transport can hold.
     *
     * @param freeFrames frames the transport can still take, or {@link Engine#UNKNOWN_CAPACITY}
     * @param freeBytes bytes the transport can still take, or {@link Engine#UNKNOWN_CAPACITY}
     * @return {frames, bytes} per session, each {@link Engine#UNKNOWN_CAPACITY} if unknown
     */
    public long[] capacityShare(long freeFrames, long freeBytes) {
        int n = Math.max(1, byLocalNonce.size());
        return new long[] {freeFrames < 0 ? Engine.UNKNOWN_CAPACITY : freeFrames / n,
                freeBytes < 0 ? Engine.UNKNOWN_CAPACITY : freeBytes / n};
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

    /** @return frames dropped without an answer */
    public long dropped() {
        return dropped;
    }

    // ---------------------------------------------------------------- internals

    private Outcome<S> answerUnknown(Frame frame) {
        byte[] reset = Engine.resetFor(frame, localInbox);
        if (reset == null) {
            dropped++;
            return new Drop<>(DropReason.UNKNOWN_RESET);
        }
        resetsSent++;
        return new Reply<>(frame.from(), reset);
    }

    private void register(S s) {
        Engine e = s.engine();
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
