package io.swp;

import io.swp.protocol.CloseReason;
import io.swp.protocol.Demux;
import io.swp.protocol.EngineConfig;
import io.swp.protocol.EngineEvent;
import io.swp.protocol.EngineState;
import io.swp.protocol.Frame;
import io.swp.protocol.FrameCodec;
import io.swp.protocol.FrameKind;
import io.swp.protocol.MalformedFrameException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One local inbox on a {@link Network}, and the sessions that run through it: outgoing
 * ones from {@link #connect(String)}, incoming ones from {@link #accept()}. Many sessions
 * share the inbox; frames are told apart by the peer's inbox and this side's session
 * nonce (a random non-zero number per session).
 *
 * <h2>The loop</h2>
 * Everything the endpoint decides happens in {@link #step(long)}: one round of work at a
 * given time. It takes application requests (connect, accept, close), routes the frames
 * that arrived through the pure routing state machine ({@link Demux}: session table, SYN
 * admission, backlog, RESET policy, nonces, capacity sharing), feeds them and due timers
 * to the sessions' engines, and sends what the engines produce. An endpoint from
 * {@link #open} runs its own loop thread that calls {@code step} whenever there is work
 * or a deadline passes; one from {@link #openSteppable} has no thread, and the caller
 * drives it, for instance in virtual time. The network's handler decodes a frame
 * (malformed frames are counted and dropped) and queues it. Application threads call a
 * session's engine directly, under the session's lock, and then nudge the loop, which
 * coalesces nudges: one step serves any number of writes made before it. Steps run under
 * a lock: when the loop thread is idle, an application thread that nudges, or the
 * network's thread once the transport has nothing queued behind the frames it delivered,
 * runs the step itself instead of waking it, and the loop thread is woken only for what
 * must stay on it (application requests, completing futures, shutdown, an earlier timer).
 *
 * <h2>Incoming sessions</h2>
 * A SYN starts a session at once; when its handshake completes it waits in the accept
 * queue. At most {@link EndpointConfig#acceptBacklog()} incoming sessions may wait (or
 * handshake) before {@link #accept()} takes them; further SYNs, and every SYN while
 * {@link #setAccepting(boolean) accepting} is off, are answered with a RESET so the
 * connecting side fails fast. Frames for sessions the endpoint does not know are answered
 * with a RESET too.
 *
 * <h2>Transport capacity and the memory budget</h2>
 * The inbox's free buffer ({@link Network.InboxBinding#freeFrames()},
 * {@link Network.InboxBinding#freeBytes()}), the loop's own inbound queue, and what is
 * left of the endpoint's memory budget ({@link EndpointConfig#memoryBudgetBytes()}: every
 * session's out-of-order and unread data, unordered messages and partial messages,
 * sessions not yet accepted included) are shared fairly among the sessions that may
 * receive data and fed to each engine, so the windows they advertise together never
 * exceed what the transport, or the budget, can hold.
 *
 * <h2>Futures</h2>
 * {@link #connectAsync}, {@link #acceptAsync()}, {@link #closeAsync()} and
 * {@link Session#closeFuture()} are completed on the loop thread, never on a network
 * thread or inside another session's {@code write} (only an endpoint that fails, see
 * {@link #failure()}, fails them on the thread that ran the failing step). Actions
 * attached to them with the non-async {@code CompletableFuture} methods may run on the
 * loop thread, so they must not block.
 */
public final class Endpoint implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Endpoint.class);

    /** Extra time a blocking connect allows past the engine's own connect timeout. */
    private static final long CONNECT_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Extra time a blocking close allows the loop past the shutdown's own deadlines. */
    private static final long CLOSE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);
    /**
     * Control frames (without payload) of one session that may wait in the inbound queue
     * at once: one of each kind an established session exchanges, ACK, KEEPALIVE and FIN,
     * since a newer one replaces a waiting one of the same kind. Room for this many per
     * session is kept out of the shares.
     */
    static final int CONTROL_SLOTS_PER_SESSION = 3;
    /** At shutdown, peers get at least this many retransmission timeouts to send their FIN. */
    private static final int PEER_FIN_RTOS = 4;
    /** Most frames a burst from the network queues before the loop is woken anyway. */
    static final int MAX_FRAMES_PER_WAKE = 16;

    private final Network network;
    private final String localInbox;
    private final EndpointConfig config;
    private final SessionConfig sessionDefaults;
    private final Clock clock;
    private final Network.InboxBinding binding;
    /** Null for an endpoint stepped by its caller. */
    private final Thread loopThread;

    // Handed from other threads to the loop.
    private final ConcurrentLinkedQueue<Inbound> inbound = new ConcurrentLinkedQueue<>();
    private final AtomicInteger inboundCount = new AtomicInteger();
    // Frames queued by the network since the loop was last woken for them (see onFrame).
    private final AtomicInteger framesSinceWake = new AtomicInteger();
    private final AtomicLong inboundBytes = new AtomicLong();
    /** Coalescable control frames waiting in {@link #inbound}, by session and kind (see {@link #coalescable}). */
    private final ConcurrentHashMap<ControlKey, Inbound> queuedControl = new ConcurrentHashMap<>();
    private final AtomicInteger queuedControlFrames = new AtomicInteger();
    private final AtomicLong queuedControlBytes = new AtomicLong();
    /** DATA frames waiting in {@link #inbound}, so that a retransmission of one is not queued twice. */
    private final ConcurrentHashMap<DataKey, Boolean> queuedData = new ConcurrentHashMap<>();
    /** Sessions that have taken data, by local nonce, for the network's thread (see {@link #queueArrival}). */
    private final ConcurrentHashMap<Long, SessionLoopState> receivingByNonce = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<SessionLoopState> nudged = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<LoopTask> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakeRequested = new AtomicBoolean();
    /**
     * Held by whichever thread runs a step: the loop thread, or a thread that brought work
     * while the loop was idle ({@link #tryStepHere}).
     */
    private final ReentrantLock stepLock = new ReentrantLock();
    /** The next deadline as the latest step, on whichever thread, left it. */
    private volatile long stepDeadline = Long.MAX_VALUE;
    /** When the loop thread, going to sleep, next wakes by itself; written by it alone. */
    private volatile long loopDeadline = Long.MAX_VALUE;
    /** Completions of the application's futures, left by steps off the loop thread for it to run. */
    private final ConcurrentLinkedQueue<Runnable> forApplication = new ConcurrentLinkedQueue<>();
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private volatile boolean closing;
    private volatile int sessionsOpen;
    /** What killed the loop, or null while it runs. */
    private volatile Throwable failure;

    // Owned by the loop: read and written only under stepLock.
    /** Whether the step in progress runs on a thread other than the loop's. */
    private boolean steppingElsewhere;
    private final Demux<SessionLoopState> demux;
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private final ArrayDeque<SessionLoopState> acceptQueue = new ArrayDeque<>();
    private final ArrayDeque<CompletableFuture<Session>> acceptWaiters = new ArrayDeque<>();
    private final List<SessionLoopState> dirty = new ArrayList<>();
    private final List<byte[]> outbound = new ArrayList<>();
    private Shutdown shutdown;
    private boolean capacityQueryFailed;
    /** Inbound bytes all sessions held at their last service: what the memory budget has spent. */
    private volatile long bufferedInbound;
    /**
     * Registered sessions whose output is all acknowledged, and those in TIME_WAIT, as of
     * their last service: what a shutdown waits for, counted as sessions change so that
     * a step of a shutdown does not visit every session.
     */
    private int outputFinishedCount;
    private int timeWaitCount;
    /** Payload bytes routed to sessions in this step and not yet serviced. */
    private long routedThisStep;
    /**
     * When the loop last routed a FIN, or a frame for no live session or for one in
     * TIME_WAIT: a shutdown waits until that has been quiet for a while.
     */
    private long lastArrivalAt;
    /** The memory budget less what the transport itself may buffer (see {@link #sessionMemoryBudget()}). */
    private final long sessionBudget;
    /** What one granted frame counts for in capacity sharing: a full frame of the default payload. */
    private final long shareFrameBytes;

    // Counters.
    private final LongAdder framesReceived = new LongAdder();
    private final LongAdder malformedDropped = new LongAdder();
    private final LongAdder inboundQueueDrops = new LongAdder();
    private final LongAdder inboundFramesMerged = new LongAdder();
    private final LongAdder inboundDuplicatesStripped = new LongAdder();
    private final LongAdder sendFailures = new LongAdder();
    private final LongAdder loopFailures = new LongAdder();
    private final LongAdder budgetDrops = new LongAdder();
    private final LongAdder wrongInboxDrops = new LongAdder();

    private Endpoint(Network network, String localInbox, EndpointConfig config, Clock clock, RandomGenerator random,
                     boolean ownThread) throws IOException {
        this.network = Objects.requireNonNull(network, "network");
        this.localInbox = Objects.requireNonNull(localInbox, "localInbox");
        this.clock = Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(config, "config");
        this.sessionDefaults = capToNetwork(config.sessionDefaults());
        this.config = config.toBuilder().sessionDefaults(sessionDefaults).build();
        this.demux = new Demux<>(localInbox, receivingAnyPayload(sessionDefaults), config.acceptBacklog(),
                Objects.requireNonNull(random, "random"),
                engine -> new SessionLoopState(this, engine, sessionDefaults, clock));
        demux.setSessionLimits(config.maxSessions(), config.maxSessionsPerPeer());
        demux.setReplyRateLimit(config.repliesPerSecond(), config.replyBurst());
        demux.setShareTiming(config.shareIdleNanos(), config.shareRotationNanos());
        this.shareFrameBytes = (long) sessionDefaults.maxPayloadBytes() + FrameCodec.MAX_OVERHEAD_BYTES;
        this.loopThread = ownThread ? new Thread(this::runLoop, "swp-loop-" + localInbox) : null;
        this.binding = network.bind(localInbox, new Network.FrameHandler() {
            @Override
            public void onFrame(byte[] frame) {
                Endpoint.this.onFrame(frame, false, false);
            }

            @Override
            public void onFrame(byte[] frame, boolean more) {
                Endpoint.this.onFrame(frame, more, !more);
            }

            @Override
            public void onBurstEnd() {
                wakeForArrivals(false);
            }
        });
        this.sessionBudget = sessionBudget(config.memoryBudgetBytes(), binding);
        if (loopThread != null) {
            loopThread.setDaemon(true);
            loopThread.start();
        }
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
        return open(network, localInbox, EndpointConfig.defaults());
    }

    /**
     * Opens an endpoint with default endpoint settings and the given session defaults.
     *
     * @param network the transport
     * @param localInbox the inbox to bind
     * @param sessionDefaults the configuration of accepted sessions and the default for connects
     * @return the endpoint, accepting incoming sessions
     * @throws IOException if the inbox cannot be bound
     * @throws IllegalArgumentException if the network's frames cannot hold a payload
     */
    public static Endpoint open(Network network, String localInbox, SessionConfig sessionDefaults)
            throws IOException {
        return open(network, localInbox, EndpointConfig.withSessionDefaults(sessionDefaults));
    }

    /**
     * Opens an endpoint that runs its own loop thread on the system clock.
     *
     * @param network the transport
     * @param localInbox the inbox to bind
     * @param config the endpoint's settings, with the session defaults
     * @return the endpoint, accepting incoming sessions
     * @throws IOException if the inbox cannot be bound
     * @throws IllegalArgumentException if the network's frames cannot hold a payload
     */
    public static Endpoint open(Network network, String localInbox, EndpointConfig config) throws IOException {
        return new Endpoint(network, localInbox, config, Clock.SYSTEM, new SecureRandom(), true);
    }

    /**
     * Opens an endpoint without a loop thread: the caller drives it with {@link #step(long)}
     * and {@link #pollTimeout()}, for instance over a simulated network in virtual time.
     * Blocking calls ({@link #connect}, {@link #accept()}, a session's reads and writes)
     * wait for steps that the caller must make from another thread, so a single-threaded
     * test uses the asynchronous forms and non-blocking reads instead, and
     * {@link #closeAsync()} rather than {@link #close()}.
     *
     * @param network the transport
     * @param localInbox the inbox to bind
     * @param config the endpoint's settings, with the session defaults
     * @param clock the time source of the sessions' blocking calls and timeouts; steps get
     *     their time as an argument, which should agree with it
     * @param random the source of session nonces (seeded, for a reproducible run)
     * @return the endpoint, accepting incoming sessions
     * @throws IOException if the inbox cannot be bound
     */
    public static Endpoint openSteppable(Network network, String localInbox, EndpointConfig config, Clock clock,
                                         RandomGenerator random) throws IOException {
        return new Endpoint(network, localInbox, config, clock, random, false);
    }

    /** @return the bound inbox */
    public String localInbox() {
        return localInbox;
    }

    /** @return the endpoint's settings (session payload capped to the network) */
    public EndpointConfig config() {
        return config;
    }

    /** @return the configuration of accepted sessions (payload capped to the network) */
    public SessionConfig sessionDefaults() {
        return sessionDefaults;
    }

    /** @return the endpoint's counters */
    public EndpointStats stats() {
        return new EndpointStats(framesReceived.sum(), malformedDropped.sum(), inboundQueueDrops.sum(),
                demux.resetsSent(), demux.synsRefused(), demux.sessionsOpened(), sessionsOpen, sendFailures.sum(),
                loopFailures.sum(), bufferedInbound, budgetDrops.sum(), demux.repliesRateLimited(),
                wrongInboxDrops.sum(), inboundFramesMerged.sum(),
                inboundDuplicatesStripped.sum());
    }

    /** @return sessions registered after the latest loop step, closing ones included */
    public int sessionCount() {
        return sessionsOpen;
    }

    /**
     * Turns accepting of incoming sessions on or off (on by default), from the next loop
     * step on. While off, SYNs are answered with a RESET: connecting peers fail fast with
     * "refused".
     *
     * @param on whether to accept
     */
    public void setAccepting(boolean on) {
        post(now -> demux.setAccepting(on && shutdown == null));
    }

    /** @return whether {@link #close()} or {@link #closeAsync()} was called */
    public boolean isClosed() {
        return closing;
    }

    // ------------------------------------------------------------------ connect / accept

    /**
     * Opens a session to {@code remoteInbox} with the endpoint's session defaults.
     *
     * @param remoteInbox the peer's inbox
     * @return the established session
     * @throws IOException as for {@link #connect(String, SessionConfig)}
     */
    public Session connect(String remoteInbox) throws IOException {
        return connect(remoteInbox, sessionDefaults);
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
     * @throws InterruptedIOException if interrupted (the handshake is abandoned)
     * @throws IOException if the endpoint is closed
     */
    public Session connect(String remoteInbox, SessionConfig sessionConfig) throws IOException {
        SessionConfig effective = capToNetwork(sessionConfig);
        CompletableFuture<Session> f = connectAsync(remoteInbox, effective);
        long wait = effective.connectTimeoutNanos() + CONNECT_GRACE_NANOS;
        try {
            return f.get(wait, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            f.cancel(false);
            throw connectTimedOut(remoteInbox, Duration.ofNanos(effective.connectTimeoutNanos()));
        } catch (InterruptedException e) {
            f.cancel(false);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while connecting to " + remoteInbox);
        } catch (ExecutionException e) {
            throw asIOException(e.getCause());
        }
    }

    /**
     * Starts opening a session to {@code remoteInbox}. Cancelling the future abandons the
     * handshake (the session is aborted).
     *
     * @param remoteInbox the peer's inbox
     * @param sessionConfig the session's configuration
     * @return completed with the established session, or exceptionally with a
     *     {@link SessionException} as {@link #connect(String, SessionConfig)} throws it
     */
    public CompletableFuture<Session> connectAsync(String remoteInbox, SessionConfig sessionConfig) {
        Objects.requireNonNull(remoteInbox, "remoteInbox");
        SessionConfig effective = capToNetwork(sessionConfig);
        return requestWhileOpen((f, now) -> {
            SessionLoopState s;
            try {
                s = demux.connect(remoteInbox, receivingAnyPayload(effective), now,
                        engine -> new SessionLoopState(this, engine, effective, clock));
            } catch (Demux.SessionLimitException e) {
                f.completeExceptionally(new IOException("cannot connect to " + remoteInbox + " from " + localInbox
                        + ": " + e.getMessage()));
                return;
            }
            s.connectFuture = f;
            f.whenComplete((session, error) -> {
                if (f.isCancelled()) {
                    s.session.abort();
                }
            });
            markDirty(s);
        });
    }

    /**
     * Hands {@code work} to the loop with a future to complete, or fails the future at
     * once (or in the loop) if the endpoint is closing.
     */
    private <T> CompletableFuture<T> requestWhileOpen(Request<T> work) {
        CompletableFuture<T> f = new CompletableFuture<>();
        if (closing) {
            f.completeExceptionally(closedException());
            return f;
        }
        post(new PendingRequest<>(f, work));
        return f;
    }

    /** A request waiting for the loop, with the future it completes. */
    private final class PendingRequest<T> implements LoopTask {
        private final CompletableFuture<T> result;
        private final Request<T> work;

        PendingRequest(CompletableFuture<T> result, Request<T> work) {
            this.result = result;
            this.work = work;
        }

        @Override
        public void run(long now) {
            if (shutdown != null) {
                result.completeExceptionally(closedException());
            } else {
                work.run(result, now);
            }
        }

        void fail() {
            result.completeExceptionally(closedException());
        }
    }

    /**
     * Fails the requests no loop will run any more: the endpoint failed (possibly in a step
     * off the loop thread, which runs no requests) before the loop took them.
     */
    private void failPendingRequests() {
        LoopTask t;
        while ((t = tasks.poll()) != null) {
            if (t instanceof PendingRequest<?> r) {
                r.fail();
            }
        }
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
        CompletableFuture<Session> f = acceptAsync();
        try {
            return f.get();
        } catch (InterruptedException e) {
            return afterInterruptedAccept(f);
        } catch (ExecutionException e) {
            throw asIOException(e.getCause());
        }
    }

    /**
     * Waits at most {@code timeout} for the next incoming session.
     *
     * @param timeout how long to wait
     * @return an established session
     * @throws SocketTimeoutException if none arrived in time
     * @throws IOException if the endpoint is closed
     * @throws InterruptedIOException if interrupted
     */
    public Session accept(Duration timeout) throws IOException {
        CompletableFuture<Session> f = acceptAsync();
        try {
            return f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            if (f.cancel(false)) {
                throw new SocketTimeoutException("no session arrived at " + localInbox + " within " + timeout);
            }
            return f.join(); // the loop handed one over just as the wait ended
        } catch (InterruptedException e) {
            return afterInterruptedAccept(f);
        } catch (ExecutionException e) {
            throw asIOException(e.getCause());
        }
    }

    private Session afterInterruptedAccept(CompletableFuture<Session> f) throws IOException {
        Thread.currentThread().interrupt();
        if (!f.cancel(false) && !f.isCompletedExceptionally()) {
            // Handed over just as the interrupt came: the session is the caller's now, and
            // is closed so that it is not leaked.
            f.join().abort();
        }
        throw new InterruptedIOException("interrupted while accepting on " + localInbox);
    }

    /**
     * Asks for the next incoming session. Waiting requests are served in order; a
     * cancelled one is skipped and its session goes to the next.
     *
     * @return completed with an established session, or exceptionally with an
     *     {@link IOException} when the endpoint closes
     */
    public CompletableFuture<Session> acceptAsync() {
        return requestWhileOpen((f, now) -> {
            acceptWaiters.add(f);
            matchAccepts();
        });
    }

    // ------------------------------------------------------------------ close

    /**
     * Closes every session gracefully and waits until that is done: sends FIN after their
     * data and waits, at most {@link SessionConfig#closeTimeoutNanos()} in total, until our
     * data and FIN are acknowledged; then at most {@link EndpointConfig#shutdownLingerNanos()},
     * or four retransmission timeouts of the slowest session if that is longer (a FIN may
     * need retransmissions under loss), for the peers to finish their side (their FIN);
     * then lets sessions in TIME_WAIT run it out, as TCP does, so that a peer whose last
     * acknowledgement was lost gets its retransmitted FIN answered and its close succeeds
     * (TIME_WAIT lasts {@link SessionConfig#timeWaitNanos()}, at least two retransmission
     * timeouts, restarted by a retransmitted FIN); then resets sessions still open (their peers can
     * still read what arrived, then see {@link CloseReason#RESET_BY_PEER}), stops the loop
     * and unbinds the inbox. Handshakes in progress are aborted at once. Blocked
     * {@link #accept()} calls fail. Idempotent; never throws.
     *
     * <p>An endpoint without a loop thread ({@link #openSteppable}) cannot wait for steps
     * here: if its graceful close has not finished, it resets every session at once.
     */
    @Override
    public void close() {
        CompletableFuture<Void> done = closeAsync();
        if (loopThread == null) {
            if (!done.isDone()) {
                post(this::finishShutdown);
                step(clock.nanoTime());
            }
            return;
        }
        if (Thread.currentThread() == loopThread) {
            return; // from a callback on the loop: the loop finishes the shutdown by itself
        }
        long wait = saturatedAdd(saturatedAdd(sessionDefaults.closeTimeoutNanos(), Math.max(config.shutdownLingerNanos(),
                saturatedMultiply(sessionDefaults.maxRtoNanos(), PEER_FIN_RTOS))), saturatedAdd(maxTimeWaitNanos(),
                CLOSE_GRACE_NANOS));
        boolean interrupted = false;
        try {
            done.get(wait, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("endpoint {} did not shut down cleanly: {}", localInbox, e.toString());
        }
        try {
            loopThread.join(TimeUnit.NANOSECONDS.toMillis(CLOSE_GRACE_NANOS));
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Starts the graceful close that {@link #close()} describes, without waiting.
     *
     * @return completed when every session is finished or reset and the inbox is unbound
     */
    public CompletableFuture<Void> closeAsync() {
        if (!closing) {
            closing = true;
            post(this::beginShutdown);
        }
        return terminated.copy();
    }

    // ------------------------------------------------------------------ the loop

    /**
     * Runs one round of the loop at time {@code now}: application requests, then up to
     * {@link EndpointConfig#maxFramesPerStep()} arrived frames, then nudged sessions and
     * due timers, then everything the touched sessions' engines want sent. Only for an
     * endpoint from {@link #openSteppable}, and only from one thread at a time.
     *
     * @param now the current time, on the clock the endpoint was opened with
     * @return the next deadline ({@link #pollTimeout()})
     * @throws IllegalStateException if the endpoint runs its own loop thread
     */
    public long step(long now) {
        if (loopThread != null && Thread.currentThread() != loopThread) {
            throw new IllegalStateException("endpoint " + localInbox + " runs its own loop thread");
        }
        return stepOrDie(now);
    }

    /** One step, on whichever thread holds the right to it; nothing once terminated. */
    private long stepOrDie(long now) {
        if (terminated.isDone()) {
            return Long.MAX_VALUE;
        }
        try {
            long next = doStep(now);
            stepDeadline = next;
            return next;
        } catch (Throwable t) {
            // Whatever broke (an OutOfMemoryError, a bug), nobody may be left waiting on a
            // loop that no longer runs: fail everything, loudly, and stop.
            die(t);
            throw t;
        }
    }

    private long doStep(long now) {
        if (!steppingElsewhere) {
            // Application requests and the futures they complete stay on the loop thread.
            LoopTask task;
            while ((task = tasks.poll()) != null) {
                task.run(now);
            }
            Runnable completion;
            while ((completion = forApplication.poll()) != null) {
                completion.run();
            }
        }
        if (terminated.isDone()) {
            return Long.MAX_VALUE;
        }
        Inbound in;
        int routed = 0;
        while (routed < config.maxFramesPerStep() && (in = inbound.poll()) != null) {
            Frame frame = dequeue(in);
            routed++;
            route(frame, now);
        }
        SessionLoopState s;
        while ((s = nudged.poll()) != null) {
            s.session.nudged.set(false);
            markDirty(s);
        }
        Timer t;
        while ((t = timers.peek()) != null && t.deadline <= now) {
            timers.poll();
            if (t.session.scheduledDeadline == t.deadline) {
                t.session.scheduledDeadline = Long.MAX_VALUE;
                markDirty(t.session);
            }
        }
        planShares(now);
        for (SessionLoopState d : demux.regranted()) {
            markDirty(d);
        }
        for (SessionLoopState d : dirty) {
            d.dirty = false;
            if (!d.removed) {
                service(d, now);
            }
        }
        dirty.clear();
        routedThisStep = 0;
        if (shutdown != null && !steppingElsewhere) {
            advanceShutdown(now);
        }
        sessionsOpen = demux.sessionCount();
        return pollTimeout();
    }

    /**
     * @return the time of the loop's next deadline (a session timer, or a shutdown phase
     *     ending), or {@code Long.MAX_VALUE} if none; work that arrived in between is
     *     reported by {@link #hasPendingWork()} instead
     */
    public long pollTimeout() {
        if (terminated.isDone()) {
            return Long.MAX_VALUE;
        }
        Timer next = timers.peek();
        long t = Math.min(next == null ? Long.MAX_VALUE : next.deadline, demux.shareDeadline());
        return shutdown == null ? t : Math.min(t, shutdown.deadline());
    }

    /** @return whether frames, nudges, requests or completions wait for the next {@link #step(long)} */
    public boolean hasPendingWork() {
        return !inbound.isEmpty() || !nudged.isEmpty() || !tasks.isEmpty() || !forApplication.isEmpty();
    }

    /** @return whether the endpoint has shut down: sessions finished, inbox unbound */
    public boolean isTerminated() {
        return terminated.isDone();
    }

    /**
     * @return what stopped the endpoint's loop (an {@code OutOfMemoryError}, say), or null
     *     while it runs or after a normal shutdown. A failed endpoint has failed every
     *     session with a {@link SessionException} naming the cause, woken every blocked
     *     call, and unbound its inbox; open a new endpoint to go on.
     */
    public Throwable failure() {
        return failure;
    }

    private void runLoop() {
        while (!terminated.isDone()) {
            stepLock.lock();
            try {
                step(clock.nanoTime());
            } catch (Throwable t) {
                return; // step() has failed the endpoint and said why
            } finally {
                stepLock.unlock();
            }
            if (terminated.isDone()) {
                return;
            }
            // Cleared just before looking for work, never earlier: a wake's unpark can be
            // used up by a park inside a step (the step lock, a session's lock, the
            // transport's send) while that step, or one on another thread, takes the work
            // it was for; left set, it would turn every later wake into a no-op. A wake
            // from here on unparks the park below; one before is for work seen here.
            wakeRequested.set(false);
            if (hasPendingWork()) {
                continue;
            }
            long next = stepDeadline;
            loopDeadline = next;
            if (stepDeadline != next) {
                continue; // a step elsewhere moved the deadline, and may not have seen loopDeadline
            }
            if (next == Long.MAX_VALUE) {
                LockSupport.park(this);
            } else {
                long wait = next - clock.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(this, wait);
                }
            }
        }
    }

    private void route(Frame frame, long now) {
        Demux.Outcome<SessionLoopState> outcome;
        try {
            outcome = demux.route(frame, now);
        } catch (RuntimeException e) {
            LOG.warn("failed to route {} on {}", frame, localInbox, e);
            return;
        }
        if (frame.kind() == FrameKind.FIN || !(outcome instanceof Demux.Deliver<SessionLoopState> d)
                || d.session().engine.state() == EngineState.TIME_WAIT) {
            lastArrivalAt = now; // from a peer that may still be closing: see advanceShutdown
        }
        if (outcome instanceof Demux.Deliver<SessionLoopState> d) {
            if (overBudget(d.session(), frame)) {
                budgetDrops.increment();
                return;
            }
            routedThisStep += frame.payloadLength();
            d.session().pendingFrames.add(frame);
            markDirty(d.session());
        } else if (outcome instanceof Demux.Accept<SessionLoopState> a) {
            // Counted before the same step can hand the session to accept().
            sessionsOpen = demux.sessionCount();
            if (a.deliver() != null) {
                a.session().pendingFrames.add(a.deliver());
            }
            markDirty(a.session());
        } else if (outcome instanceof Demux.Reply<SessionLoopState> r) {
            send(r.inbox(), r.frame());
        } else if (outcome instanceof Demux.Drop<SessionLoopState> d && d.reason() == Demux.DropReason.INVALID_SYN) {
            malformedDropped.increment();
        } else if (outcome instanceof Demux.Drop<SessionLoopState> d && d.reason() == Demux.DropReason.WRONG_INBOX) {
            wrongInboxDrops.increment();
        }
    }

    /**
     * Whether {@code frame} would take the endpoint's inbound data past its memory budget.
     * The windows keep peers that respect them within it; this is the hard bound for those
     * that do not. The frames an engine must take ({@code Engine.mustAccept}) go through:
     * the first frame into an empty buffer, and a frame filling the gap below held frames,
     * without which the budget could fill with frames nobody can ever read.
     */
    private boolean overBudget(SessionLoopState s, Frame frame) {
        int payload = frame.payloadLength();
        if (payload == 0 || bufferedInbound + routedThisStep + payload <= sessionBudget) {
            return false;
        }
        if ((frame.flags() & Frame.FLAG_UNORDERED) != 0) {
            return true;
        }
        s.session.lock.lock(); // the application reads the receive buffer under it
        try {
            return !s.engine.mustAccept(frame.seq());
        } finally {
            s.session.lock.unlock();
        }
    }

    /**
     * Tells the network's thread how far {@code s} has taken data, so that duplicates
     * stop on arrival; the session is listed once it has taken some.
     */
    private void publishReceived(SessionLoopState s) {
        long through = s.engine.receivedThrough();
        if (through == s.receivedThrough) {
            return;
        }
        s.receivedThrough = through;
        if (!s.listedForArrivals) {
            // Data was taken, so the handshake is over and the peer's nonce is fixed.
            s.peerNonce = s.engine.remoteNonce();
            s.listedForArrivals = true;
            receivingByNonce.put(s.engine.localNonce(), s);
        }
    }

    private void markDirty(SessionLoopState s) {
        if (!s.dirty) {
            s.dirty = true;
            dirty.add(s);
        }
    }

    private void service(SessionLoopState s, long now) {
        Session session = s.session;
        boolean closedNow;
        boolean inTimeWait;
        boolean established = false;
        long deadline;
        session.lock.lock();
        try {
            var e = s.engine;
            long partialDeadline = Long.MAX_VALUE;
            try {
                List<Frame> pending = s.pendingFrames;
                for (int i = 0, n = pending.size(); i < n; i++) {
                    e.handleFrame(pending.get(i), now);
                }
                pending.clear();
                publishReceived(s);
                if (now >= e.pollTimeout()) {
                    e.handleTimeout(now);
                }
                partialDeadline = session.checkPartialMessage(now);
                long[] mine = demux.shareFor(s);
                e.setTransportCapacity(mine[0], mine[1]);
                byte[] f;
                while ((f = e.pollTransmit(now)) != null) {
                    outbound.add(f);
                }
                EngineEvent ev;
                while ((ev = e.pollEvent()) != null) {
                    session.onEvent(ev);
                    if (ev == EngineEvent.ESTABLISHED) {
                        established = true;
                    } else if (ev == EngineEvent.OUTPUT_FINISHED && !s.outputFinished) {
                        s.outputFinished = true;
                        outputFinishedCount++;
                    }
                }
                session.drainUnordered();
            } catch (RuntimeException ex) {
                LOG.error("engine failure in {}; aborting the session", session, ex);
                s.pendingFrames.clear();
                if (!e.state().isClosed()) {
                    e.abort(now);
                }
                byte[] f;
                while ((f = e.pollTransmit(now)) != null) {
                    outbound.add(f);
                }
            }
            session.wakeWaiters();
            long held = session.bufferedInboundBytes();
            bufferedInbound += held - s.accountedBytes;
            s.accountedBytes = held;
            deadline = Math.min(e.pollTimeout(), partialDeadline);
            closedNow = e.state().isClosed();
            inTimeWait = e.state() == EngineState.TIME_WAIT;
        } finally {
            session.lock.unlock();
        }
        if (inTimeWait != s.inTimeWait) {
            s.inTimeWait = inTimeWait;
            timeWaitCount += inTimeWait ? 1 : -1;
        }
        String remote = s.engine.remoteInbox();
        for (int i = 0, n = outbound.size(); i < n; i++) {
            send(remote, outbound.get(i));
        }
        outbound.clear();
        if (established && !closedNow) {
            forApplication(() -> {
                if (!s.removed) {
                    onEstablished(s);
                }
            });
        }
        if (closedNow) {
            remove(s);
            return;
        }
        demux.refresh(s, now);
        if (deadline < s.scheduledDeadline) {
            s.scheduledDeadline = deadline;
            timers.add(new Timer(deadline, s));
        }
    }

    private void onEstablished(SessionLoopState s) {
        if (s.connectFuture != null) {
            if (!s.connectFuture.complete(s.session)) {
                s.session.abort(); // the connect was given up
            }
        } else if (!s.offeredToAccept) {
            s.offeredToAccept = true;
            acceptQueue.add(s);
            matchAccepts();
        }
    }

    /** Hands queued sessions to waiting accept requests, skipping cancelled requests. */
    private void matchAccepts() {
        while (!acceptQueue.isEmpty() && !acceptWaiters.isEmpty()) {
            CompletableFuture<Session> waiter = acceptWaiters.poll();
            SessionLoopState s = acceptQueue.peek();
            if (waiter.complete(s.session)) {
                acceptQueue.poll();
                demux.accepted(s);
            }
        }
    }

    private void remove(SessionLoopState s) {
        if (!s.removed) {
            outputFinishedCount -= s.outputFinished ? 1 : 0;
            timeWaitCount -= s.inTimeWait ? 1 : 0;
        }
        s.removed = true;
        bufferedInbound -= s.accountedBytes;
        s.accountedBytes = 0;
        demux.remove(s);
        if (s.listedForArrivals) {
            receivingByNonce.remove(s.engine.localNonce(), s);
        }
        acceptQueue.remove(s);
        CloseReason reason = s.engine.closeReason();
        forApplication(() -> {
            if (s.connectFuture != null && !s.connectFuture.isDone()) {
                s.connectFuture.completeExceptionally(connectFailure(s, reason));
            }
            s.session.onRemoved(reason);
        });
    }

    /**
     * Runs {@code completion} (which completes futures the application holds, and so runs
     * the application's callbacks) now on the loop thread, or leaves it for the loop when
     * the step runs elsewhere: a thread inside some session's {@code write} must not run
     * the application's code.
     */
    private void forApplication(Runnable completion) {
        if (steppingElsewhere) {
            forApplication.add(completion);
        } else {
            completion.run();
        }
    }

    private SessionException connectFailure(SessionLoopState s, CloseReason reason) {
        String remote = s.engine.remoteInbox();
        if (reason == CloseReason.CONNECT_TIMEOUT) {
            return connectTimedOut(remote, Duration.ofNanos(s.session.config().connectTimeoutNanos()));
        }
        if (reason == CloseReason.RESET_BY_PEER) {
            return new SessionException(CloseReason.RESET_BY_PEER, "connection to " + remote
                    + " refused: reset by peer (nobody accepting at that inbox, or its backlog is full)");
        }
        CloseReason r = reason == null ? CloseReason.ABORTED : reason;
        return new SessionException(r, "connect with " + remote + " failed: " + r.description());
    }

    /**
     * The part of {@code budget} left for the endpoint's own buffers once the transport's
     * receive buffer is counted: the budget less {@link Network.InboxBinding#bufferLimitBytes()}.
     * If the transport may buffer more than three quarters of the budget, the budget cannot
     * hold: a quarter of it is kept for the sessions anyway, and a warning says to lower
     * the transport's limit (e.g. {@code NatsNetworkConfig.pendingByteLimit}) or raise the budget.
     */
    private long sessionBudget(long budget, Network.InboxBinding b) {
        long transport;
        try {
            transport = b.bufferLimitBytes();
        } catch (RuntimeException e) {
            LOG.warn("buffer limit query of inbox {} failed; not counted in the memory budget", localInbox, e);
            transport = Network.InboxBinding.UNKNOWN;
        }
        if (transport <= 0) {
            return budget;
        }
        if (transport > budget / 4 * 3) {
            LOG.warn("inbox {}: the transport may buffer {} bytes, more than three quarters of the memory budget "
                    + "of {} bytes; sessions get a quarter of the budget and the process may hold more than it. "
                    + "Lower the transport's pending limit or raise memoryBudgetBytes", localInbox, transport, budget);
            return Math.max(1, budget / 4);
        }
        return budget - transport;
    }

    /**
     * @return what the endpoint's sessions (their buffered inbound data, with frames
     *     arrived and not yet routed) may hold: {@link EndpointConfig#memoryBudgetBytes()}
     *     less what the transport itself may buffer for the inbox
     *     ({@link Network.InboxBinding#bufferLimitBytes()}, the NATS client's pending
     *     limit), so the two together stay within the budget
     */
    public long sessionMemoryBudget() {
        return sessionBudget;
    }

    /** Shares out what the transport and the memory budget can still take (see {@link Demux#plan}). */
    private void planShares(long now) {
        // Room in the inbound queue for data: the bound less what waits in it other than
        // control frames, less an allowance of CONTROL_SLOTS_PER_SESSION control frames of
        // every session (at most that many of an honest peer's can wait, see coalescable),
        // taken or not, each counted as CONTROL_FRAME_BYTES. The demux keeps one of them
        // per shareholder itself. What is granted plus that allowance fits the queue, so
        // it never drops an honest peer's frame. With more sessions than a sixth of the
        // queue holds, the allowance stops at half the queue, so that data still moves;
        // control frames beyond it may then be dropped (counted) and are repaired as lost.
        long sessions = demux.sessionCount();
        long holders = demux.shareholderCount();
        int control = queuedControlFrames.get();
        long controlBytes = queuedControlBytes.get();
        long allowance = Math.min(CONTROL_SLOTS_PER_SESSION * sessions, config.maxQueuedInboundFrames() / 2);
        long allowanceBytes = Math.min(CONTROL_SLOTS_PER_SESSION * sessions * Demux.CONTROL_FRAME_BYTES,
                config.maxQueuedInboundBytes() / 2);
        long queueFree = Math.max(0, config.maxQueuedInboundFrames() - (inboundCount.get() - control)
                - Math.max(control, allowance - holders));
        long queueBytesFree = Math.max(0, config.maxQueuedInboundBytes() - (inboundBytes.get() - controlBytes)
                - Math.max(controlBytes, allowanceBytes - holders * Demux.CONTROL_FRAME_BYTES));
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
        long budgetFree = Math.max(0, sessionBudget - bufferedInbound - inboundBytes.get());
        long frames = fm == Network.InboxBinding.UNKNOWN ? queueFree : Math.min(fm, queueFree);
        long bytes = Math.min(budgetFree,
                fb == Network.InboxBinding.UNKNOWN ? queueBytesFree : Math.min(fb, queueBytesFree));
        demux.plan(frames, bytes, shareFrameBytes, now);
    }

    // ------------------------------------------------------------------ shutdown

    /** Where a graceful shutdown stands; see {@link #close()}. */
    private enum ShutdownPhase {
        /** Waiting for every session's data and FIN to be acknowledged. */
        OUTPUT,
        /** Waiting for peers to send their FIN. */
        PEERS,
        /** Answering late FINs a little longer. */
        LINGER
    }

    private static final class Shutdown {
        ShutdownPhase phase = ShutdownPhase.OUTPUT;
        long outputDeadline;
        long peerDeadline;
        long lingerUntil;
        long lingerWake;
        boolean lingeredInTimeWait;

        long deadline() {
            return switch (phase) {
                case OUTPUT -> outputDeadline;
                case PEERS -> peerDeadline;
                case LINGER -> lingerWake;
            };
        }
    }

    private void beginShutdown(long now) {
        if (shutdown != null) {
            return;
        }
        shutdown = new Shutdown();
        shutdown.outputDeadline = saturatedAdd(now, sessionDefaults.closeTimeoutNanos());
        demux.setAccepting(false);
        failAcceptWaiters();
        for (SessionLoopState s : demux.sessions()) {
            s.session.beginShutdownClose(now);
            markDirty(s);
        }
    }

    private void advanceShutdown(long now) {
        Shutdown sd = shutdown;
        if (sd.phase == ShutdownPhase.OUTPUT) {
            boolean allSent = outputFinishedCount == demux.sessionCount();
            if (!allSent && now < sd.outputDeadline) {
                return;
            }
            // A peer's FIN may need retransmissions to get through: wait for it at least a
            // few of the slowest session's retransmission timeouts.
            long rto = 0;
            for (SessionLoopState s : demux.sessionsView()) {
                rto = Math.max(rto, s.engine.stats().rtoNanos());
            }
            long wait = Math.max(config.shutdownLingerNanos(), saturatedMultiply(rto, PEER_FIN_RTOS));
            sd.peerDeadline = Math.min(sd.outputDeadline, saturatedAdd(now, wait));
            sd.phase = ShutdownPhase.PEERS;
        }
        if (sd.phase == ShutdownPhase.PEERS) {
            boolean allFinished = timeWaitCount == demux.sessionCount();
            if (!allFinished && now < sd.peerDeadline) {
                return;
            }
            // Sessions in TIME_WAIT run it out, as they would in a process that lives on: a
            // peer whose FIN we acknowledged, but whose copy of that ACK was lost, gets its
            // retransmitted FIN answered instead of waiting out its own close timeout, and
            // the inbox stays bound meanwhile. Each TIME_WAIT is bounded by the engine (it
            // restarts only on a retransmitted FIN); this bounds them all.
            sd.lingerUntil = saturatedAdd(now, maxTimeWaitNanos());
            sd.lingeredInTimeWait = timeWaitCount > 0;
            sd.phase = ShutdownPhase.LINGER;
        }
        boolean timeWaitsOver = timeWaitCount == 0;
        // Then stay bound until the inbox has been quiet a while: a peer that still has
        // not heard our last ACK probes at least once a keepalive interval (its FIN again,
        // or a keepalive), and is answered (by a RESET, once its session is gone, which
        // ends its close normally) instead of timing out against an unbound inbox.
        long quietUntil = saturatedAdd(lastArrivalAt, quietNanos());
        if (now >= sd.lingerUntil || timeWaitsOver && (!sd.lingeredInTimeWait || now >= quietUntil)) {
            finishShutdown(now);
        } else {
            sd.lingerWake = timeWaitsOver ? Math.min(quietUntil, sd.lingerUntil) : sd.lingerUntil;
        }
    }

    /**
     * @return the longest a session's TIME_WAIT may last: the engine's, at least two of the
     *     largest RTOs, restarted by frames from a peer still closing up to the close timeout
     */
    private long maxTimeWaitNanos() {
        long configured = sessionDefaults.timeWaitNanos();
        return configured == 0 ? 0 : Math.max(Math.max(configured, saturatedMultiply(sessionDefaults.maxRtoNanos(), 2)),
                sessionDefaults.closeTimeoutNanos());
    }

    /**
     * @return how long the inbox must have been quiet before a shutdown that lingered for
     *     TIME_WAIT unbinds it: the TIME_WAIT, but at least three keepalive intervals (three
     *     chances for a peer still closing to be heard); 0 if TIME_WAIT is off
     */
    private long quietNanos() {
        long timeWait = sessionDefaults.timeWaitNanos();
        return timeWait == 0 ? 0 : Math.max(timeWait, saturatedMultiply(sessionDefaults.keepaliveIntervalNanos(), 4));
    }

    private static long saturatedMultiply(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return hi == 0 && lo >= 0 ? lo : Long.MAX_VALUE;
    }

    /** Resets every session still open, unbinds the inbox and ends the loop. */
    private void finishShutdown(long now) {
        if (terminated.isDone()) {
            return;
        }
        if (shutdown == null) {
            beginShutdown(now);
        }
        for (SessionLoopState s : demux.sessions()) {
            List<byte[]> frames = s.session.abortForShutdown(now);
            for (byte[] f : frames) {
                send(s.engine.remoteInbox(), f);
            }
            remove(s);
        }
        failAcceptWaiters();
        timers.clear();
        sessionsOpen = 0;
        binding.close();
        terminated.complete(null);
    }

    private void failAcceptWaiters() {
        CompletableFuture<Session> w;
        while ((w = acceptWaiters.poll()) != null) {
            w.completeExceptionally(closedException());
        }
    }

    /** Fails every session and request after the loop itself failed; never throws. */
    private void die(Throwable cause) {
        if (failure != null) {
            return;
        }
        failure = cause;
        closing = true;
        loopFailures.increment();
        // Reported dead before anyone it wakes below can look.
        terminated.completeExceptionally(cause);
        String why = "endpoint " + localInbox + " failed: " + cause;
        try {
            LOG.error("event loop of {} failed; failing all its sessions", localInbox, cause);
        } catch (Throwable ignored) {
            // logging may fail too (out of memory); the failure is still recorded
        }
        for (SessionLoopState s : demux.sessionsView().toArray(new SessionLoopState[0])) {
            try {
                s.session.failByEndpoint(why);
                if (s.connectFuture != null) {
                    s.connectFuture.completeExceptionally(new SessionException(CloseReason.ABORTED, why));
                }
            } catch (Throwable ignored) {
                // go on with the others
            }
        }
        CompletableFuture<Session> w;
        while ((w = acceptWaiters.poll()) != null) {
            w.completeExceptionally(new IOException(why, cause));
        }
        failPendingRequests();
        try {
            binding.close();
        } catch (Throwable ignored) {
            // the inbox is abandoned either way
        }
    }

    // ------------------------------------------------------------------ transport side

    /**
     * The network's frame handler: decodes once, queues for the loop, never blocks. Within a
     * burst (see {@link Network.FrameHandler#onFrame(byte[], boolean)}) the loop is woken
     * only every {@link #MAX_FRAMES_PER_WAKE} queued frames and at the burst's end: each
     * wake costs both threads a trip through the scheduler, and the frames reach the loop
     * as one batch.
     *
     * @param transportDrained whether the transport said that no frame waits behind this
     *     one: only then may its delivery thread run the step (see {@link #wakeForArrivals})
     */
    private void onFrame(byte[] encoded, boolean moreFollow, boolean transportDrained) {
        int waiting = queueArrival(encoded) ? framesSinceWake.incrementAndGet() : framesSinceWake.get();
        if (waiting > 0 && (!moreFollow || waiting >= MAX_FRAMES_PER_WAKE)) {
            wakeForArrivals(transportDrained);
        }
    }

    /**
     * Has the frames queued since the loop was last woken for arrivals stepped, on this
     * thread if the transport's queue is empty and the loop is idle, or else by the loop.
     * A delivery thread steps only with nothing waiting behind it: the windows are planned
     * against the transport's buffer, which it must keep draining (stepping on the NATS
     * dispatcher in the middle of bursts let 2,000 sessions overflow its pending limit).
     * Stepping there when it is idle saves the switch to the loop and back that each frame
     * of a single fast stream would otherwise cost.
     *
     * @param transportDrained whether the transport said that no frame waits behind the last one
     */
    private void wakeForArrivals(boolean transportDrained) {
        if (framesSinceWake.getAndSet(0) > 0 && !(transportDrained && tryStepHere())) {
            wakeLoop();
        }
    }

    /**
     * Runs a step on the calling thread if the loop thread is not running one: the bytes a
     * writer just buffered, the window a reader just freed, or the frames a drained
     * transport just delivered, then go out without waking the loop and switching to it,
     * which on a busy host cost more than the step.
     * The loop is still woken for what this step leaves it: application requests and
     * completions, a shutdown in progress, queued work beyond one step, and a deadline
     * earlier than the one it sleeps towards. Never waits for the lock, so no thread holding
     * a session's lock can deadlock with the loop, and never nests in a step on the same
     * thread.
     *
     * @return whether a step ran (or the endpoint is terminated); if not, the caller wakes the loop
     */
    private boolean tryStepHere() {
        if (loopThread == null || Thread.currentThread() == loopThread || stepLock.isHeldByCurrentThread()
                || !stepLock.tryLock()) {
            return false;
        }
        try {
            if (terminated.isDone()) {
                return true;
            }
            long next;
            steppingElsewhere = true;
            try {
                next = stepOrDie(clock.nanoTime());
            } catch (Throwable t) {
                wakeLoop(); // the endpoint died: the loop sees it terminated, and ends
                return true;
            } finally {
                steppingElsewhere = false;
            }
            if (next < loopDeadline || hasPendingWork() || shutdown != null) {
                wakeLoop();
            }
            return true;
        } finally {
            stepLock.unlock();
        }
    }

    /**
     * Decodes a frame and queues it for the loop, or merges it with one of its session
     * waiting there, or drops it.
     *
     * @return whether it took a new place in the queue
     */
    private boolean queueArrival(byte[] encoded) {
        framesReceived.increment();
        Frame frame;
        try {
            // The handler owns the bytes, so the frame may keep its payload in place.
            frame = FrameCodec.decodeOwned(encoded);
        } catch (MalformedFrameException e) {
            malformedDropped.increment();
            LOG.trace("dropped malformed frame on {}: {}", localInbox, e.getMessage());
            return false;
        }
        if (coalescable(frame)) {
            return queueControl(frame, encoded.length);
        }
        int frameBytes = encoded.length;
        DataKey dataKey = null;
        if (frame.kind() == FrameKind.DATA && frame.dstNonce() != 0 && frame.to().equals(localInbox)) {
            // A retransmission of a frame still waiting here (its sender's timer fired while
            // this loop was slow) carries nothing new: it would only take a second place.
            // One below what its session has already taken (the acknowledgement was on its
            // way) needs only its header, which the session answers with an acknowledgement:
            // its payload would take room that the shares, counting each frame once, gave
            // to new data, and could overflow the queue.
            SessionLoopState owner = receivingByNonce.get(frame.dstNonce());
            if (owner != null && frame.payloadLength() > 0 && frame.seq() < owner.receivedThrough
                    && frame.srcNonce() == owner.peerNonce) {
                frameBytes -= frame.payloadLength();
                frame = frame.toBuilder().payload(null).build();
                inboundDuplicatesStripped.increment();
            }
            dataKey = new DataKey(frame.from(), frame.srcNonce(), frame.dstNonce(), frame.seq());
            if (queuedData.putIfAbsent(dataKey, Boolean.TRUE) != null) {
                inboundFramesMerged.increment();
                return false;
            }
        }
        if (!reserveQueuePlace(frameBytes)) {
            if (dataKey != null) {
                queuedData.remove(dataKey);
            }
            return false;
        }
        inbound.add(new Inbound(frame, frameBytes, null, dataKey));
        return true;
    }

    /**
     * Whether {@code frame} may replace an earlier one of its session still waiting in the
     * inbound queue: a frame without payload, other than a SYN (which belongs to no
     * session yet), addressed to this inbox. A newer ACK, KEEPALIVE, FIN, SYN_ACK or
     * RESET of a session says everything an older one of the same kind still waiting says
     * (acknowledgements and SACKs are cumulative, the window and timestamps current), so
     * an honest peer never has more than one of each kind per session in the queue,
     * however slowly the loop drains it. That bound is what {@link #planShares} keeps room
     * for ({@link #CONTROL_SLOTS_PER_SESSION}).
     */
    private boolean coalescable(Frame frame) {
        return frame.payloadLength() == 0 && frame.dstNonce() != 0 && frame.kind() != FrameKind.SYN
                && frame.kind() != FrameKind.DATA && frame.to().equals(localInbox);
    }

    /**
     * Queues a coalescable control frame: it replaces a waiting one of the same session
     * and kind, or takes a new place in the queue if there is room.
     *
     * @return whether it took a new place
     */
    private boolean queueControl(Frame frame, int frameBytes) {
        ControlKey key = new ControlKey(frame.from(), frame.srcNonce(), frame.dstNonce(), frame.kind());
        Inbound[] added = {null};
        queuedControl.compute(key, (k, waiting) -> {
            if (waiting != null) {
                inboundBytes.addAndGet(frameBytes - waiting.frameBytes);
                queuedControlBytes.addAndGet(frameBytes - waiting.frameBytes);
                waiting.frame = frame;
                waiting.frameBytes = frameBytes;
                inboundFramesMerged.increment();
                return waiting;
            }
            if (!reserveQueuePlace(frameBytes)) {
                return null;
            }
            queuedControlFrames.incrementAndGet();
            queuedControlBytes.addAndGet(frameBytes);
            added[0] = new Inbound(frame, frameBytes, k, null);
            return added[0];
        });
        if (added[0] == null) {
            return false;
        }
        inbound.add(added[0]);
        return true;
    }

    /**
     * Takes a place of {@code frameBytes} in the inbound queue's books, if both of its
     * bounds allow it; otherwise counts the drop.
     *
     * @return whether the frame may be queued
     */
    private boolean reserveQueuePlace(int frameBytes) {
        int count = inboundCount.incrementAndGet();
        long bytes = inboundBytes.addAndGet(frameBytes);
        if (count > config.maxQueuedInboundFrames() || bytes > config.maxQueuedInboundBytes()) {
            releaseQueuePlace(frameBytes);
            inboundQueueDrops.increment();
            return false;
        }
        return true;
    }

    private void releaseQueuePlace(int frameBytes) {
        inboundCount.decrementAndGet();
        inboundBytes.addAndGet(-frameBytes);
    }

    /**
     * Takes {@code in} off the inbound queue's books: for a coalescable frame, also out of
     * the table of waiting ones, atomically with reading it, so a replacement that arrives
     * meanwhile is either in this read or queued anew.
     *
     * @return the frame to route
     */
    private Frame dequeue(Inbound in) {
        if (in.key == null) {
            if (in.dataKey != null) {
                queuedData.remove(in.dataKey);
            }
            releaseQueuePlace(in.frameBytes);
            return in.frame;
        }
        Frame[] taken = {null};
        queuedControl.compute(in.key, (k, waiting) -> {
            taken[0] = in.frame;
            releaseQueuePlace(in.frameBytes);
            queuedControlFrames.decrementAndGet();
            queuedControlBytes.addAndGet(-in.frameBytes);
            return waiting == in ? null : waiting;
        });
        return taken[0];
    }

    /** Asks the loop to service {@code session} soon; coalesces repeated nudges. */
    void nudge(Session session) {
        if (session.nudged.compareAndSet(false, true)) {
            nudged.add(session.loopState);
            if (!tryStepHere()) {
                wakeLoop();
            }
        }
    }

    private void post(LoopTask task) {
        tasks.add(task);
        if (failure != null) {
            failPendingRequests(); // die() may have drained the queue before this one arrived
            return;
        }
        wakeLoop();
    }

    private void wakeLoop() {
        if (loopThread != null && !wakeRequested.getAndSet(true)) {
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

    private IOException closedException() {
        Throwable f = failure;
        return f != null ? new IOException("endpoint " + localInbox + " failed: " + f, f)
                : new IOException("endpoint " + localInbox + " is closed");
    }

    private static IOException asIOException(Throwable cause) {
        if (cause instanceof IOException io) {
            return io;
        }
        if (cause instanceof CancellationException) {
            return new InterruptedIOException("cancelled");
        }
        return new IOException(cause);
    }

    /**
     * The engine settings of a session: {@code c}'s, except that the engine takes in
     * payloads up to the largest the network carries, not only up to {@code c}'s own
     * {@link SessionConfig#maxPayloadBytes()} (which still bounds what it sends, see
     * {@link SessionLoopState}). Two peers configured with different payload sizes then
     * never stall on each other's frames, with nothing to negotiate: a frame that crossed
     * the network is no larger than the network allows, and the windows and the memory
     * budget bound what is held.
     */
    private EngineConfig receivingAnyPayload(SessionConfig c) {
        int fit = network.maxFrameSize() - FrameCodec.MAX_OVERHEAD_BYTES;
        return c.engineConfig().withMaxPayloadBytes(Math.max(c.maxPayloadBytes(), fit));
    }

    private SessionConfig capToNetwork(SessionConfig c) {
        Objects.requireNonNull(c, "sessionConfig");
        int fit = network.maxFrameSize() - FrameCodec.MAX_OVERHEAD_BYTES;
        if (fit < 1) {
            throw new IllegalArgumentException("network frames of " + network.maxFrameSize()
                    + " bytes cannot hold the " + FrameCodec.MAX_OVERHEAD_BYTES + "-byte frame overhead");
        }
        return c.maxPayloadBytes() <= fit ? c : c.toBuilder().maxPayloadBytes(fit).build();
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    @Override
    public String toString() {
        return "Endpoint{" + localInbox + ", sessions=" + sessionsOpen + "}";
    }

    /** Work an application thread hands to the loop, run at the start of the next step. */
    @FunctionalInterface
    private interface LoopTask {
        void run(long now);
    }

    /** A {@link LoopTask} that reports through a future. */
    @FunctionalInterface
    private interface Request<T> {
        void run(CompletableFuture<T> result, long now);
    }

    /**
     * A decoded frame waiting for the loop, with its encoded size for the queue's byte
     * bound. A coalescable one has its key, and is changed (under the table's lock for
     * that key) when a newer frame of its session and kind replaces it; a DATA frame has
     * the key that keeps its retransmissions out while it waits.
     */
    private static final class Inbound {
        Frame frame;
        int frameBytes;
        final ControlKey key;
        final DataKey dataKey;

        Inbound(Frame frame, int frameBytes, ControlKey key, DataKey dataKey) {
            this.frame = frame;
            this.frameBytes = frameBytes;
            this.key = key;
            this.dataKey = dataKey;
        }
    }

    /** One DATA frame of a session, as the peer names the session in it. */
    private record DataKey(String from, long srcNonce, long dstNonce, long seq) {
    }

    /** A session's control frames of one kind, as the peer names the session in them. */
    private record ControlKey(String from, long srcNonce, long dstNonce, FrameKind kind) {
    }

    private record Timer(long deadline, SessionLoopState session) implements Comparable<Timer> {
        @Override
        public int compareTo(Timer o) {
            return Long.compare(deadline, o.deadline);
        }
    }
}
