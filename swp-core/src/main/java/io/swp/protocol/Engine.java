package io.swp.protocol;

import io.swp.SessionConfig;

/**
 * The protocol engine of one session: a sans-I/O state machine in the style of
 * quinn-proto. It never starts threads, takes locks, touches sockets or reads a clock;
 * every method that depends on time takes {@code now}, a monotonic nanosecond count.
 * It is not thread-safe: the runtime serialises all calls.
 *
 * <p>RFCs a reader should know: RFC 9293 (TCP states and close), RFC 6298 (RTO
 * computation: SRTT, RTTVAR, Karn's rule, backoff), RFC 2018 / RFC 6675 (SACK and
 * loss recovery with it), RFC 1122 §4.2.3.2 and RFC 5681 §4.2 (delayed ACK),
 * RFC 1122 §4.2.2.17 (zero-window probing).
 *
 * <h2>Methods come in four kinds</h2>
 * <ul>
 *   <li>getters: {@link #state()}, {@link #stats()}, {@link #closeReason()}, …;</li>
 *   <li>inputs: {@link #handleFrame(byte[], long)}, {@link #handlePacket(Packet, long)},
 *       {@link #handleTimeout(long)}, {@link #setTransportCapacity(long, long)};</li>
 *   <li>application commands: {@link #write}, {@link #writeUnordered},
 *       {@link #read}, {@link #pollChunk}, {@link #pollUnordered},
 *       {@link #shutdownOutput}, {@link #close}, {@link #abort};</li>
 *   <li>outputs: {@link #pollTransmit(long)} (frames for {@link #remoteInbox()}),
 *       {@link #pollTimeout()} (next deadline), {@link #pollEvent()}.</li>
 * </ul>
 * The caller loops: feed inputs, then call {@code pollTransmit} until it returns null,
 * drain events, and arrange to call {@code handleTimeout} at {@code pollTimeout()}.
 *
 * <h2>Sequence space</h2>
 * Sequence numbers count frames: every DATA and FIN frame takes the next one, from 0.
 * A receiver holds at most its advertised window of frames/bytes (out-of-order plus
 * unread), so its memory is bounded by {@link SessionConfig#windowMessages()} and
 * {@link SessionConfig#windowBytes()}.
 */
public final class Engine {

