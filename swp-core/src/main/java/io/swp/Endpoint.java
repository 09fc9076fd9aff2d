package io.swp;

import io.swp.protocol.CloseReason;
import io.swp.protocol.Engine;
import io.swp.protocol.EngineEvent;
import io.swp.protocol.MalformedFrameException;
import io.swp.protocol.Frame;
import io.swp.protocol.FrameCodec;
import io.swp.protocol.FrameKind;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One local inbox on a {@link Network}, and the sessions that run through it: outgoing
 * ones from {@link #connect(String)}, incoming ones from {@link #accept()}. Many sessions
 * share the inbox; frames are told apart by the peer's inbox and this side's session
 * nonce (a random non-zero number per session).
 *
 * <h2>Threads</h2>
 * An endpoint runs one event-loop thread, however many sessions it has. The network's
 * handler only decodes a frame (malformed frames are counted and dropped) and queues it;
 * the loop feeds frames to the sessions' engines, runs their timers, sends what they
 * produce and wakes application threads blocked in a {@link Session}. Application threads
 * call the engine directly (under the session's lock) and then nudge the loop, which
 * coalesces nudges: one wakeup serves any number of writes made before it runs.
 *
 * <h2>Incoming sessions</h2>
 * A SYN starts a session at once; when its handshake completes it waits in the accept
 * queue. At most {@link SessionConfig#acceptBacklog()} incoming sessions may wait (or
 * handshake) before {@link #accept()} takes them; further SYNs, and every SYN while
 * {@link #setAccepting(boolean) accepting} is off, are answered with a RESET so the
 * connecting side fails fast. Frames for sessions the endpoint does not know are answered
 * with a RESET too.
 *
 * <h2>Transport capacity</h2>
 * The inbox's free buffer ({@link Network.InboxBinding#freeFrames()},
 * {@link Network.InboxBinding#freeBytes()}), together with the loop's own inbound queue,
 * is shared fairly among the open sessions and fed to each engine, so the windows they
 * advertise together never exceed what the transport can hold.
 */
public final class Endpoint implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Endpoint.class);

    /**
     * Frames decoded but not yet taken by the event loop, beyond which arriving frames
     * are dropped (and counted): a bound on the loop's memory if the network outruns it.
     */
    static final int MAX_QUEUED_INBOUND_FRAMES = 1 << 16;
    /** The same bound in bytes (frame sizes summed). */
    static final long MAX_QUEUED_INBOUND_BYTES = 64L * 1024 * 1024;
    /**
     * Frames routed per loop pass before the touched sessions are serviced: large enough
     * to coalesce acknowledgements, small enough that they are not held back for long.
     */
    private static final int MAX_FRAMES_PER_PASS = 256;
    /** Extra time connect allows past the engine's own connect timeout before giving up. */
    private static final long CONNECT_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How long {@link #close()} waits for the event loop thread to stop. */
    private static final long LOOP_JOIN_MILLIS = 5_000;

    private final Network network;
    private final String localInbox;
    private final SessionConfig config;
    private final Clock clock;
    private final Network.InboxBinding binding;
    private final SecureRandom random = new SecureRandom();
    private final Map<SessionKey, Session> sessions = new ConcurrentHashMap<>();

    // Event loop.
    private final Thread loopThread;
    private final ConcurrentLinkedQueue<Inbound> inbound = new ConcurrentLinkedQueue<>();
    private final AtomicInteger inboundCount = new AtomicInteger();
    private final AtomicLong inboundBytes = new AtomicLong();
    private final ConcurrentLinkedQueue<Session> nudgedSessions = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakeRequested = new AtomicBoolean();
    private volatile boolean running = true;
    // Owned by the loop thread.
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private final Map<SessionKey, Session> incomingBySynKey = new HashMap<>();
    private boolean capacityQueryFailed;

    // Accepting.
    private final ReentrantLock acceptLock = new ReentrantLock();
    private final Condition acceptReady = acceptLock.newCondition();
    private final ArrayDeque<Session> acceptQueue = new ArrayDeque<>();
    private final AtomicInteger backlog = new AtomicInteger();
    private volatile boolean accepting = true;
    private volatile boolean closed;

    // Counters.
    private final LongAdder framesReceived = new LongAdder();
    private final LongAdder malformedDropped = new LongAdder();
    private final LongAdder inboundQueueDrops = new LongAdder();
    private final LongAdder resetsSent = new LongAdder();
    private final LongAdder synsRefused = new LongAdder();
    private final LongAdder sessionsOpened = new LongAdder();
    private final LongAdder sendFailures = new LongAdder();

    private Endpoint(Network network, String localInbox, SessionConfig config, Clock clock) throws IOException {
        this.network = Objects.requireNonNull(network, "network");
        this.localInbox = Objects.requireNonNull(localInbox, "localInbox");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.config = capToNetwork(Objects.requireNonNull(config, "config"));
        this.loopThread = new Thread(this::runLoop, "swp-loop-" + localInbox);
        this.loopThread.setDaemon(true);
        this.binding = network.bind(localInbox, this::onFrame);
        this.loopThread.start();
    }

    /**
     * Opens an endpoint with the default configuration.
     *
     * @param network the transport
     * @param localInbox the inbox to bind (a NATS subject, used verbatim)
     * @return the endpoint, accepting incoming sessions
     * @throws IOException if the inbox cannot be bound
     */
    public static Endpoint open(Network network, String localInbox) throws IOException {
        return open(network, localInbox, SessionConfig.defaults());
    }

    /**
     * Opens an endpoint.
     *
     * @param network the transport
     * @param localInbox the inbox to bind
     * @param config the configuration of accepted sessions and the default for connects
     * @return the endpoint, accepting incoming sessions
     * @throws IOException if the inbox cannot be bound
     * @throws IllegalArgumentException if the network's frames cannot hold a payload
     */
    public static Endpoint open(Network network, String localInbox, SessionConfig config) throws IOException {
        return open(network, localInbox, config, Clock.SYSTEM);
    }

    /**
     * Opens an endpoint that reads time from {@code clock}.
     *
     * @param network the transport
     * @param localInbox the inbox to bind
     * @param config the configuration of accepted sessions and the default for connects
     * @param clock the time source passed to the engines and used for timeouts
     * @return the endpoint, accepting incoming sessions
     * @throws IOException if the inbox cannot be bound
     */
    public static Endpoint open(Network network, String localInbox, SessionConfig config, Clock clock)
            throws IOException {
        return new Endpoint(network, localInbox, config, clock);
    }

    /** @return the bound inbox */
    public String localInbox() {
        return localInbox;
    }

    /** @return the configuration of accepted sessions (payload capped to the network) */
    public SessionConfig config() {
        return config;
    }

    /** @return the endpoint's counters */
    public EndpointStats stats() {
        return new EndpointStats(framesReceived.sum(), malformedDropped.sum(), inboundQueueDrops.sum(),
                resetsSent.sum(), synsRefused.sum(), sessionsOpened.sum(), sessions.size(), sendFailures.sum());
    }

    /** @return sessions registered now, closing ones included */
    public int sessionCount() {
        return sessions.size();
    }

    /**
     * Turns accepting of incoming sessions on or off (on by default). While off, SYNs are
     * answered with a RESET: connecting peers fail fast with "refused".
     *
     * @param on whether to accept
     */
    public void setAccepting(boolean on) {
        accepting = on;
    }

    // ------------------------------------------------------------------ connect / accept

    /**
     * Opens a session to {@code remoteInbox} with the endpoint's configuration.
     *
     * @param remoteInbox the peer's inbox
     * @return the established session
     * @throws IOException as for {@link #connect(String, SessionConfig)}
     */
    public Session connect(String remoteInbox) throws IOException {
        return connect(remoteInbox, config);
    }

    /**
     * Opens a session to {@code remoteInbox} and waits for the handshake.
     *
     * @param remoteInbox the peer's inbox
     * @param sessionConfig the session's configuration
     * @return the established session
     * @throws SessionException with {@link CloseReason#CONNECT_TIMEOUT} if nobody answered
     *     within {@link SessionConfig#connectTimeoutNanos()}, or
     *     {@link CloseReason#RESET_BY_PEER} if the peer refused
     * @throws IOException if the endpoint is closed
     */
    public Session connect(String remoteInbox, SessionConfig sessionConfig) throws IOException {
        Objects.requireNonNull(remoteInbox, "remoteInbox");
        if (closed) {
            throw new IOException("endpoint " + localInbox + " is closed");
        }
        SessionConfig effective = capToNetwork(sessionConfig);
        long now = clock.nanoTime();
        Session session;
        SessionKey key;
        do {
            long nonce = newNonce(remoteInbox);
            Engine engine = Engine.connect(effective.engineConfig(), localInbox, remoteInbox, nonce, now);
            session = new Session(this, engine, effective, clock, false);
            key = new SessionKey(remoteInbox, nonce);
        } while (sessions.putIfAbsent(key, session) != null);
        session.key = key;
        sessionsOpened.increment();
        nudge(session);
        Duration timeout = Duration.ofNanos(effective.connectTimeoutNanos());
        try {
            if (!session.awaitEstablished(now + effective.connectTimeoutNanos() + CONNECT_GRACE_NANOS)) {
                session.abort();
                throw connectTimedOut(remoteInbox, timeout);
            }
        } catch (SessionException e) {
            if (e.reason() == CloseReason.CONNECT_TIMEOUT) {
                throw connectTimedOut(remoteInbox, timeout);
            }
            if (e.reason() == CloseReason.RESET_BY_PEER) {
                throw new SessionException(CloseReason.RESET_BY_PEER, "connection to " + remoteInbox
                        + " refused: reset by peer (nobody accepting at that inbox, or its backlog is full)");
            }
            throw e;
        } catch (InterruptedIOException e) {
            session.abort();
            throw e;
        }
        return session;
    }

    private static SessionException connectTimedOut(String remoteInbox, Duration timeout) {
        return new SessionException(CloseReason.CONNECT_TIMEOUT, "connect to " + remoteInbox + " timed out after "
                + timeout + ": no answer to SYN (is anyone listening at that inbox?)");
    }

    /**
     * Waits for the next incoming session.
     *
     * @return an established session
     * @throws IOException if the endpoint is closed (also while waiting)
     * @throws InterruptedIOException if interrupted
     */
    public Session accept() throws IOException {
        return acceptUntil(Long.MAX_VALUE);
    }

    /**
     * Waits at most {@code timeout} for the next incoming session.
     *
     * @param timeout how long to wait
     * @return an established session, or null if none arrived in time
     * @throws IOException if the endpoint is closed
     */
    public Session accept(Duration timeout) throws IOException {
        long now = clock.nanoTime();
        long t = timeout.toNanos();
        return acceptUntil(t >= Long.MAX_VALUE - now ? Long.MAX_VALUE : now + t);
    }

    private Session acceptUntil(long deadline) throws IOException {
        acceptLock.lock();
        try {
            while (true) {
                if (closed) {
                    throw new IOException("endpoint " + localInbox + " is closed");
                }
                Session s = acceptQueue.poll();
                if (s != null) {
                    s.takenByAccept = true;
                    backlog.decrementAndGet();
                    return s;
                }
                if (deadline == Long.MAX_VALUE) {
                    acceptReady.await();
                } else {
                    long wait = deadline - clock.nanoTime();
                    if (wait <= 0) {
                        return null;
                    }
                    acceptReady.awaitNanos(wait);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while accepting on " + localInbox);
        } finally {
            acceptLock.unlock();
        }
    }

    // ------------------------------------------------------------------ close

    /**
     * Closes every session gracefully: sends FIN after their data and waits, at most
     * {@link SessionConfig#closeTimeoutNanos()} in total, until our data and FIN are
     * acknowledged; then at most {@link SessionConfig#shutdownLingerNanos()} for the peers
     * to finish their side (their FIN), lingering about two retransmission timeouts more
     * to answer a late FIN; then resets sessions
     * still open (their peers can still read what arrived, then see
     * {@link CloseReason#RESET_BY_PEER}), stops the event loop and unbinds the inbox.
     * Handshakes in progress are aborted at once. Blocked {@link #accept()} calls fail.
     * Idempotent; never throws.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        accepting = false;
        acceptLock.lock();
        try {
            acceptReady.signalAll();
        } finally {
            acceptLock.unlock();
        }
        List<Session> all = new ArrayList<>(sessions.values());
        for (Session s : all) {
            s.beginShutdownClose();
        }
        long deadline = clock.nanoTime() + config.closeTimeoutNanos();
        for (Session s : all) {
            s.awaitOutputFinished(deadline);
        }
        long peerDeadline = Math.min(deadline, clock.nanoTime() + config.shutdownLingerNanos());
        long linger = 0;
        for (Session s : all) {
            linger = Math.max(linger, s.awaitBothFinished(peerDeadline));
        }
        lingerForLateFins(Math.min(linger, config.timeWaitNanos()));
        running = false;
        LockSupport.unpark(loopThread);
        try {
            loopThread.join(LOOP_JOIN_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Session s : new ArrayList<>(sessions.values())) {
            List<byte[]> resets = s.abortForShutdown();
            for (byte[] f : resets) {
                send(s.engine.remoteInbox(), f);
            }
        }
        sessions.clear();
        binding.close();
    }

    /**
     * Keeps the loop running a little after the last FIN handshake, so a peer whose FIN
     * we acknowledged, but whose copy of that ACK was lost, gets its retransmitted FIN
     * answered instead of waiting out its own timeout.
     */
    private void lingerForLateFins(long nanos) {
        long end = clock.nanoTime() + nanos;
        long left;
        while ((left = end - clock.nanoTime()) > 0) {
            LockSupport.parkNanos(this, left);
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
        }
    }

    // ------------------------------------------------------------------ transport side

    /** The network's frame handler: decode once, queue for the loop, never block. */
    private void onFrame(byte[] frame) {
        framesReceived.increment();
        Frame packet;
        try {
            // The handler owns the frame, so the packet may keep its payload in place.
            packet = FrameCodec.decodeOwned(frame);
        } catch (MalformedFrameException e) {
            malformedDropped.increment();
            LOG.trace("dropped malformed frame on {}: {}", localInbox, e.getMessage());
            return;
        }
        int count = inboundCount.incrementAndGet();
        long bytes = inboundBytes.addAndGet(frame.length);
        if (count > MAX_QUEUED_INBOUND_FRAMES || bytes > MAX_QUEUED_INBOUND_BYTES) {
            inboundCount.decrementAndGet();
            inboundBytes.addAndGet(-frame.length);
            inboundQueueDrops.increment();
            return;
        }
        inbound.add(new Inbound(packet, frame.length));
        wakeLoop();
    }

    /** Asks the loop to service {@code session} soon; coalesces repeated nudges. */
    void nudge(Session session) {
        if (session.nudged.compareAndSet(false, true)) {
            nudgedSessions.add(session);
            wakeLoop();
        }
    }

    private void wakeLoop() {
        if (!wakeRequested.getAndSet(true)) {
            LockSupport.unpark(loopThread);
        }
    }

    private void send(String inbox, byte[] frame) {
        try {
            network.send(inbox, frame);
        } catch (IOException | RuntimeException e) {
            sendFailures.increment();
            LOG.debug("send to {} failed: {}", inbox, e.toString());
        }
    }

    // ------------------------------------------------------------------ event loop

    private void runLoop() {
        List<Session> dirty = new ArrayList<>();
        List<byte[]> out = new ArrayList<>();
        while (running) {
            wakeRequested.set(false);
            long now = clock.nanoTime();
            Inbound in;
            int routed = 0;
            while (routed < MAX_FRAMES_PER_PASS && (in = inbound.poll()) != null) {
                inboundCount.decrementAndGet();
                inboundBytes.addAndGet(-in.frameBytes);
                routed++;
                try {
                    route(in.packet, now, dirty);
                } catch (RuntimeException e) {
                    LOG.warn("failed to route {} on {}", in.packet, localInbox, e);
                }
            }
            Session s;
            while ((s = nudgedSessions.poll()) != null) {
                s.nudged.set(false);
                markDirty(s, dirty);
            }
            Timer t;
            while ((t = timers.peek()) != null && t.deadline <= now) {
                timers.poll();
                if (t.session.scheduledDeadline == t.deadline) {
                    t.session.scheduledDeadline = Long.MAX_VALUE;
                    markDirty(t.session, dirty);
                }
            }
            long[] capacity = sharedCapacity();
            for (Session d : dirty) {
                d.dirty = false;
                if (!d.removed) {
                    service(d, now, capacity, out);
                }
            }
            dirty.clear();
            if (!inbound.isEmpty() || !nudgedSessions.isEmpty()) {
                continue;
            }
            Timer next = timers.peek();
            if (next == null) {
                LockSupport.park(this);
            } else {
                long wait = next.deadline - clock.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(this, wait);
                }
            }
        }
    }

    private static void markDirty(Session s, List<Session> dirty) {
        if (!s.dirty) {
            s.dirty = true;
            dirty.add(s);
        }
    }

    private void route(Frame p, long now, List<Session> dirty) {
        if (p.dstNonce() != 0) {
            Session s = sessions.get(new SessionKey(p.from(), p.dstNonce()));
            if (s != null && !s.removed) {
                s.pendingPackets.add(p);
                markDirty(s, dirty);
            } else {
                answerUnknown(p);
            }
            return;
        }
        if (p.kind() != FrameKind.SYN) {
            answerUnknown(p);
            return;
        }
        SessionKey synKey = new SessionKey(p.from(), p.srcNonce());
        Session existing = incomingBySynKey.get(synKey);
        if (existing != null) {
            existing.pendingPackets.add(p);
            markDirty(existing, dirty);
            return;
        }
        if (!accepting || closed || backlog.get() >= config.acceptBacklog()) {
            synsRefused.increment();
            answerUnknown(p);
            return;
        }
        long nonce = newNonce(p.from());
        Engine engine;
        try {
            engine = Engine.accept(config.engineConfig(), localInbox, p, nonce, now);
        } catch (IllegalArgumentException e) {
            malformedDropped.increment();
            return;
        }
        Session s = new Session(this, engine, config, clock, true);
        s.key = new SessionKey(p.from(), nonce);
        s.synKey = synKey;
        sessions.put(s.key, s);
        incomingBySynKey.put(synKey, s);
        backlog.incrementAndGet();
        sessionsOpened.increment();
        markDirty(s, dirty);
    }

    private void answerUnknown(Frame p) {
        byte[] reset = Engine.resetFor(p, localInbox);
        if (reset != null) {
            resetsSent.increment();
            send(p.from(), reset);
        }
    }

    /** @return {freeFrames, freeBytes} each session may advertise, or UNKNOWN */
    private long[] sharedCapacity() {
        int n = Math.max(1, sessions.size());
        long queueFree = Math.max(0, MAX_QUEUED_INBOUND_FRAMES - inboundCount.get());
        long queueBytesFree = Math.max(0, MAX_QUEUED_INBOUND_BYTES - inboundBytes.get());
        long fm;
        long fb;
        try {
            fm = binding.freeFrames();
            fb = binding.freeBytes();
        } catch (RuntimeException e) {
            // The transport's hint is optional; a failing query must not end the loop
            // (and with it every session of this endpoint).
            if (!capacityQueryFailed) {
                capacityQueryFailed = true;
                LOG.warn("capacity query of inbox {} failed; going on without it", localInbox, e);
            } else {
                LOG.debug("capacity query of inbox {} failed again: {}", localInbox, e.toString());
            }
            fm = Network.InboxBinding.UNKNOWN;
            fb = Network.InboxBinding.UNKNOWN;
        }
        long messages = fm == Network.InboxBinding.UNKNOWN ? queueFree : Math.min(fm, queueFree);
        long bytes = fb == Network.InboxBinding.UNKNOWN ? queueBytesFree : Math.min(fb, queueBytesFree);
        return new long[] {messages / n, bytes / n};
    }

    private void service(Session s, long now, long[] capacity, List<byte[]> out) {
        boolean offerToAccept = false;
        boolean closedNow;
        long deadline;
        s.lock.lock();
        try {
            Engine e = s.engine;
            try {
                List<Frame> pending = s.pendingPackets;
                for (int i = 0, n = pending.size(); i < n; i++) {
                    e.handleFrame(pending.get(i), now);
                }
                pending.clear();
                if (now >= e.pollTimeout()) {
                    e.handleTimeout(now);
                }
                e.setTransportCapacity(capacity[0], capacity[1]);
                byte[] f;
                while ((f = e.pollTransmit(now)) != null) {
                    out.add(f);
                }
                EngineEvent ev;
                while ((ev = e.pollEvent()) != null) {
                    s.afterService(ev);
                    if (ev == EngineEvent.ESTABLISHED && s.incoming && !s.offeredToAccept) {
                        s.offeredToAccept = true;
                        offerToAccept = true;
                    }
                }
                s.drainUnordered();
            } catch (RuntimeException ex) {
                LOG.error("engine failure in {}; aborting the session", s, ex);
                s.pendingPackets.clear();
                if (!e.state().isClosed()) {
                    e.abort(now);
                }
                byte[] f;
                while ((f = e.pollTransmit(now)) != null) {
                    out.add(f);
                }
            }
            s.wakeWaiters();
            deadline = e.pollTimeout();
            closedNow = e.state().isClosed();
        } finally {
            s.lock.unlock();
        }
        String remote = s.engine.remoteInbox();
        for (int i = 0, n = out.size(); i < n; i++) {
            send(remote, out.get(i));
        }
        out.clear();
        if (offerToAccept && !closedNow) {
            offerToAccept(s);
        }
        if (closedNow) {
            remove(s);
        } else if (deadline < s.scheduledDeadline) {
            s.scheduledDeadline = deadline;
            timers.add(new Timer(deadline, s));
        }
    }

    private void offerToAccept(Session s) {
        acceptLock.lock();
        try {
            acceptQueue.add(s);
            acceptReady.signal();
        } finally {
            acceptLock.unlock();
        }
    }

    private void remove(Session s) {
        s.removed = true;
        sessions.remove(s.key, s);
        if (s.synKey != null) {
            incomingBySynKey.remove(s.synKey, s);
        }
        if (s.incoming) {
            acceptLock.lock();
            try {
                if (!s.takenByAccept) {
                    acceptQueue.remove(s);
                    s.takenByAccept = true;
                    backlog.decrementAndGet();
                }
            } finally {
                acceptLock.unlock();
            }
        }
    }

    private long newNonce(String peer) {
        long n;
        do {
            n = random.nextLong();
        } while (n == 0 || sessions.containsKey(new SessionKey(peer, n)));
        return n;
    }

    private SessionConfig capToNetwork(SessionConfig c) {
        int fit = network.maxFrameSize() - FrameCodec.MAX_OVERHEAD_BYTES;
        if (fit < 1) {
            throw new IllegalArgumentException("network frames of " + network.maxFrameSize()
                    + " bytes cannot hold the " + FrameCodec.MAX_OVERHEAD_BYTES + "-byte frame overhead");
        }
        return c.maxPayloadBytes() <= fit ? c : c.toBuilder().maxPayloadBytes(fit).build();
    }

    @Override
    public String toString() {
        return "Endpoint{" + localInbox + ", sessions=" + sessions.size() + "}";
    }

    /** A decoded frame waiting for the loop, with its encoded size for the queue's byte bound. */
    private record Inbound(Frame packet, int frameBytes) {
    }

    /** Routing key: the peer's inbox and a nonce (ours for established routing, the peer's for SYNs). */
    record SessionKey(String peer, long nonce) {
    }

    private record Timer(long deadline, Session session) implements Comparable<Timer> {
        @Override
        public int compareTo(Timer o) {
            return Long.compare(deadline, o.deadline);
        }
    }
}
