package io.swp;

import io.swp.protocol.CloseReason;
import io.swp.protocol.Engine;
import io.swp.protocol.EngineEvent;
import io.swp.protocol.EngineState;
import io.swp.protocol.EngineStats;
import io.swp.protocol.ReceivedChunk;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reliable, ordered, flow-controlled conversation with a peer, obtained from
 * {@link Endpoint#connect(String)} or {@link Endpoint#accept()}. It carries one byte stream
 * in each direction; the message and file APIs are built on that stream.
 *
 * <h2>Streams</h2>
 * {@link #getInputStream()} and {@link #getOutputStream()} behave like a socket's, in the
 * manner of Okio's {@code Pipe}:
 * <ul>
 *   <li>{@code read} blocks until at least one byte is available, the peer has finished
 *       (returns -1 once everything before its FIN is read), the session fails
 *       ({@link SessionException} naming the {@link CloseReason}, once the data that
 *       arrived before the failure has been read), or the read timeout
 *       ({@link #setReadTimeout(Duration)}, none by default) passes
 *       ({@link SocketTimeoutException}; the session stays usable).</li>
 *   <li>{@code write} hands bytes to the protocol engine and blocks while the send buffer
 *       ({@link SessionConfig#sendBufferBytes()}) is full: back-pressure, never unbounded
 *       buffering. {@code flush} returns at once (written bytes are already with the
 *       engine, which sends as fast as the peer's window allows). {@code close} on the
 *       output stream half-closes: a FIN follows the data; reading continues.</li>
 *   <li>Closing the input stream makes further reads fail; the peer's data is still
 *       acknowledged (and discarded after {@link #close()}).</li>
 * </ul>
 * A session is safe for one reading thread and one writing thread at the same time.
 * Several readers (or several writers) must synchronise among themselves.
 *
 * <h2>Messages and the stream</h2>
 * Messages are not a second channel: they are boundaries marked in the same ordered byte
 * stream. {@link #sendMessage(byte[])} writes the bytes and marks the last one as the end
 * of a message; {@link #receiveMessage()} returns everything from the current read
 * position up to the next mark. Reading through the input stream ignores marks. So a
 * message is "everything written since the previous mark": use one style per direction
 * of a session (the usual case), or interleave knowing that stream bytes written before
 * a message become part of it. Unordered messages ({@link #sendUnordered(byte[])}) skip
 * the stream altogether and never mix with it.
 *
 * <h2>Closing</h2>
 * {@link #close()} sends FIN after all written data and waits until the peer has
 * acknowledged everything, for at most {@link SessionConfig#closeTimeoutNanos()}, then
 * returns; the session then lingers inside the endpoint (TIME-WAIT) to answer late
 * duplicates. {@link #abort()} resets the session at once and discards buffers.
 */
public final class Session implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Session.class);

    private final Endpoint endpoint;
    /** The loop's record of this session: handed to the loop with each nudge, never read here. */
    final SessionLoopState loopState;
    private final Engine engine;
    private final boolean incoming;
    /** Guards the engine and the fields below; the loop holds it while it services the session. */
    final ReentrantLock lock = new ReentrantLock();
    /** Set while a nudge is queued for the loop, so repeated nudges coalesce. */
    final AtomicBoolean nudged = new AtomicBoolean();
    private final CompletableFuture<CloseReason> closeFuture = new CompletableFuture<>();

    private final SessionConfig config;
    private final Clock clock;
    private final Condition changed = lock.newCondition();
    private final long writeLowWater;
    private final long readNudgeBytes;
    private final InputStream input = new SessionInputStream();
    private final OutputStream output = new SessionOutputStream();

    // Guarded by lock.
    private int readWaiters;
    private int writeWaiters;
    private int stateWaiters;
    private boolean established;
    private boolean outputFinished;
    private boolean outputShut;
    private boolean inputClosed;
    private boolean closeCalled;
    private boolean aborted;
    /** Why the loop failed this session (the endpoint died, a partial message stalled), or null. */
    private String endpointFailure;
    /** When the partial message last grew, or a chunk of it waited for the application. */
    private long partialProgressAt;
    /**
     * Bytes of a message being received by {@link #receiveMessage(ByteBuffer, int)} that are
     * already in the caller's buffer: part of the partly received message (memory, stall
     * timeout) as much as what {@link #partial} holds.
     */
    private int partialInPlace;
    private final ArrayDeque<byte[]> unordered = new ArrayDeque<>();
    private long unorderedDropped;
    private long unorderedBytes;
    private final MessageAssembler partial;
    private long readSinceNudge;

    private volatile long readTimeoutNanos;
    private volatile long writeTimeoutNanos;

    /** Fraction of the send buffer that must be free before a blocked writer is woken. */
    private static final int WRITE_WAKE_DIVISOR = 4;
    /** Largest free space a blocked writer waits for, so big buffers still wake writers often. */
    private static final long WRITE_WAKE_MAX_BYTES = 256 * 1024;
    /**
     * Fraction of the receive window the application reads before the loop is nudged to
     * let the engine advertise the room (also nudged whenever the buffer is drained).
     */
    private static final int READ_NUDGE_DIVISOR = 4;
    /** How long a blocking close waits past the close timeout for the loop to report it. */
    private static final long CLOSE_GRACE_NANOS = 1_000_000_000L;

    Session(Endpoint endpoint, SessionLoopState loopState, Engine engine, SessionConfig config, Clock clock) {
        this.endpoint = endpoint;
        this.loopState = loopState;
        this.engine = engine;
        this.config = config;
        this.clock = clock;
        this.incoming = !engine.isInitiator();
        this.partial = new MessageAssembler();
        this.writeLowWater = Math.max(1, Math.min(config.sendBufferBytes() / WRITE_WAKE_DIVISOR,
                WRITE_WAKE_MAX_BYTES));
        this.readNudgeBytes = Math.max(1, config.windowBytes() / READ_NUDGE_DIVISOR);
    }

    // ------------------------------------------------------------------ identity, stats

    /** @return the inbox this session receives at */
    public String localInbox() {
        return engine.localInbox();
    }

    /** @return the inbox of the peer */
    public String remoteInbox() {
        return engine.remoteInbox();
    }

    /** @return the configuration in effect (payload size already capped to the network) */
    public SessionConfig config() {
        return config;
    }

    /** @return whether this session was accepted (true) or connected (false) */
    public boolean isIncoming() {
        return incoming;
    }

    /** @return the protocol state now */
    public EngineState state() {
        lock.lock();
        try {
            return engine.state();
        } finally {
            lock.unlock();
        }
    }

    /** @return why the session closed, or null while it is open */
    public CloseReason closeReason() {
        lock.lock();
        try {
            return engine.state().isClosed() ? engine.closeReason() : null;
        } finally {
            lock.unlock();
        }
    }

    /** @return a snapshot of the engine's counters (RTT, retransmits, windows, …) */
    public EngineStats stats() {
        lock.lock();
        try {
            return engine.stats();
        } finally {
            lock.unlock();
        }
    }

    /**
     * @return payload bytes written by the application but not yet acknowledged by the
     *     peer, never more than {@link SessionConfig#sendBufferBytes()}; after the output
     *     was shut down, the bytes sent and not yet acknowledged (0 once everything is)
     */
    public long bufferedOutputBytes() {
        lock.lock();
        try {
            if (engine.isSendBufferEmpty()) {
                return 0;
            }
            if (outputShut || engine.state().isClosed()) {
                return engine.stats().inFlightBytes();
            }
            return config.sendBufferBytes() - engine.sendBufferFree();
        } finally {
            lock.unlock();
        }
    }

    /** @return unordered messages dropped here because the application fell behind */
    public long unorderedDropped() {
        lock.lock();
        try {
            return unorderedDropped;
        } finally {
            lock.unlock();
        }
    }

    /**
     * @return the largest message {@link #sendUnordered(byte[])} accepts: one frame's
     *     payload, and no more than the whole send buffer (it is queued whole)
     */
    public int maxUnorderedBytes() {
        return (int) Math.min(config.maxPayloadBytes(), config.sendBufferBytes());
    }

    // ------------------------------------------------------------------ streams

    /** @return the stream of bytes from the peer; the same object every time */
    public InputStream getInputStream() {
        return input;
    }

    /** @return the stream of bytes to the peer; the same object every time */
    public OutputStream getOutputStream() {
        return output;
    }

    /**
     * Sets how long a read (input stream, {@link #receiveMessage()}) waits for data before
     * throwing {@link SocketTimeoutException}. Default: no timeout.
     *
     * @param timeout the timeout, or null / zero for none
     */
    public void setReadTimeout(Duration timeout) {
        readTimeoutNanos = timeout == null || timeout.isZero() || timeout.isNegative() ? 0 : timeout.toNanos();
    }

    /** @return the read timeout, or {@link Duration#ZERO} for none */
    public Duration getReadTimeout() {
        return Duration.ofNanos(readTimeoutNanos);
    }

    /**
     * Sets how long a write (output stream, {@link #sendMessage(byte[])},
     * {@link #sendUnordered(byte[])}) waits for room in the send buffer before giving up.
     * Default: no timeout. On a timeout the output stream throws
     * {@link SocketTimeoutException} whose {@code bytesTransferred} says how much of that
     * call was written; the session stays usable. A message is all or nothing: a message
     * that timed out before any of it was queued throws {@link SocketTimeoutException},
     * and one that timed out with only part of it queued aborts the session
     * ({@link SessionException}), since the peer would otherwise merge that part with
     * the next message.
     *
     * @param timeout the timeout, or null / zero for none
     */
    public void setWriteTimeout(Duration timeout) {
        writeTimeoutNanos = timeout == null || timeout.isZero() || timeout.isNegative() ? 0 : timeout.toNanos();
    }

    /** @return the write timeout, or {@link Duration#ZERO} for none */
    public Duration getWriteTimeout() {
        return Duration.ofNanos(writeTimeoutNanos);
    }

    /**
     * A future that the endpoint's loop completes when the session has closed and left
     * the endpoint, with why: {@link CloseReason#isFailure()} tells a clean close from a
     * failure. A server holding many sessions can learn of each close this way without a
     * thread per session. Actions attached with non-async methods may run on the loop
     * thread and must not block.
     *
     * @return a new dependent of the session's close future (completing it does not
     *     affect the session)
     */
    public CompletableFuture<CloseReason> closeFuture() {
        return closeFuture.copy();
    }

    /**
     * Half-closes: a FIN follows everything written; the peer reads end of stream. Reading
     * continues. Idempotent.
     *
     * @throws IOException if the session has failed
     */
    public void shutdownOutput() throws IOException {
        lock.lock();
        try {
            if (outputShut) {
                return;
            }
            throwIfFailed();
            outputShut = true;
            if (!engine.state().isClosed()) {
                engine.shutdownOutput(clock.nanoTime());
            }
            // A writer blocked for room would otherwise wait for room that never comes:
            // the engine reports no free space once output is shut down.
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        endpoint.nudge(this);
    }

    // ------------------------------------------------------------------ messages

    /**
     * Sends one ordered message; the peer's {@link #receiveMessage()} returns exactly these
     * bytes. Blocks while the send buffer is full. Large messages are split into frames and
     * reassembled by the receiver.
     *
     * @param message 0 .. {@link SessionConfig#maxMessageBytes()} bytes
     * @throws IllegalArgumentException if the message is larger than the limit
     * @throws IOException if the session failed, was closed, or its output was shut down
     */
    public void sendMessage(byte[] message) throws IOException {
        sendMessage(message, 0, message.length);
    }

    /**
     * Sends {@code message[off, off+len)} as one ordered message; see {@link #sendMessage(byte[])}.
     * The bytes are copied before this method returns.
     *
     * @param message holds the message
     * @param off where it starts
     * @param len its length, at most {@link SessionConfig#maxMessageBytes()}
     * @throws IOException if the session failed, was closed, or its output was shut down
     */
    public void sendMessage(byte[] message, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, message.length);
        if (len > config.maxMessageBytes()) {
            throw new IllegalArgumentException("message of " + len
                    + " bytes exceeds maxMessageBytes " + config.maxMessageBytes());
        }
        int end = off + len;
        long deadline = writeDeadline();
        lock.lock();
        try {
            int pos = off;
            while (true) {
                checkWritable();
                int remaining = end - pos;
                long free = engine.sendBufferFree();
                // The end-of-message mark is only honoured when the engine takes the whole
                // remainder, so the last piece waits for room instead of being split.
                if (free >= remaining && (remaining > 0 || free > 0)) {
                    int n = engineWrite(message, pos, remaining, true);
                    if (n == remaining) {
                        break;
                    }
                    pos += n;
                    endpoint.nudge(this);
                } else if (free > 0 && remaining > 1) {
                    pos += engineWrite(message, pos, (int) Math.min(free, remaining - 1), false);
                    endpoint.nudge(this);
                } else if (!awaitWriteRoom(deadline)) {
                    if (pos == off) {
                        throw writeTimedOut("message", 0);
                    }
                    // Part of the message is queued and cannot be taken back; the peer
                    // would otherwise merge it with the next message.
                    abortLocked();
                    throw new SessionException(CloseReason.ABORTED, "message to " + remoteInbox()
                            + " timed out after " + Duration.ofNanos(writeTimeoutNanos) + " with " + (pos - off)
                            + " of " + len + " bytes queued; session aborted");
                }
            }
        } finally {
            lock.unlock();
        }
        endpoint.nudge(this);
    }

    /**
     * Sends a message and waits until the peer has acknowledged it (and everything before
     * it). A timeout does not cancel the message: it stays queued and is still delivered.
     *
     * @param message the message, as for {@link #sendMessage(byte[])}
     * @param timeout how long to wait for the acknowledgement
     * @throws SocketTimeoutException if the acknowledgement did not arrive in time
     * @throws IOException if the session failed
     */
    public void sendMessageAndWait(byte[] message, Duration timeout) throws IOException {
        sendMessage(message);
        long deadline = deadlineAfter(timeout.toNanos());
        lock.lock();
        try {
            while (!engine.isSendBufferEmpty()) {
                throwIfFailed();
                if (!awaitState(deadline)) {
                    throw new SocketTimeoutException("message not acknowledged by " + remoteInbox()
                            + " within " + timeout);
                }
            }
            // A session that failed meanwhile has an empty send buffer too (a closed engine
            // drops what it held): that is no acknowledgement.
            throwIfFailed();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Receives the next ordered message, waiting at most the read timeout (none by default).
     *
     * @return the message, or null when the peer has finished sending (end of stream)
     * @throws SocketTimeoutException if the read timeout passed; a partly received message
     *     is kept for the next call
     * @throws IOException if the session failed, the stream ended inside a message, or a
     *     message exceeded {@link SessionConfig#maxMessageBytes()} (the session is aborted)
     */
    public byte[] receiveMessage() throws IOException {
        long t = readTimeoutNanos;
        return receiveMessageUntil(t == 0 ? Long.MAX_VALUE : deadlineAfter(t), t, config.maxMessageBytes());
    }

    /**
     * Receives the next ordered message, waiting at most {@code timeout}.
     *
     * @param timeout how long to wait
     * @return the message, or null when the peer has finished sending
     * @throws SocketTimeoutException if nothing complete arrived in time
     * @throws IOException as for {@link #receiveMessage()}
     */
    public byte[] receiveMessage(Duration timeout) throws IOException {
        return receiveMessageUntil(deadlineAfter(timeout.toNanos()), timeout.toNanos(), config.maxMessageBytes());
    }

    /**
     * Receives the next ordered message like {@link #receiveMessage()}, accepting at most
     * {@code maxBytes}: for protocols on top of a session that know their largest message,
     * so a peer cannot make this side buffer up to {@link SessionConfig#maxMessageBytes()}.
     *
     * @param maxBytes the largest message accepted, at most {@link SessionConfig#maxMessageBytes()}
     * @return the message, or null when the peer has finished sending
     * @throws IOException as for {@link #receiveMessage()}; a longer message aborts the session
     */
    public byte[] receiveMessage(int maxBytes) throws IOException {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative, got " + maxBytes);
        }
        long t = readTimeoutNanos;
        return receiveMessageUntil(t == 0 ? Long.MAX_VALUE : deadlineAfter(t), t,
                Math.min(maxBytes, config.maxMessageBytes()));
    }

    private byte[] receiveMessageUntil(long deadline, long timeoutNanos, int limit) throws IOException {
        boolean nudge = false;
        MessageAssembler.Parts message;
        lock.lock();
        try {
            while (true) {
                checkReadable();
                ReceivedChunk chunk = engine.pollChunk(clock.nanoTime());
                if (chunk != null) {
                    nudge |= consumedLocked(chunk.data().length);
                    partialProgressAt = clock.nanoTime();
                    if (!partial.append(chunk.data(), limit)) {
                        abortLocked();
                        throw new IOException("message from " + remoteInbox()
                                + (limit == config.maxMessageBytes() ? " exceeds maxMessageBytes " + limit
                                        : " exceeds the limit of " + limit + " bytes")
                                + "; session aborted");
                    }
                    if (chunk.endOfMessage()) {
                        message = partial.take();
                        break;
                    }
                    continue;
                }
                if (engine.isInputFinished()) {
                    if (partial.length() > 0) {
                        throw new EOFException("stream from " + remoteInbox() + " ended inside a message after "
                                + partial.length() + " bytes");
                    }
                    return null;
                }
                throwIfFailed();
                if (!awaitRead(deadline)) {
                    throw new SocketTimeoutException("no message from " + remoteInbox() + " within "
                            + Duration.ofNanos(timeoutNanos));
                }
            }
        } finally {
            lock.unlock();
            if (nudge) {
                endpoint.nudge(this);
            }
        }
        return message.join(); // outside the lock: a large message is copied without stalling the loop
    }

    /**
     * Receives the next ordered message into {@code dst}, like {@link #receiveMessage(int)}
     * but without an array per message: the bytes are copied once, from the received
     * frames to {@code dst} at its position. With a direct buffer the caller can hash the
     * message and write it to a file from where it lies (the file receiver does).
     *
     * @param dst where the message goes, from its position; at least {@code maxBytes}
     *     (capped at {@link SessionConfig#maxMessageBytes()}) remaining
     * @param maxBytes the largest message accepted
     * @return the message's length, with {@code dst}'s position moved past it; -1 when the
     *     peer has finished sending
     * @throws IllegalArgumentException if {@code maxBytes} is negative or {@code dst} has less room
     * @throws IOException as for {@link #receiveMessage()}: on a read timeout {@code dst}'s
     *     position is as it was and a partly received message is kept for the next call
     */
    public int receiveMessage(ByteBuffer dst, int maxBytes) throws IOException {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative, got " + maxBytes);
        }
        int limit = Math.min(maxBytes, config.maxMessageBytes());
        if (dst.remaining() < limit) {
            throw new IllegalArgumentException("buffer has " + dst.remaining() + " bytes of room, the message may have "
                    + limit);
        }
        long t = readTimeoutNanos;
        long deadline = t == 0 ? Long.MAX_VALUE : deadlineAfter(t);
        int start = dst.position();
        boolean nudge = false;
        boolean complete = false;
        lock.lock();
        try {
            if (partial.length() > 0) {
                // A message begun by an earlier call that timed out continues here.
                for (byte[] c : partial.take().chunks()) {
                    dst.put(c);
                }
            }
            partialInPlace = dst.position() - start;
            while (true) {
                checkReadable();
                int n = engine.nextChunkLength();
                if (n >= 0) {
                    if (partialInPlace + n > limit) {
                        dst.position(start);
                        partialInPlace = 0;
                        complete = true;
                        abortLocked();
                        throw new IOException("message from " + remoteInbox()
                                + (limit == config.maxMessageBytes() ? " exceeds maxMessageBytes " + limit
                                        : " exceeds the limit of " + limit + " bytes")
                                + "; session aborted");
                    }
                    boolean end = engine.pollChunkInto(dst, clock.nanoTime());
                    partialInPlace += n;
                    nudge |= consumedLocked(n);
                    partialProgressAt = clock.nanoTime();
                    if (end) {
                        complete = true;
                        return partialInPlace;
                    }
                    continue;
                }
                if (engine.isInputFinished()) {
                    if (partialInPlace > 0) {
                        throw new EOFException("stream from " + remoteInbox() + " ended inside a message after "
                                + partialInPlace + " bytes");
                    }
                    complete = true;
                    return -1;
                }
                throwIfFailed();
                if (!awaitRead(deadline)) {
                    throw new SocketTimeoutException("no message from " + remoteInbox() + " within "
                            + Duration.ofNanos(t));
                }
            }
        } finally {
            if (!complete && dst.position() > start) {
                // Keep what arrived for the next call, as receiveMessage() does (copied: rare).
                byte[] kept = new byte[dst.position() - start];
                dst.get(start, kept);
                dst.position(start);
                if (!aborted) {
                    partial.append(kept, Integer.MAX_VALUE);
                }
            }
            partialInPlace = 0;
            lock.unlock();
            if (nudge) {
                endpoint.nudge(this);
            }
        }
    }

    /** @return bytes of the partly received message, wherever they are (lock held) */
    private int partialLength() {
        return partial.length() + partialInPlace;
    }

    /**
     * Notes {@code n} bytes taken by the application (lock held).
     *
     * @return whether to nudge the loop: enough was read, or the buffer drained, that the
     *     engine may owe the peer a window update
     */
    private boolean consumedLocked(int n) {
        readSinceNudge += n;
        if (readSinceNudge >= readNudgeBytes || engine.readableBytes() == 0) {
            readSinceNudge = 0;
            return true;
        }
        return false;
    }

    /**
     * Sends a message for unordered, as-soon-as-possible delivery: reliable, but handed to
     * the peer's {@link #receiveUnordered(Duration)} on arrival, not in stream order. Blocks
     * while the send buffer is full.
     *
     * @param message at most {@link #maxUnorderedBytes()} bytes
     * @throws IllegalArgumentException if the message does not fit one frame
     * @throws IOException if the session failed or output was shut down
     */
    public void sendUnordered(byte[] message) throws IOException {
        Objects.requireNonNull(message, "message");
        if (message.length > maxUnorderedBytes()) {
            throw new IllegalArgumentException("unordered message of " + message.length
                    + " bytes exceeds maxUnorderedBytes " + maxUnorderedBytes()
                    + " (one frame payload, at most the send buffer)");
        }
        long deadline = writeDeadline();
        lock.lock();
        try {
            while (true) {
                checkWritable();
                boolean queued;
                try {
                    queued = engine.writeUnordered(message, clock.nanoTime());
                } catch (IllegalStateException e) {
                    throw new IOException("cannot send on session with " + remoteInbox() + ": " + e.getMessage(), e);
                }
                if (queued) {
                    break;
                }
                if (!awaitWriteRoom(deadline)) {
                    throw writeTimedOut("unordered message", 0);
                }
            }
        } finally {
            lock.unlock();
        }
        endpoint.nudge(this);
    }

    /**
     * Takes the next unordered message. Messages beyond
     * {@link SessionConfig#unorderedQueueLimit()} not yet taken are dropped, oldest first,
     * and counted ({@link #unorderedDropped()}).
     *
     * @param timeout how long to wait
     * @return the message, or null when none can arrive any more (the peer finished)
     * @throws SocketTimeoutException if none arrived in time
     * @throws IOException if the session failed
     */
    public byte[] receiveUnordered(Duration timeout) throws IOException {
        long deadline = deadlineAfter(timeout.toNanos());
        lock.lock();
        try {
            while (true) {
                checkReadable();
                byte[] m = unordered.poll();
                if (m != null) {
                    unorderedBytes -= m.length;
                }
                if (m != null) {
                    return m;
                }
                if (engine.isInputFinished()) {
                    return null;
                }
                throwIfFailed();
                if (!awaitRead(deadline)) {
                    throw new SocketTimeoutException("no unordered message from " + remoteInbox()
                            + " within " + timeout);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ close

    /**
     * Closes gracefully: everything written is sent, then FIN; waits until the peer has
     * acknowledged all of it, for at most {@link SessionConfig#closeTimeoutNanos()}.
     * Unread incoming data is discarded. Idempotent; a no-op after {@link #abort()}.
     *
     * @throws SessionException if the session failed before all data was acknowledged, or
     *     the close timeout passed ({@link CloseReason#CLOSE_TIMEOUT}; the session is then reset)
     * @throws InterruptedIOException if interrupted while waiting (the close continues)
     */
    @Override
    public void close() throws IOException {
        // The engine's close timer decides; this deadline only guards against a loop that
        // stopped running.
        long deadline = deadlineAfter(config.closeTimeoutNanos() + CLOSE_GRACE_NANOS);
        lock.lock();
        try {
            if (aborted) {
                throwIfEndpointFailed(); // an abort of our own makes close a no-op; a dead loop does not
                return;
            }
            startCloseLocked();
            while (!outputFinished) {
                throwIfEndpointFailed();
                if (engine.state().isClosed()) {
                    CloseReason reason = engine.closeReason();
                    if (reason == CloseReason.CLOSE_TIMEOUT) {
                        throw closeTimedOut();
                    }
                    if (reason.isFailure()) {
                        throw failed(reason, "close");
                    }
                    return;
                }
                if (!awaitState(deadline)) {
                    abortLocked();
                    throw closeTimedOut();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Starts the graceful close that {@link #close()} describes and returns at once.
     * Unread incoming data is discarded. A no-op after {@link #abort()}.
     *
     * @return {@link #closeFuture()}: completed when the session has closed and left the
     *     endpoint, which is later than {@link #close()} returns when this side closes
     *     first (the session lingers in TIME-WAIT)
     */
    public CompletableFuture<CloseReason> closeAsync() {
        lock.lock();
        try {
            if (!aborted) {
                startCloseLocked();
            }
        } finally {
            lock.unlock();
        }
        return closeFuture();
    }

    private void startCloseLocked() {
        if (closeCalled) {
            return;
        }
        closeCalled = true;
        outputShut = true;
        if (!engine.state().isClosed()) {
            engine.close(clock.nanoTime());
        }
        // Readers and writers blocked in other threads fail now, as on a socket;
        // otherwise a reader would wait for as long as the peer keeps its side open.
        changed.signalAll();
        endpoint.nudge(this);
    }

    private SessionException closeTimedOut() {
        return new SessionException(CloseReason.CLOSE_TIMEOUT, "close of session with " + remoteInbox()
                + " timed out after " + Duration.ofNanos(config.closeTimeoutNanos())
                + ": data not acknowledged; session aborted");
    }

    /** Aborts at once: sends a RESET, discards buffers, fails blocked readers and writers. */
    public void abort() {
        lock.lock();
        try {
            abortLocked();
        } finally {
            lock.unlock();
        }
    }

    private void abortLocked() {
        aborted = true;
        if (!engine.state().isClosed()) {
            engine.abort(clock.nanoTime());
        }
        changed.signalAll();
        endpoint.nudge(this);
    }

    @Override
    public String toString() {
        return "Session{" + localInbox() + " <-> " + remoteInbox() + ", nonce=" + Long.toHexString(engine.localNonce())
                + "}";
    }

    // ------------------------------------------------------------------ event loop side

    /** Called by the loop, lock held, for each event the engine reported. */
    void onEvent(EngineEvent event) {
        switch (event) {
            case ESTABLISHED -> established = true;
            case OUTPUT_FINISHED -> outputFinished = true;
            default -> {
            }
        }
    }

    /** Called by the loop, lock held: moves unordered messages to the session's queue. */
    void drainUnordered() {
        byte[] m;
        while ((m = engine.pollUnordered()) != null) {
            if (unordered.size() >= config.unorderedQueueLimit()) {
                unorderedBytes -= unordered.poll().length;
                unorderedDropped++;
            }
            unordered.add(m);
            unorderedBytes += m.length;
        }
    }

    /**
     * Called by the loop, lock held.
     *
     * @return inbound bytes this session holds for the application: the engine's receive
     *     buffer, unordered messages not yet taken, and a partly reassembled message
     */
    long bufferedInboundBytes() {
        return engine.bufferedInboundBytes() + unorderedBytes + partialLength();
    }

    /**
     * Called by the loop, lock held, after the engine was fed: aborts the session if a
     * partly received message has made no progress for the partial message timeout.
     * Chunks waiting in the engine for the application count as progress: then the
     * application, not the peer, is behind.
     *
     * @param now the loop's time
     * @return when to check again, or {@code Long.MAX_VALUE}
     */
    long checkPartialMessage(long now) {
        long timeout = config.partialMessageTimeoutNanos();
        if (timeout == 0 || partialLength() == 0 || engine.state().isClosed()) {
            return Long.MAX_VALUE;
        }
        if (engine.hasReadableChunk()) {
            partialProgressAt = now;
        }
        if (now - partialProgressAt < timeout) {
            long deadline = partialProgressAt + timeout;
            return deadline < partialProgressAt ? Long.MAX_VALUE : deadline;
        }
        endpointFailure = "message from " + remoteInbox() + " stalled: " + partialLength()
                + " bytes received, nothing more for " + Duration.ofNanos(timeout) + "; session aborted";
        LOG.warn("{}: {}", this, endpointFailure);
        aborted = true;
        partial.clear();
        engine.abort(now);
        changed.signalAll();
        return Long.MAX_VALUE;
    }

    /** Called by the loop, lock held: wakes application threads whose wait is over. */
    void wakeWaiters() {
        boolean closed = engine.state().isClosed();
        if (stateWaiters > 0
                || readWaiters > 0 && (closed || engine.hasReadableChunk() || engine.isInputFinished()
                        || !unordered.isEmpty())
                || writeWaiters > 0 && (closed || engine.sendBufferFree() >= writeLowWater)) {
            changed.signalAll();
        }
    }

    /**
     * Called by the loop when the endpoint starts shutting down: a graceful close, or an
     * abort for a handshake in progress (it has nothing to deliver).
     */
    void beginShutdownClose(long now) {
        lock.lock();
        try {
            closeCalled = true;
            outputShut = true;
            EngineState state = engine.state();
            if (state == EngineState.SYN_SENT || state == EngineState.SYN_RECEIVED) {
                aborted = true;
                engine.abort(now);
                changed.signalAll();
            } else if (!state.isClosed()) {
                engine.close(now);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Called by the loop when the endpoint's shutdown gives up on this session.
     *
     * @return the frames (a RESET) the engine wants sent
     */
    List<byte[]> abortForShutdown(long now) {
        List<byte[]> frames = new ArrayList<>();
        lock.lock();
        try {
            if (!engine.state().isClosed()) {
                aborted = true;
                engine.abort(now);
                byte[] f;
                while ((f = engine.pollTransmit(now)) != null) {
                    frames.add(f);
                }
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        return frames;
    }

    /**
     * Called when the endpoint's loop has failed: every blocked and future call fails
     * with {@code why}. The engine is not touched: the loop that drives it is gone.
     */
    void failByEndpoint(String why) {
        lock.lock();
        try {
            endpointFailure = why;
            aborted = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        closeFuture.complete(CloseReason.ABORTED);
    }

    /** Called by the loop once the session has closed and left the endpoint. */
    void onRemoved(CloseReason reason) {
        closeFuture.complete(reason == null ? CloseReason.ABORTED : reason);
    }

    // ------------------------------------------------------------------ helpers

    private long deadlineAfter(long nanos) {
        long now = clock.nanoTime();
        return nanos >= Long.MAX_VALUE - now ? Long.MAX_VALUE : now + nanos;
    }

    private int engineWrite(byte[] b, int off, int len, boolean endOfMessage) throws IOException {
        try {
            return engine.write(b, off, len, endOfMessage, clock.nanoTime());
        } catch (IllegalStateException e) {
            throwIfFailed();
            throw new IOException("cannot write to session with " + remoteInbox() + ": " + e.getMessage(), e);
        }
    }

    private void checkWritable() throws IOException {
        if (aborted) {
            throw abortedException();
        }
        throwIfFailed();
        if (outputShut) {
            throw new IOException("output of session with " + remoteInbox() + " is shut down");
        }
    }

    private void checkReadable() throws IOException {
        if (aborted) {
            throw abortedException();
        }
        if (inputClosed || closeCalled) {
            throw new IOException("input of session with " + remoteInbox() + " is closed");
        }
    }

    private void throwIfEndpointFailed() throws SessionException {
        if (endpointFailure != null) {
            throw abortedException();
        }
    }

    private SessionException abortedException() {
        return new SessionException(CloseReason.ABORTED, endpointFailure != null ? endpointFailure
                : "session with " + remoteInbox() + " was aborted");
    }

    private void throwIfFailed() throws SessionException {
        if (endpointFailure != null) {
            throw abortedException();
        }
        if (engine.state().isClosed()) {
            CloseReason reason = engine.closeReason();
            if (reason != null && reason.isFailure()) {
                throw failed(reason, "session");
            }
        }
    }

    private SessionException failed(CloseReason reason, String what) {
        return new SessionException(reason, what + " with " + remoteInbox() + " failed: " + reason.description());
    }

    private boolean awaitRead(long deadline) throws InterruptedIOException {
        readWaiters++;
        try {
            return awaitUntil(deadline);
        } finally {
            readWaiters--;
        }
    }

    /** @return false if the write timeout passed; true after a wakeup (maybe spurious) */
    private boolean awaitWriteRoom(long deadline) throws InterruptedIOException {
        writeWaiters++;
        try {
            return awaitUntil(deadline);
        } finally {
            writeWaiters--;
        }
    }

    private long writeDeadline() {
        long t = writeTimeoutNanos;
        return t == 0 ? Long.MAX_VALUE : deadlineAfter(t);
    }

    private SocketTimeoutException writeTimedOut(String what, int bytesTransferred) {
        SocketTimeoutException e = new SocketTimeoutException(what + " to " + remoteInbox() + " timed out after "
                + Duration.ofNanos(writeTimeoutNanos) + ": the send buffer stayed full");
        e.bytesTransferred = bytesTransferred;
        return e;
    }

    private boolean awaitState(long deadline) throws InterruptedIOException {
        stateWaiters++;
        try {
            return awaitUntil(deadline);
        } finally {
            stateWaiters--;
        }
    }

    /** @return false if the deadline had passed; true after a wakeup (maybe spurious) */
    private boolean awaitUntil(long deadline) throws InterruptedIOException {
        try {
            if (deadline == Long.MAX_VALUE) {
                changed.await();
                return true;
            }
            long wait = deadline - clock.nanoTime();
            if (wait <= 0) {
                return false;
            }
            changed.awaitNanos(wait);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting on session with " + remoteInbox());
        }
    }

    private final class SessionInputStream extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            long timeout = readTimeoutNanos;
            long deadline = timeout == 0 ? Long.MAX_VALUE : deadlineAfter(timeout);
            int n;
            boolean nudge = false;
            lock.lock();
            try {
                checkReadable();
                if (len == 0) {
                    return 0;
                }
                while (true) {
                    // Checked again after every wait: the session or this stream may have
                    // been closed by another thread meanwhile.
                    checkReadable();
                    if (engine.isInputFinished()) {
                        return -1;
                    }
                    // Data that arrived before a failure is still handed out; then the failure.
                    n = engine.read(b, off, len, clock.nanoTime());
                    if (n > 0) {
                        nudge = consumedLocked(n);
                    }
                    if (n != 0) {
                        break;
                    }
                    throwIfFailed();
                    if (engine.state().isClosed()) {
                        return -1;
                    }
                    if (!awaitRead(deadline)) {
                        throw new SocketTimeoutException("read from " + remoteInbox() + " timed out after "
                                + Duration.ofNanos(timeout));
                    }
                }
            } finally {
                lock.unlock();
            }
            if (nudge) {
                endpoint.nudge(Session.this);
            }
            return n;
        }

        @Override
        public int available() throws IOException {
            lock.lock();
            try {
                checkReadable();
                return (int) Math.min(Integer.MAX_VALUE, engine.readableBytes());
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            lock.lock();
            try {
                inputClosed = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private final class SessionOutputStream extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return;
            }
            long deadline = writeDeadline();
            int written = 0;
            lock.lock();
            try {
                while (len > 0) {
                    checkWritable();
                    int n = engineWrite(b, off, len, false);
                    if (n > 0) {
                        off += n;
                        len -= n;
                        written += n;
                        endpoint.nudge(Session.this);
                    } else if (!awaitWriteRoom(deadline)) {
                        throw writeTimedOut("write", written);
                    }
                }
            } finally {
                lock.unlock();
            }
        }

        /** Returns at once: written bytes are already with the engine. Fails if the session did. */
        @Override
        public void flush() throws IOException {
            lock.lock();
            try {
                throwIfFailed();
            } finally {
                lock.unlock();
            }
        }

        /** Half-closes the session: see {@link Session#shutdownOutput()}. */
        @Override
        public void close() throws IOException {
            shutdownOutput();
        }
    }
}