    private Engine() {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * Creates the initiating side of a session. The SYN is sent on the first
     * {@link #pollTransmit(long)}.
     *
     * @param config the configuration
     * @param localInbox where the peer's frames arrive
     * @param remoteInbox where the peer listens
     * @param localNonce this session's random nonce (non-zero)
     * @param now the current time
     * @return the engine, in {@link EngineState#SYN_SENT}
     */
    public static Engine connect(SessionConfig config, String localInbox, String remoteInbox,
                                 long localNonce, long now) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * Creates the accepting side of a session from a received SYN. The SYN-ACK is sent
     * on the first {@link #pollTransmit(long)}.
     *
     * @param config the configuration
     * @param localInbox the inbox the SYN arrived at
     * @param syn the SYN packet
     * @param localNonce this session's random nonce (non-zero)
     * @param now the current time
     * @return the engine, in {@link EngineState#SYN_RECEIVED}
     * @throws IllegalArgumentException if {@code syn} is not a SYN
     */
    public static Engine accept(SessionConfig config, String localInbox, Packet syn,
                                long localNonce, long now) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /**
     * The answer to a frame that reached no session (unknown nonce, nobody accepting):
     * a RESET that makes the sender's session fail fast. Returns null for frames that
     * must not be answered (a RESET itself), so two endpoints never trade resets.
     *
     * @param offending the frame that matched no session
     * @param localInbox the inbox it arrived at
     * @return the encoded RESET for {@code offending.from()}, or null
     */
    public static byte[] resetFor(Packet offending, String localInbox) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    // ---------------------------------------------------------------- getters

    /** @return the current state */
    public EngineState state() {
        throw new UnsupportedOperationException();
    }

    /** @return why the session closed, or null while it is not {@link EngineState#CLOSED} */
    public CloseReason closeReason() {
        throw new UnsupportedOperationException();
    }

    /** @return the inbox this session receives at */
    public String localInbox() {
        throw new UnsupportedOperationException();
    }

    /** @return the inbox every frame from {@link #pollTransmit(long)} goes to */
    public String remoteInbox() {
        throw new UnsupportedOperationException();
    }

    /** @return this side's nonce */
    public long localNonce() {
        throw new UnsupportedOperationException();
    }

    /** @return the peer's nonce, or 0 before it is known */
    public long remoteNonce() {
        throw new UnsupportedOperationException();
    }

    /** @return a snapshot of the counters */
    public EngineStats stats() {
        throw new UnsupportedOperationException();
    }

    /**
     * @return how many bytes {@link #write} would accept now (0 when the send buffer is
     *     full, or when output is shut down or the session is closed)
     */
    public long sendBufferFree() {
        throw new UnsupportedOperationException();
    }

    /** @return whether every byte written, and the FIN if any, has been acknowledged */
    public boolean isSendBufferEmpty() {
        throw new UnsupportedOperationException();
    }

    /** @return in-order payload bytes ready for {@link #read} or {@link #pollChunk} */
    public long readableBytes() {
        throw new UnsupportedOperationException();
    }

    /**
     * @return whether the peer's FIN has been received and all data before it read:
     *     reads now report end of stream
     */
    public boolean isInputFinished() {
        throw new UnsupportedOperationException();
    }

    // ---------------------------------------------------------------- inputs

    /**
     * Decodes and handles a frame. Malformed frames are counted
     * ({@link EngineStats#badFramesDropped()}) and dropped.
     *
     * @param frame the encoded frame
     * @param now the current time
     * @return false if the frame was dropped as malformed
     */
    public boolean handleFrame(byte[] frame, long now) {
        throw new UnsupportedOperationException();
    }

    /**
     * Handles a decoded packet addressed to this session. Packets with the wrong nonces
     * are counted ({@link EngineStats#strayFramesDropped()}) and ignored.
     *
     * @param packet the packet
     * @param now the current time
     */
    public void handlePacket(Packet packet, long now) {
        throw new UnsupportedOperationException();
    }

    /**
     * Runs every timer that is due at {@code now}: retransmission, delayed ACK,
     * keepalive and dead-peer detection, zero-window probe, connect timeout, TIME-WAIT.
     * Calling it early is harmless.
     *
     * @param now the current time
     */
    public void handleTimeout(long now) {
        throw new UnsupportedOperationException();
    }

    /**
     * Tells the engine how much the transport's local receive buffer can still take
     * (e.g. a NATS subscription's pending limits); the advertised window never exceeds
     * it. {@link io.swp.Network.InboxBinding#UNKNOWN} for either means no limit.
     *
     * @param freeMessages frames the transport can still buffer
     * @param freeBytes bytes the transport can still buffer
     */
    public void setTransportCapacity(long freeMessages, long freeBytes) {
        throw new UnsupportedOperationException();
    }

    // ---------------------------------------------------------------- application

    /**
     * Queues bytes of the outgoing stream. Accepts as many as the send buffer has room
     * for; small writes are coalesced into frames of up to the payload size.
     *
     * @param src the bytes
     * @param off where they start
     * @param len how many
     * @param endOfMessage whether the last byte of {@code src[off, off+len)} ends a
     *     message; honoured only if all {@code len} bytes are accepted
     * @param now the current time
     * @return how many bytes were accepted (0 if the buffer is full)
     * @throws IllegalStateException if output was shut down or the session is closed
     */
    public int write(byte[] src, int off, int len, boolean endOfMessage, long now) {
        throw new UnsupportedOperationException();
    }

    /**
     * Queues one complete message for unordered, as-soon-as-possible delivery: it is
     * retransmitted until acknowledged and the receiver hands it to its application on
     * first arrival (see {@link #pollUnordered()}), skipping the ordered stream.
     *
     * @param message the message, at most the frame payload size
     * @param now the current time
     * @return false if the send buffer has no room now
     * @throws IllegalArgumentException if the message is larger than one frame payload
     * @throws IllegalStateException if output was shut down or the session is closed
     */
    public boolean writeUnordered(byte[] message, long now) {
        throw new UnsupportedOperationException();
    }

    /**
     * Reads in-order stream bytes, ignoring message boundaries.
     *
     * @param dst where to put them
     * @param off where to start
     * @param len at most how many
     * @param now the current time
     * @return bytes read; 0 if none are ready; -1 at end of stream (peer's FIN reached)
     */
    public int read(byte[] dst, int off, int len, long now) {
        throw new UnsupportedOperationException();
    }

    /**
     * Takes the next in-order chunk whole, keeping message boundaries.
     *
     * @param now the current time
     * @return the chunk, or null if none is ready (see {@link #isInputFinished()} for EOF)
     */
    public ReceivedChunk pollChunk(long now) {
        throw new UnsupportedOperationException();
    }

    /** @return the next unordered message received, or null */
    public byte[] pollUnordered() {
        throw new UnsupportedOperationException();
    }

    /**
     * Half-closes: a FIN follows all queued data; reading continues until the peer's FIN.
     *
     * @param now the current time
     */
    public void shutdownOutput(long now) {
        throw new UnsupportedOperationException();
    }

    /**
     * Closes gracefully: like {@link #shutdownOutput(long)}, and the application will
     * not read any more; data still arriving is acknowledged and discarded until the
     * peer's FIN. The engine reaches CLOSED after both FINs are acknowledged and
     * TIME-WAIT has passed, or fails by the usual timers.
     *
     * @param now the current time
     */
    public void close(long now) {
        throw new UnsupportedOperationException();
    }

    /**
     * Aborts: sends a RESET, discards all buffers and closes with
     * {@link CloseReason#ABORTED} at once.
     *
     * @param now the current time
     */
    public void abort(long now) {
        throw new UnsupportedOperationException();
    }

    // ---------------------------------------------------------------- outputs

    /**
     * @param now the current time
     * @return the next frame to send to {@link #remoteInbox()}, or null when there is
     *     nothing to send now
     */
    public byte[] pollTransmit(long now) {
        throw new UnsupportedOperationException();
    }

    /** @return the time at which {@link #handleTimeout(long)} should next run, or {@code Long.MAX_VALUE} */
    public long pollTimeout() {
        throw new UnsupportedOperationException();
    }

    /** @return the next event, or null */
    public EngineEvent pollEvent() {
        throw new UnsupportedOperationException();
    }
}
