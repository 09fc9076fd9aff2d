package io.swp.protocol;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 *   <li>inputs: {@link #handleFrame(byte[], long)}, {@link #handleFrame(Frame, long)},
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
 * A receiver holds at most its advertised window of frames/bytes (out-of-order, unread,
 * and unordered messages not yet taken), so its memory is bounded by
 * {@link EngineConfig#windowFrames()} and {@link EngineConfig#windowBytes()}; frames
 * beyond it are dropped and counted ({@link EngineStats#noRoomDropped()}). Exceptions,
 * both bounded: an empty receive buffer always takes one frame (so a peer whose frames
 * exceed our byte window cannot deadlock), and the frame filling the gap below held
 * frames is always taken (one frame over at most). Unordered messages are further bounded
 * by {@link EngineConfig#unorderedQueueLimit()}, with the oldest dropped and counted.
 * On the send side every queued frame costs its payload plus a small bookkeeping charge
 * against {@link EngineConfig#sendBufferBytes()} (see {@link #sendBufferFree()}).
 *
 * <h2>Handshake and nonces</h2>
 * SYN (our nonce, destination nonce 0) → SYN_ACK (the acceptor's nonce, ours echoed) →
 * ACK. The initiator retries the SYN until the connect timeout, every RTO for the first
 * three timeouts and then with backoff (at most one keepalive interval apart). Endpoints
 * accept statelessly ({@link #statelessSynAck}, {@link #acceptProven}): the acceptor's
 * engine is created by the initiator's first frame after the SYN_ACK and never resends
 * the SYN_ACK, so a lost SYN_ACK is repaired by the initiator's SYN retransmission and a
 * lost ACK by the initiator's next frame (data, or a keepalive). An engine created by
 * {@link #accept} (a stateful acceptor, for tests) answers a duplicate SYN with its
 * SYN_ACK again and also retries the SYN_ACK on its own timer. Either becomes established
 * on the first valid non-SYN frame (right nonces, and acknowledging nothing, since it has
 * sent no data yet), or gives up at the connect timeout (counted from the SYN). Every frame
 * carries both nonces; frames whose nonces do not match are counted in
 * {@link EngineStats#strayFramesDropped()} and ignored, RESETs included.
 *
 * <h2>Flow control, and no congestion control</h2>
 * Every frame advertises how many frames and bytes this side can still buffer. A sender
 * keeps its in-flight frames that the peer has not SACKed within the peer's latest
 * advertisement (the advertisement already accounts for what the peer holds), and never
 * has more than {@link EngineConfig#windowFrames()} frames in flight (a frame larger
 * than any byte window the peer has advertised goes alone, when the peer appears empty,
 * since an empty receive buffer always takes one frame). There is
 * deliberately no loss-based congestion window: swp runs over a message bus whose
 * broker already paces each connection, losses there are not a congestion signal, and
 * what must not overflow is the receiving client's buffer, which the advertised window
 * (fed by {@link #setTransportCapacity}) protects. When the peer's window is closed and
 * data waits, KEEPALIVE frames probe it with backoff up to the keepalive interval,
 * starting at the RTO (after a proven loss, at two of the lowest round trips echoes
 * showed). Once a loss has been
 * detected, a queue cap keeps the bytes still on the way to the peer (sent after the
 * newest send it has echoed, and not SACKed) near two bandwidth-delay products measured
 * from the delivery rate and the lowest round trip (see {@code lossQueueCap}), so that
 * repairs do not wait behind a window-sized queue.
 *
 * <h2>RTT and retransmission</h2>
 * RTT samples come from per-frame send times: an acknowledgement that newly delivers
 * frames yields one sample, from the most recently sent of them that was never
 * retransmitted (Karn's rule), and only if it is the newest frame the peer had seen
 * when it acknowledged (its echoed timestamp says so), so acknowledgements held back by a
 * hole do not inflate the estimate; {@link RttEstimator} does RFC 6298's arithmetic. Loss
 * is detected from the SACK scoreboard ({@link SendBuffer}: DupThresh 3 or a later-sent
 * frame delivered beyond a reordering allowance of SRTT/4, both raised when echoed
 * timestamps show a retransmission was spurious) and repaired at once; a retransmission
 * is declared lost again as soon as a frame sent after it is delivered or seen (unless
 * the peer's window is full: then at most once per round trip). A tail-loss probe
 * (RFC 8985 §7) resends the oldest frame when nothing has come back for as long as the
 * answer to the newest frame should take (after a proven loss, twice the lowest echoed
 * round trip plus the pipe's queue, at least 1 ms; at most, and before any loss, one and
 * a half smoothed round trips), at most
 * twice per quiet spell, so that its echo reveals lost retransmissions before the timer
 * would. Under heavy loss (a sixth of the data frames retransmitted) a probe's or a
 * timer's retransmission goes out twice. When the
 * retransmission timer on the oldest frame expires, only the oldest frame is resent (the
 * peer may be gone, or a thread merely descheduled, and a timer must not resend the
 * window); once an acknowledgement shows the path works and the timeout was not spurious
 * (RFC 4015), every frame sent before the timeout and still not SACKed follows, up to
 * the last frame the acknowledgement could report. If the oldest frame was SACKed, the
 * peer has reneged: the scoreboard is cleared first (RFC 2018 §8). The RTO backs off
 * from the fourth expiry in a row.
 *
 * <h2>Acknowledgements</h2>
 * In-order data is acknowledged after {@link EngineConfig#inOrderFramesPerAck()} frames or
 * {@link EngineConfig#ackDelayNanos()}; out-of-order frames, duplicates, gap fills, FINs
 * and KEEPALIVEs are acknowledged at once, as is a window that reopens from (near) zero or
 * grows by half the window (a quarter on a lossy path) after reads. Every frame carries the acknowledgement, so a
 * pure ACK is only sent when nothing else is going out.
 *
 * <h2>Liveness and close</h2>
 * A KEEPALIVE goes out after a keepalive interval without sending; the peer answers at
 * once. A peer that has not proved it is alive for {@link EngineConfig#deadPeerNanos()}
 * is dead, in every state after SYN_SENT (which the connect timeout bounds) except
 * TIME_WAIT. A frame with the right nonces proves it only if it could not be a replay
 * of a frame received before: it carries a timestamp newer than any the peer sent
 * before, or echoes a send of ours newer than any echoed before (the answer to a
 * keepalive), or brings new data (taken in or out of order) or acknowledges or SACKs
 * something new. A duplicate, a frame refused for lack of room, or any frame replayed as
 * captured is answered as usual but does not keep a silent peer's session alive. (It
 * guards against replays, not forgeries: whoever can forge frames with the nonces can
 * also forge fresh timestamps.) The dead-peer rule also bounds FIN_WAIT_2, which
 * otherwise lasts as long as the peer keeps its output open (half-close, as in TCP).
 * FINs are sequenced frames, so a lost FIN or lost ACK of it is repaired like data. The
 * configured unacked timeout and per-frame retransmission limit end a session early;
 * they, unlike a dead peer, send a best-effort RESET.
 *
 * <h2>Faulty and hostile peers</h2>
 * Nothing a peer sends is trusted beyond what this side can check. A frame is dropped
 * whole, before anything in it is used, if it is addressed to another inbox, carries the
 * wrong nonces, has a payload larger than {@link EngineConfig#maxPayloadBytes()}, or
 * acknowledges or SACKs frames never sent (in SYN_RECEIVED, anything at all); all are
 * counted in {@link EngineStats#strayFramesDropped()}. Data beyond the peer's FIN is
 * never delivered, whatever the order of arrival. An echoed timestamp newer than any
 * this side sent (or older than the first) is ignored: no RTT sample, no loss evidence.
 * The receive window bounds everything buffered, unordered messages included, and the
 * receive ring grows to at most {@link EngineConfig#MAX_WINDOW_FRAMES} slots; nothing is
 * allocated in proportion to what the peer advertises. Replayed frames do not keep a
 * session alive, and frames the peer SACKed and then dropped are resent after a timeout.
 * A peer that knows both nonces can still waste this side's bandwidth within the window
 * and keep the session open; that, and confidentiality, are for the transport's
 * authentication to prevent.
 */
public final class Engine {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    private static final long NEVER = Long.MAX_VALUE;
    /** Tail-loss probes per quiet spell before the retransmission timer alone remains. */
    private static final int MAX_TAIL_PROBES = 2;
    /** Retransmissions at least 1/this of the data frames sent: heavy loss (see sendTwiceUnderHeavyLoss). */
    private static final int HEAVY_LOSS_RETRANSMIT_SHARE = 6;
    /** The shortest wait for a tail-loss probe: a loaded host's scheduling delay. */
    private static final long MIN_PROBE_TIMEOUT_NANOS = 1_000_000L;
    /** Retransmission timeouts in a row, in the handshake or after, before the RTO backs off. */
    static final int LINEAR_TIMEOUTS = 3;
    /** Scheduling delay a loaded host adds to the round trip, which the queue cap must not starve. */
    private static final long QUEUE_ALLOWANCE_NANOS = 2_000_000L;
    /** The queue cap never goes below this many full frames. */
    private static final int QUEUE_CAP_FLOOR_FRAMES = 16;
    /** How long the lowest round trip and the highest delivery rate are remembered (BBR's min_rtt filter is 10 s). */
    private static final long MIN_RTT_WINDOW_NANOS = 10_000_000_000L;
    /** The shortest span a delivery rate is measured over. */
    private static final long MIN_RATE_SPAN_NANOS = 1_000_000L;
    /** A transport capacity the transport cannot tell: no limit from it. */
    public static final long UNKNOWN_CAPACITY = -1;
    private static final byte[] EMPTY = new byte[0];

    private final EngineConfig config;
    private final String localInbox;
    private final String remoteInbox;
    /** The two inbox names in UTF-8, encoded once for every frame this engine sends. */
    private final byte[] localInboxUtf8;
    private final byte[] remoteInboxUtf8;
    private final long localNonce;
    private final boolean initiator;
    private long remoteNonce;
    private EngineState state;
    private CloseReason closeReason;
    private int maxPayload;

    private final SendBuffer send;
    private final ReceiveBuffer receive;
    private final RttEstimator rtt;
    private final ArrayDeque<EngineEvent> events = new ArrayDeque<>(4);
    private final EnumSet<EngineEvent> emitted = EnumSet.noneOf(EngineEvent.class);

    // The peer's advertised capacity, from its most recent frame (by its timestamp).
    private long peerFreeFrames;
    private long peerFreeBytes;
    private long peerWindowStamp = Long.MIN_VALUE;
    // The most free bytes the peer has ever advertised: about its whole byte window.
    private long peerLargestFreeBytes;
    private long transportFreeFrames = UNKNOWN_CAPACITY;
    private long transportFreeBytes = UNKNOWN_CAPACITY;

    // Acknowledgements we owe, and what we last told the peer.
    private boolean ackNow;
    private long ackDeadline = NEVER;
    private int inOrderSinceAck;
    private long advertisedFrames;
    private long advertisedBytes;
    // What the receive buffer lets the peer fill: the largest occupancy (held + advertised
    // free) advertised in the current period of one RTO and in the one before it, since
    // frames the peer sent under a larger, older advertisement may still be on the way.
    private boolean edgeKnown;
    private long edgeSince;
    private long edgeFrames;
    private long edgeBytes;
    private long previousEdgeFrames;
    private long previousEdgeBytes;
    private boolean peerTimestampKnown;
    private long peerTimestamp;
    // The newest of our timestamps the peer has echoed: the latest send it has seen.
    private boolean peerEchoKnown;
    private long peerEcho;
    // The oldest and newest timestamps we have sent: an echo outside them is no echo.
    private boolean timestampSent;
    private long firstTimestampSent;
    private long newestTimestampSent;

    // Handshake.
    private boolean handshakeDue;
    private int handshakeSends;
    private long handshakeFirstSentAt;
    private final long connectDeadline;

    // Timer state (see Timer for the list).
    private long retransmitDeadline = NEVER;
    private long lastSendAt;
    // When a frame from the peer last arrived, and when one last proved the peer alive
    // (see "Liveness and close" above: a replayed duplicate does not).
    private long lastReceiveAt;
    private long lastAliveAt;
    private boolean keepaliveDue;
    private long probeDeadline = NEVER;
    private long probeInterval;
    private boolean probeDue;
    private long timeWaitDeadline = NEVER;
    // TIME_WAIT restarts on frames from a peer still closing, but never past this.
    private long timeWaitLimit = NEVER;
    // FIN_WAIT_2 after close(): the application reads no more, so waiting for the peer's
    // FIN is bounded by the close timeout (a live peer could otherwise hold it forever).
    private long orphanDeadline = NEVER;
    // After close(): everything we sent, FIN included, must be acknowledged by then.
    private long closeDeadline = NEVER;
    private boolean timeoutRecovery;
    private long timeoutRecoveryPoint;
    // Tail-loss probe: when DATA last went out, when an acknowledgement last brought news,
    // and whether a probe went out since.
    private long lastDataSentAt;
    private long lastAckProgressAt;
    private int tailProbesSinceNews;
    private int timeoutsSinceNews;
    private boolean tailProbeUnanswered;
    private long tailProbeSentAt;
    // A timer's retransmission to send a second time (see sendTwiceUnderHeavyLoss).
    private SentFrame secondCopy;
    // The queue cap under loss (see lossQueueCap): the lowest recent round trip, the
    // highest recent delivery rate, and whether a loss was ever detected.
    private final RecentMinimum minRtt = new RecentMinimum();
    // The lowest round trip any echo showed (see noteEchoRtt).
    private final RecentMinimum minEchoRtt = new RecentMinimum();
    private long rateEpochStart = NEVER;
    private long rateEpochDelivered;
    private double maxDeliveryRate;
    private long maxDeliveryRateAt;
    private boolean lossSeen;
    // Whether a frame from the peer ever arrived out of order (see considerWindowUpdate).
    private boolean inboundLossSeen;

    // Close.
    private boolean outputShutdown;
    private boolean inputClosed;
    private boolean peerFinished;
    private boolean resetDue;

    // Counters (see EngineStats).
    private long framesSent;
    private long framesReceived;
    private long dataFramesSent;
    private long payloadBytesSent;
    private long retransmits;
    private long fastRetransmits;
    private long timeouts;
    private long duplicatesDropped;
    private long badFramesDropped;
    private long strayFramesDropped;
    private long noRoomDropped;
    private long acksSent;
    private long acksReceived;
    private long keepalivesSent;
    private long tailLossProbes;
    private long spuriousTimeouts;

    private Engine(EngineConfig config, String localInbox, String remoteInbox, long localNonce,
                   long remoteNonce, boolean initiator, EngineState state, long now) {
        this.config = Objects.requireNonNull(config, "config");
        this.localInbox = Objects.requireNonNull(localInbox, "localInbox");
        this.remoteInbox = Objects.requireNonNull(remoteInbox, "remoteInbox");
        this.localInboxUtf8 = localInbox.getBytes(StandardCharsets.UTF_8);
        this.remoteInboxUtf8 = remoteInbox.getBytes(StandardCharsets.UTF_8);
        this.send = new SendBuffer(new FrameLayout(
                FrameCodec.inPlaceHeaderBytes(localInboxUtf8.length, remoteInboxUtf8.length),
                FrameCodec.inPlaceTailBytes()));
        if (localNonce == 0) {
            throw new IllegalArgumentException("the local nonce must not be 0");
        }
        this.localNonce = localNonce;
        this.remoteNonce = remoteNonce;
        this.initiator = initiator;
        this.state = state;
        this.maxPayload = config.maxPayloadBytes();
        this.receive = new ReceiveBuffer(config.windowFrames(), config.windowBytes(),
                config.unorderedQueueLimit());
        this.rtt = new RttEstimator(config.initialRtoNanos(), config.minRtoNanos(), config.maxRtoNanos());
        this.connectDeadline = saturatedAdd(now, config.connectTimeoutNanos());
        this.lastSendAt = now;
        this.lastReceiveAt = now;
        this.lastAliveAt = now;
        this.handshakeDue = true;
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
    public static Engine connect(EngineConfig config, String localInbox, String remoteInbox,
                                 long localNonce, long now) {
        return new Engine(config, localInbox, remoteInbox, localNonce, 0, true, EngineState.SYN_SENT, now);
    }

    /**
     * Creates the accepting side of a session from a received SYN. The SYN-ACK is sent
     * on the first {@link #pollTransmit(long)}.
     *
     * @param config the configuration
     * @param localInbox the inbox the SYN arrived at
     * @param syn the SYN frame
     * @param localNonce this session's random nonce (non-zero)
     * @param now the current time
     * @return the engine, in {@link EngineState#SYN_RECEIVED}
     * @throws IllegalArgumentException if {@code syn} is not a SYN
     */
    public static Engine accept(EngineConfig config, String localInbox, Frame syn,
                                long localNonce, long now) {
        if (syn.kind() != FrameKind.SYN || syn.srcNonce() == 0 || syn.dstNonce() != 0) {
            throw new IllegalArgumentException("not a SYN opening a session: " + syn);
        }
        Engine e = new Engine(config, localInbox, syn.from(), localNonce, syn.srcNonce(), false,
                EngineState.SYN_RECEIVED, now);
        e.framesReceived = 1;
        e.notePeerTimestamp(syn.tsVal());
        e.updatePeerWindow(syn);
        return e;
    }

    /**
     * The SYN_ACK a stateless acceptor sends for {@code syn}: what the engine would send
     * from {@link #accept}, built from the SYN alone, advertising the configured window.
     * No engine exists until the initiator's next frame proves that it receives at its
     * {@code from} by naming {@code localNonce} ({@link #acceptProven}).
     *
     * @param config the acceptor's engine settings
     * @param localInbox the inbox the SYN arrived at
     * @param syn the SYN
     * @param localNonce the nonce the session will have (a cookie)
     * @param now the current time, sent as the timestamp
     * @return the encoded SYN_ACK for {@code syn.from()}
     */
    public static byte[] statelessSynAck(EngineConfig config, String localInbox, Frame syn, long localNonce,
                                         long now) {
        return statelessSynAck(config, localInbox, syn, localNonce, now, UNKNOWN_CAPACITY, UNKNOWN_CAPACITY);
    }

    /**
     * {@link #statelessSynAck(EngineConfig, String, Frame, long, long)} advertising at most
     * a share of the transport: the window a stateless SYN_ACK advertises is a promise no
     * state remembers, so it must fit beside everyone else's (the demux's handshake share).
     *
     * @param config the configuration
     * @param localInbox the inbox the SYN arrived at
     * @param syn the SYN
     * @param localNonce the cookie
     * @param now the current time
     * @param freeFrames at most this many frames, or {@link #UNKNOWN_CAPACITY}
     * @param freeBytes at most this many bytes, or {@link #UNKNOWN_CAPACITY}
     * @return the encoded SYN_ACK
     */
    public static byte[] statelessSynAck(EngineConfig config, String localInbox, Frame syn, long localNonce,
                                         long now, long freeFrames, long freeBytes) {
        long frames = freeFrames < 0 ? config.windowFrames() : Math.min(config.windowFrames(), freeFrames);
        long bytes = freeBytes < 0 ? config.windowBytes() : Math.min(config.windowBytes(), freeBytes);
        return FrameCodec.encode(Frame.builder(FrameKind.SYN_ACK)
                .from(localInbox).to(syn.from())
                .srcNonce(localNonce).dstNonce(syn.srcNonce())
                .window((int) frames, bytes)
                .tsVal(now).tsEcr(syn.tsVal())
                .build());
    }

    /**
     * Creates the accepting side of a session whose SYN_ACK was sent statelessly
     * ({@link #statelessSynAck}), from the initiator's first frame after it, which names
     * {@code localNonce} and so proves that the initiator receives at its inbox. The
     * engine is in {@link EngineState#SYN_RECEIVED} with its SYN_ACK counted as sent and
     * no timer to resend it; feeding it {@code first} completes the handshake.
     *
     * @param config the configuration
     * @param localInbox the inbox the frame arrived at
     * @param first the initiator's frame (an ACK, or data if its ACK was lost)
     * @param localNonce the nonce the frame names (the cookie)
     * @param now the current time
     * @return the engine, in {@link EngineState#SYN_RECEIVED}
     * @throws IllegalArgumentException if {@code first} is a SYN or names no nonces
     */
    public static Engine acceptProven(EngineConfig config, String localInbox, Frame first, long localNonce,
                                      long now) {
        if (first.kind() == FrameKind.SYN || first.srcNonce() == 0 || first.dstNonce() != localNonce) {
            throw new IllegalArgumentException("not a frame completing a stateless handshake: " + first);
        }
        Engine e = new Engine(config, localInbox, first.from(), localNonce, first.srcNonce(), false,
                EngineState.SYN_RECEIVED, now);
        e.handshakeDue = false;
        e.handshakeSends = 1;
        e.noteAdvertised(config.windowFrames(), config.windowBytes(), now); // at most what statelessSynAck advertised
        // What the SYN_ACK advertised is not remembered: take it as closed, so that the
        // first share this engine is given is told to the peer at once.
        e.advertisedFrames = 0;
        e.advertisedBytes = 0;
        // The frame echoes our SYN_ACK's timestamp: one RTT sample, if it is plausible and
        // the frame is the initiator's immediate answer, its ACK. Data or a keepalive
        // proving the cookie after that ACK was lost went out up to a keepalive interval
        // later and would inflate the RTO by as much (delaying every retransmission,
        // the FIN's included, beyond the peer's TIME_WAIT).
        long echoed = first.tsEcr();
        if (first.kind() == FrameKind.ACK && echoed <= now && echoed > now - config.connectTimeoutNanos()) {
            e.handshakeFirstSentAt = echoed;
        } else {
            e.handshakeSends = 2; // no sample (Karn's rule treats it like a retransmission)
        }
        return e;
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
    public static byte[] resetFor(Frame offending, String localInbox) {
        if (offending.kind() == FrameKind.RESET) {
            return null;
        }
        return FrameCodec.encode(Frame.builder(FrameKind.RESET)
                .from(localInbox).to(offending.from())
                .srcNonce(offending.dstNonce()).dstNonce(offending.srcNonce())
                .tsEcr(offending.tsVal())
                .build());
    }

    // ---------------------------------------------------------------- getters

    /** @return the current state */
    public EngineState state() {
        return state;
    }

    /** @return why the session closed, or null while it is not {@link EngineState#CLOSED} */
    public CloseReason closeReason() {
        return closeReason;
    }

    /** @return the inbox this session receives at */
    public String localInbox() {
        return localInbox;
    }

    /** @return the inbox every frame from {@link #pollTransmit(long)} goes to */
    public String remoteInbox() {
        return remoteInbox;
    }

    /** @return this side's nonce */
    public long localNonce() {
        return localNonce;
    }

    /**
     * @return payload bytes this side holds for the application: out-of-order frames and
     *     data not yet read (what its receive window accounts for)
     */
    public long bufferedInboundBytes() {
        return receive.bufferedBytes();
    }

    /**
     * @return the next sequence number the receive side expects: every DATA frame below it
     *     has been taken, so a frame of this session with a lower number is a duplicate
     */
    public long receivedThrough() {
        return receive.next();
    }

    /**
     * @param seq a sequence number the peer sent
     * @return whether the receive buffer must take that frame whatever the memory: it is
     *     the next expected frame and either nothing is buffered (an empty buffer always
     *     takes one frame) or it fills the gap below frames held out of order (refusing it
     *     could leave the held frames unreadable for good)
     */
    public boolean mustAccept(long seq) {
        return seq == receive.next()
                && (receive.bufferedBytes() == 0 || receive.bufferedBytes() > receive.unreadBytes());
    }

    /** @return whether this side opened the session (sent the SYN) */
    public boolean isInitiator() {
        return initiator;
    }

    /** @return the peer's nonce, or 0 before it is known */
    public long remoteNonce() {
        return remoteNonce;
    }

    /** @return the largest payload this engine puts in one frame (see {@link #setMaxPayload(int)}) */
    public int maxPayload() {
        return maxPayload;
    }

    /** @return the send side, for tests in this package */
    SendBuffer sendBufferForTest() {
        return send;
    }

    /** @return the receive side, for tests in this package */
    ReceiveBuffer receiveBufferForTest() {
        return receive;
    }

    /** @return a snapshot of the counters */
    public EngineStats stats() {
        return new EngineStats(framesSent, framesReceived, dataFramesSent, payloadBytesSent,
                receive.deliveredBytes(), retransmits, fastRetransmits, timeouts, duplicatesDropped,
                badFramesDropped, strayFramesDropped + receive.droppedPastFin(), noRoomDropped, acksSent,
                acksReceived, keepalivesSent, receive.unorderedDropped(), rtt.srtt(), rtt.rttvar(), rtt.rto(),
                rtt.samples(), send.inFlightFrames(), send.inFlightBytes(), peerFreeFrames, peerFreeBytes,
                localFreeFrames(), localFreeBytes(), tailLossProbes, send.spuriousRetransmits(), spuriousTimeouts);
    }

    /**
     * How many bytes {@link #write} would accept now: {@link EngineConfig#sendBufferBytes()}
     * minus the payload queued or unacknowledged, minus a small bookkeeping charge per
     * queued frame (64 bytes) so that many tiny messages are bounded like large ones.
     *
     * @return that many bytes (0 when the send buffer is full, or when output is shut down
     *     or the session is closed)
     */
    public long sendBufferFree() {
        if (state == EngineState.CLOSED || outputShutdown) {
            return 0;
        }
        return Math.max(0, config.sendBufferBytes() - send.chargedBytes());
    }

    /** @return whether every byte written, and the FIN if any, has been acknowledged */
    public boolean isSendBufferEmpty() {
        return send.isEmpty();
    }

    /** @return in-order payload bytes ready for {@link #read} or {@link #pollChunk} */
    public long readableBytes() {
        return receive.unreadBytes();
    }

    /**
     * @return whether an in-order chunk waits for {@link #pollChunk}, counting chunks
     *     without bytes (an empty message) that {@link #readableBytes()} does not show
     */
    public boolean hasReadableChunk() {
        return !receive.isReadableEmpty();
    }

    /**
     * @return whether the peer's FIN has been received and all data before it read:
     *     reads now report end of stream
     */
    public boolean isInputFinished() {
        return receive.finReached() && receive.isReadableEmpty();
    }

    // ---------------------------------------------------------------- inputs

    /**
     * Decodes and handles a frame. Malformed frames are counted
     * ({@link EngineStats#badFramesDropped()}) and dropped.
     *
     * @param encoded the frame as it arrived
     * @param now the current time
     * @return false if the frame was dropped as malformed
     */
    public boolean handleFrame(byte[] encoded, long now) {
        Frame p;
        try {
            p = FrameCodec.decode(encoded);
        } catch (MalformedFrameException e) {
            badFramesDropped++;
            LOG.debug("{}: dropped a malformed frame: {}", this, e.getMessage());
            return false;
        }
        handleFrame(p, now);
        return true;
    }

    /**
     * Handles a decoded frame addressed to this session. Frames addressed to another
     * inbox, with the wrong nonces, or with a payload larger than
     * {@link EngineConfig#maxPayloadBytes()} are counted
     * ({@link EngineStats#strayFramesDropped()}) and ignored.
     *
     * @param frame the frame
     * @param now the current time
     */
    public void handleFrame(Frame frame, long now) {
        if (state == EngineState.CLOSED || !frame.to().equals(localInbox)
                || frame.payloadLength() > config.maxPayloadBytes()) {
            strayFramesDropped++;
            return;
        }
        FrameKind kind = frame.kind();
        if (kind == FrameKind.SYN) {
            handleSyn(frame, now);
            return;
        }
        if (state == EngineState.SYN_SENT) {
            handleInSynSent(frame, now);
            return;
        }
        if (frame.srcNonce() != remoteNonce || frame.dstNonce() != localNonce) {
            strayFramesDropped++;
            return;
        }
        if (kind == FrameKind.RESET) {
            noteValidFrame(frame, now);
            onPeerReset();
            return;
        }
        if (!acknowledgesOnlySentFrames(frame)) {
            // Not from the peer as this session knows it (a bug or a forgery): drop it whole,
            // before it can complete the handshake, refresh a timer or move the peer's window.
            framesReceived++;
            strayFramesDropped++;
            return;
        }
        noteValidFrame(frame, now);
        if (state == EngineState.SYN_RECEIVED) {
            becomeEstablished(now);
        } else if (state == EngineState.TIME_WAIT && kind != FrameKind.ACK) {
            // The peer is still closing (its FIN again, or a keepalive): our ACK of its FIN
            // was lost. Wait again for its next try, as RFC 9293 §3.10.7.4 restarts
            // TIME-WAIT on a retransmitted FIN; bounded, so no peer holds it for ever.
            timeWaitDeadline = Math.min(saturatedAdd(now, timeWaitNanos()), timeWaitLimit);
        }
        if (kind == FrameKind.SYN_ACK) {
            // The acceptor did not hear our ACK: repeat it.
            ackNow = true;
            return;
        }
        processAck(frame, now);
        if (state == EngineState.CLOSED) {
            return;
        }
        if (kind.isSequenced()) {
            processSequenced(frame, now);
        } else if (kind == FrameKind.KEEPALIVE) {
            ackNow = true;
        }
        updateProbe(now);
    }

    /**
     * Runs every timer that is due at {@code now}: retransmission, delayed ACK,
     * keepalive and dead-peer detection, zero-window probe, connect timeout, TIME-WAIT.
     * Calling it early is harmless.
     *
     * @param now the current time
     */
    public void handleTimeout(long now) {
        for (Timer timer : Timer.ALL) {
            if (state == EngineState.CLOSED) {
                return;
            }
            if (now >= deadline(timer)) {
                fire(timer, now);
            }
        }
    }

    /**
     * Tells the engine how much the transport's local receive buffer can still take
     * (e.g. a NATS subscription's pending limits); the advertised window never exceeds
     * it. {@link #UNKNOWN_CAPACITY} for either means no limit.
     *
     * @param freeFrames frames the transport can still buffer
     * @param freeBytes bytes the transport can still buffer
     */
    public void setTransportCapacity(long freeFrames, long freeBytes) {
        transportFreeFrames = freeFrames < 0 ? UNKNOWN_CAPACITY : freeFrames;
        transportFreeBytes = freeBytes < 0 ? UNKNOWN_CAPACITY : freeBytes;
        // A share taken back (given to another session) is said at once: until the peer
        // hears it, it may still send under the window it was last told, and those frames
        // would land on capacity now granted to someone else.
        if (state.mayReceiveData() && (taken(transportFreeFrames, advertisedFrames)
                || taken(transportFreeBytes, advertisedBytes))) {
            ackNow = true;
        }
        considerWindowUpdate();
    }

    /** Whether a transport share of {@code now} takes back more than half of what was last advertised. */
    private static boolean taken(long now, long advertised) {
        return now >= 0 && advertised > 0 && belowHalf(now, advertised); // a cut to 0 is below half too
    }

    /**
     * Whether {@code now} is less than half of {@code before} (both at least 0): the one
     * rule by which a shrunk share is told, both when {@code Demux} lists the session for
     * service and when its engine decides to send the update. With {@code now < before / 2}
     * here, integer division kept a share cut from 3 frames to 1 untold while the demux
     * had asked for it, and at 10,000 sessions peers sent 3 and 4 frames each into a queue
     * shared out since.
     */
    static boolean belowHalf(long now, long before) {
        return now < before - now;
    }

    /**
     * Lowers the payload size of frames queued from now on, e.g. to what the network
     * carries ({@code network.maxFrameSize() - FrameCodec.MAX_OVERHEAD_BYTES}). The
     * runtime calls it right after creating the engine, before any write; frames already
     * queued keep their size. The effective size is never above
     * {@link EngineConfig#maxPayloadBytes()}.
     *
     * @param bytes the largest payload per frame, at least 1
     * @throws IllegalArgumentException if {@code bytes} is below 1
     */
    public void setMaxPayload(int bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("max payload must be at least 1 byte, got " + bytes);
        }
        maxPayload = Math.min(config.maxPayloadBytes(), bytes);
    }

    // ---------------------------------------------------------------- application

    /**
     * Queues bytes of the outgoing stream. Accepts as many as the send buffer has room
     * for; small writes are coalesced into the last frame not yet sent, up to the payload
     * size, unless that frame ends a message. A zero-length write with
     * {@code endOfMessage} ends the current message (an empty message if none is open).
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
        Objects.checkFromIndexSize(off, len, src.length);
        checkWritable();
        int accepted = (int) Math.min(len, sendBufferFree());
        if (accepted == 0 && len > 0) {
            return 0;
        }
        SentFrame last = send.appendBytes(src, off, accepted, maxPayload);
        if (endOfMessage && accepted == len) {
            if (last == null) {
                last = send.lastUnsentPlainData();
            }
            if (last != null) {
                last.flags |= Frame.FLAG_END_OF_MESSAGE;
            } else {
                send.appendFrame(FrameKind.DATA, Frame.FLAG_END_OF_MESSAGE, EMPTY);
            }
        }
        return accepted;
    }

    /**
     * Queues one complete message for unordered, as-soon-as-possible delivery: it is
     * retransmitted until acknowledged and the receiver hands it to its application on
     * first arrival (see {@link #pollUnordered()}), skipping the ordered stream.
     *
     * @param message the message, at most the frame payload size; copied
     * @param now the current time
     * @return false if the send buffer has no room now
     * @throws IllegalArgumentException if the message is larger than one frame payload
     * @throws IllegalStateException if output was shut down or the session is closed
     */
    public boolean writeUnordered(byte[] message, long now) {
        checkWritable();
        if (message.length > maxPayload) {
            throw new IllegalArgumentException("unordered message of " + message.length
                    + " bytes exceeds the frame payload size " + maxPayload);
        }
        long free = sendBufferFree();
        if (free == 0 || message.length > free) {
            return false;
        }
        send.appendFrame(FrameKind.DATA, Frame.FLAG_UNORDERED | Frame.FLAG_END_OF_MESSAGE, message.clone());
        return true;
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
        Objects.checkFromIndexSize(off, len, dst.length);
        int n = receive.read(dst, off, len);
        if (n > 0) {
            considerWindowUpdate();
        }
        return n;
    }

    /**
     * Takes the next in-order chunk whole, keeping message boundaries.
     *
     * @param now the current time
     * @return the chunk, or null if none is ready (see {@link #isInputFinished()} for EOF)
     */
    public ReceivedChunk pollChunk(long now) {
        ReceivedChunk chunk = receive.pollChunk();
        if (chunk != null) {
            considerWindowUpdate();
        }
        return chunk;
    }

    /**
     * @return bytes of the chunk {@link #pollChunk} or {@link #pollChunkInto} would take
     *     next, or -1 if none is ready
     */
    public int nextChunkLength() {
        return receive.nextChunkLength();
    }

    /**
     * Takes the next in-order chunk whole like {@link #pollChunk}, but copies its bytes
     * into {@code dst} (advancing its position) instead of into a new array: the one copy
     * out of the received frame, for callers that consume bytes in place (a file written
     * and hashed from a direct buffer).
     *
     * @param dst where the bytes go; needs {@link #nextChunkLength()} bytes remaining
     * @param now the current time
     * @return whether the chunk ended a message
     * @throws IllegalStateException if no chunk is ready
     * @throws java.nio.BufferOverflowException if {@code dst} has too little room (nothing is taken)
     */
    public boolean pollChunkInto(java.nio.ByteBuffer dst, long now) {
        int n = receive.nextChunkLength();
        if (n < 0) {
            throw new IllegalStateException("no chunk is ready");
        }
        if (dst.remaining() < n) {
            throw new java.nio.BufferOverflowException();
        }
        boolean end = receive.pollChunkInto(dst);
        considerWindowUpdate();
        return end;
    }

    /**
     * Takes the next unordered message. Messages not yet taken count against the receive
     * window, so taking one may let the engine advertise a larger window.
     *
     * @return the next unordered message received, or null
     */
    public byte[] pollUnordered() {
        byte[] m = receive.pollUnordered();
        if (m != null) {
            considerWindowUpdate();
        }
        return m;
    }

    /**
     * Half-closes: a FIN follows all queued data; reading continues until the peer's FIN.
     *
     * @param now the current time
     */
    public void shutdownOutput(long now) {
        if (outputShutdown || state == EngineState.CLOSED) {
            return;
        }
        outputShutdown = true;
        send.appendFrame(FrameKind.FIN, 0, EMPTY);
        if (state == EngineState.ESTABLISHED) {
            state = EngineState.FIN_WAIT_1;
        } else if (state == EngineState.CLOSE_WAIT) {
            state = EngineState.LAST_ACK;
        }
    }

    /**
     * Closes gracefully: like {@link #shutdownOutput(long)}, and the application will
     * not read any more; data still arriving is acknowledged and discarded until the
     * peer's FIN. The engine reaches CLOSED after both FINs are acknowledged and
     * TIME-WAIT has passed, or fails by the usual timers; a peer that has not sent its FIN
     * {@link EngineConfig#closeTimeoutNanos()} after ours was acknowledged is reset.
     *
     * @param now the current time
     */
    public void close(long now) {
        if (state == EngineState.CLOSED) {
            return;
        }
        shutdownOutput(now);
        if (!inputClosed) {
            if (!emitted.contains(EngineEvent.OUTPUT_FINISHED)) {
                closeDeadline = saturatedAdd(now, config.closeTimeoutNanos());
            }
            inputClosed = true;
            receive.discardFromNowOn();
            considerWindowUpdate();
            if (state == EngineState.FIN_WAIT_2) {
                orphanDeadline = saturatedAdd(now, config.closeTimeoutNanos());
            }
        }
    }

    /**
     * Aborts: sends a RESET, discards all buffers and closes with
     * {@link CloseReason#ABORTED} at once. In TIME_WAIT, where both sides have finished,
     * it only ends the wait: the session closes {@link CloseReason#NORMAL}, without a RESET.
     *
     * @param now the current time
     */
    public void abort(long now) {
        if (state == EngineState.CLOSED) {
            return;
        }
        if (state == EngineState.TIME_WAIT) {
            // Both sides finished and everything was acknowledged: ending TIME_WAIT early
            // only stops answering late duplicates, so the close stays a normal one and
            // the peer, already closed, gets no RESET.
            finish(CloseReason.NORMAL, false);
            return;
        }
        receive.discardFromNowOn();
        finish(CloseReason.ABORTED, true);
    }

    // ---------------------------------------------------------------- outputs

    /**
     * @param now the current time
     * @return the next frame to send to {@link #remoteInbox()}, or null when there is
     *     nothing to send now
     */
    public byte[] pollTransmit(long now) {
        if (state == EngineState.CLOSED) {
            if (resetDue) {
                resetDue = false;
                return encode(Frame.builder(FrameKind.RESET), now);
            }
            return null;
        }
        if (state == EngineState.SYN_SENT || state == EngineState.SYN_RECEIVED) {
            return handshakeDue ? sendHandshake(now) : null;
        }
        if (mayCarryData()) {
            SentFrame f = send.pollRetransmit();
            if (f != null) {
                lastDataSentAt = now;
                return retransmit(f, now);
            }
            f = takeSecondCopy();
            if (f != null) {
                lastDataSentAt = now;
                return retransmit(f, now);
            }
            f = send.peekUnsent();
            if (f != null && windowAllows(f, now)) {
                lastDataSentAt = now;
                send.markNextSent(now);
                dataFramesSent++;
                payloadBytesSent += f.length;
                if (retransmitDeadline == NEVER) {
                    retransmitDeadline = saturatedAdd(now, rtt.rto());
                }
                return encodeData(f, now);
            }
        }
        if (keepaliveDue || probeDue) {
            keepalivesSent++;
            // Data still unsent here waits for the peer's window (this pass sent what the
            // window allowed): say so, so that the peer's endpoint counts it as demand.
            boolean wantsWindow = mayCarryData() && send.peekUnsent() != null;
            return encode(Frame.builder(FrameKind.KEEPALIVE).flags(wantsWindow ? Frame.FLAG_WANTS_WINDOW : 0), now);
        }
        if (ackNow) {
            acksSent++;
            return encode(Frame.builder(FrameKind.ACK), now);
        }
        updateProbe(now);
        return null;
    }

    /** @return the time at which {@link #handleTimeout(long)} should next run, or {@code Long.MAX_VALUE} */
    public long pollTimeout() {
        if (state == EngineState.CLOSED) {
            return NEVER;
        }
        long earliest = NEVER;
        for (Timer timer : Timer.ALL) {
            earliest = Math.min(earliest, deadline(timer));
        }
        return earliest;
    }

    /** @return the next event, or null */
    public EngineEvent pollEvent() {
        return events.poll();
    }

    @Override
    public String toString() {
        return "Engine{" + localInbox + "#" + Long.toHexString(localNonce) + " -> " + remoteInbox + "#"
                + Long.toHexString(remoteNonce) + " " + state + "}";
    }

    // ---------------------------------------------------------------- timers

    private long deadline(Timer timer) {
        switch (timer) {
            case CONNECT:
                // Both sides: a half-open acceptor (its initiator gone after the SYN) must not
                // hold a backlog slot beyond the connect timeout, dead-peer detection or not.
                return state == EngineState.SYN_SENT || state == EngineState.SYN_RECEIVED ? connectDeadline : NEVER;
            case DEAD_PEER:
                return deadPeerApplies() ? saturatedAdd(lastAliveAt, config.deadPeerNanos()) : NEVER;
            case UNACKED: {
                SentFrame oldest = send.oldestInFlight();
                return oldest != null && config.unackedTimeoutNanos() > 0
                        ? saturatedAdd(oldest.firstSentAt, config.unackedTimeoutNanos()) : NEVER;
            }
            case CLOSE:
                return closeDeadline;
            case TIME_WAIT:
                return state == EngineState.TIME_WAIT ? timeWaitDeadline
                        : state == EngineState.FIN_WAIT_2 ? orphanDeadline : NEVER;
            case RETRANSMIT:
                return retransmitDeadline;
            case TAIL_LOSS_PROBE:
                return tailProbeDeadline();
            case DELAYED_ACK:
                return ackNow ? NEVER : ackDeadline;
            case KEEPALIVE:
                return keepaliveApplies() && !keepaliveDue
                        ? saturatedAdd(lastSendAt, config.keepaliveIntervalNanos()) : NEVER;
            case PROBE:
                return probeDue ? NEVER : probeDeadline;
            default:
                throw new AssertionError(timer);
        }
    }

    private void fire(Timer timer, long now) {
        switch (timer) {
            case CONNECT:
                finish(CloseReason.CONNECT_TIMEOUT, false);
                break;
            case DEAD_PEER:
                finish(CloseReason.PEER_DEAD, false);
                break;
            case UNACKED:
                finish(CloseReason.UNACKED_TIMEOUT, true);
                break;
            case CLOSE:
                finish(CloseReason.CLOSE_TIMEOUT, true);
                break;
            case TIME_WAIT:
                // An orphaned FIN_WAIT_2 resets the peer, which would otherwise write on
                // into a session nobody reads.
                finish(CloseReason.NORMAL, state == EngineState.FIN_WAIT_2);
                break;
            case RETRANSMIT:
                onRetransmitTimeout(now);
                break;
            case TAIL_LOSS_PROBE:
                onTailLossProbe(now);
                break;
            case DELAYED_ACK:
                ackNow = true;
                ackDeadline = NEVER;
                break;
            case KEEPALIVE:
                keepaliveDue = true;
                break;
            case PROBE:
                probeDue = true;
                probeInterval = Math.min(config.keepaliveIntervalNanos(), probeInterval * 2);
                probeDeadline = saturatedAdd(now, probeInterval);
                break;
            default:
                throw new AssertionError(timer);
        }
    }

    private void onRetransmitTimeout(long now) {
        timeouts++;
        // The first LINEAR_TIMEOUTS expiries in a row keep the RTO (as Linux does for thin
        // streams), in the handshake too: at heavy loss a timeout's retransmission or its
        // acknowledgement is often lost too (half the time at 30 % each way), and doubling
        // at once turned a few unlucky rounds into seconds of silence (a SYN that needed a
        // fourth try started a 64 MiB transfer 2.5 s late at 30 % loss). Loss is not a
        // congestion signal here; a peer that stays silent still gets exponential backoff.
        boolean handshake = state == EngineState.SYN_SENT || state == EngineState.SYN_RECEIVED;
        if (++timeoutsSinceNews > LINEAR_TIMEOUTS) {
            rtt.backoff();
        }
        if (handshake) {
            handshakeDue = true;
            retransmitDeadline = saturatedAdd(now, handshakeRto());
            return;
        }
        SentFrame oldest = send.oldestInFlight();
        if (oldest == null) {
            retransmitDeadline = NEVER;
            return;
        }
        retransmitDeadline = saturatedAdd(now, rtt.rto());
        if (oldest.sacked) {
            // The peer SACKed the oldest frame yet acknowledges only up to it: it dropped
            // what it had reported (reneged). After a timeout no SACK information may be
            // relied on (RFC 2018 §8): the oldest frame, at least, is resent, or a session
            // without an unacked timeout or retransmission limit would wait for ever.
            send.forgetSacks();
        }
        // Resend only the oldest frame, whatever the timer's cause. If the peer is gone, a
        // timer must not resend the window into the void; on a loaded host most timeouts
        // are spurious (a thread descheduled past the RTO), and resending every frame whose
        // deadline passed would duplicate what the peer already holds. The acknowledgement
        // of this frame decides (see processAck): it either echoes a send from before the
        // timeout (spurious: nothing else is resent) or it proves the rest lost.
        send.markLost(oldest, false);
        sendTwiceUnderHeavyLoss(oldest);
        if (!timeoutRecovery) {
            timeoutRecovery = true;
            timeoutRecoveryPoint = now;
        }
    }

    /**
     * @return when to send a tail-loss probe, if before the retransmission timer: one
     *     smoothed round trip plus the larger of the peer's acknowledgement delay and half
     *     a round trip after the last DATA sent or the last acknowledgement that brought
     *     news, whichever is later; the second probe of a quiet spell waits twice that,
     *     and there is no third (the retransmission timer takes over). RFC 8985 §7.2 waits
     *     two round trips; the peer acknowledges out-of-order data and gap fills at once
     *     and holds in-order data back at most its acknowledgement delay, so a shorter wait
     *     is enough here, and a probe that proves unnecessary costs only one frame. A
     *     probe may also follow a timeout's retransmission: at 30 % loss each way half of
     *     those go unanswered, and waiting out the backed-off timer instead cost a third
     *     of the goodput in the simulator
     */
    private long tailProbeDeadline() {
        // No probe when the oldest frame is SACKed: the peer reneged, and only the
        // retransmission timer, which forgets the SACKs first, may resend it.
        if (tailProbesSinceNews >= MAX_TAIL_PROBES || retransmitDeadline == NEVER
                || (rtt.samples() == 0 && !echoTimesProbes())
                || send.oldestProbeCandidate() == null || send.hasRetransmitsQueued() || !mayCarryData()) {
            return NEVER;
        }
        long pto = probeTimeout() << tailProbesSinceNews;
        long deadline = saturatedAdd(Math.max(lastDataSentAt, lastAckProgressAt), pto);
        return deadline < retransmitDeadline ? deadline : NEVER;
    }

    /**
     * @return how long after the last send or news a tail-loss probe waits, before its
     *     back-off: when the answer to the newest frame sent is late. That answer takes
     *     the lowest round trip plus the time the queue ahead of it (what is still in the
     *     pipe) takes at the best delivery rate, doubled for a loaded host's scheduling,
     *     plus the peer's acknowledgement delay unless the peer holds frames out of order
     *     (then it answers at once); never less than {@link #MIN_PROBE_TIMEOUT_NANOS}, never
     *     more than the smoothed round trip plus the larger of that delay and half a round
     *     trip. The smoothed round trip alone measures a full queue: with the window
     *     blocked behind a hole whose retransmission was lost, the pipe is nearly empty,
     *     the answer is a lowest round trip away, and waiting for the smoothed one (or the
     *     20 ms RTO floor) left the link idle for a thousand round trips in-process
     */
    private long probeTimeout() {
        long srtt = rtt.smoothedOrInitial();
        long ackDelay = send.sackedFrames() > 0 ? 0 : config.ackDelayNanos();
        long classic = saturatedAdd(srtt, Math.max(config.ackDelayNanos(), srtt / 2));
        if (!echoTimesProbes()) {
            return classic;
        }
        // Without a delivery rate yet (the first window) the queue is unknown: a probe
        // that proves unnecessary costs one frame, a first data frame lost waited for the
        // initial RTO (500 ms) when the handshake gave no sample.
        long queue = maxDeliveryRate > 0
                ? (long) Math.min(Long.MAX_VALUE / 4, send.pipeBytes() * 1e9 / maxDeliveryRate) : 0;
        long expected = saturatedAdd(minEchoRtt.value, queue);
        return Math.min(classic, Math.max(MIN_PROBE_TIMEOUT_NANOS, saturatedAdd(2 * expected, ackDelay)));
    }

    /**
     * @return whether probes are timed from the echoed round trip: once it is known and a
     *     loss has been proven. On a path that has lost nothing a probe is almost always
     *     a descheduled thread's, and at a millisecond it would duplicate frames still
     *     waiting in the receiver's transport buffer, or flood a share-limited receiver
     *     (thousands of sessions on one connection) with zero-window probes; there the
     *     round-trip-based waits of before remain
     */
    private boolean echoTimesProbes() {
        return minEchoRtt.value != NEVER && lossSeen;
    }

    /**
     * Nothing has come back for a while although frames are in flight: the last frames
     * sent, or their acknowledgements, or a retransmission may have been lost, and no
     * later frame will reveal it. Resending the oldest unacknowledged frame (the one that
     * holds the peer's window back) costs one frame; the acknowledgement it draws echoes
     * its timestamp, which is the evidence the time-based loss detection needs to find
     * every other lost frame at once, long before the retransmission timer would, and
     * without its backoff.
     */
    private void onTailLossProbe(long now) {
        tailProbesSinceNews++;
        SentFrame f = send.oldestProbeCandidate();
        if (f != null && now - f.lastSentAt >= (echoTimesProbes() ? probeTimeout() : rtt.srtt())) {
            send.markLost(f, false);
            sendTwiceUnderHeavyLoss(f);
            tailLossProbes++;
            tailProbeUnanswered = true;
            tailProbeSentAt = now;
        }
    }

    /**
     * Under heavy loss, a timer's retransmission goes out twice. It is what the peer's
     * window waits for, and nothing else in flight will reveal its loss: at 30 % loss each
     * way a single copy's round trip fails half the time (the copy or its acknowledgement
     * lost), and each failure costs another timer; with two copies, each answered at once,
     * a quarter. Heavy means a sixth or more of the data frames sent so far were
     * retransmissions, after a proven loss; otherwise (and so for a silent peer) one copy.
     */
    private void sendTwiceUnderHeavyLoss(SentFrame f) {
        if (lossSeen && retransmits * HEAVY_LOSS_RETRANSMIT_SHARE >= dataFramesSent && dataFramesSent > 0) {
            secondCopy = f;
        }
    }

    /** @return the frame {@link #sendTwiceUnderHeavyLoss} chose, once its first copy has gone and if still unanswered */
    private SentFrame takeSecondCopy() {
        SentFrame f = secondCopy;
        if (f == null || f.queuedForRetransmit) {
            return null;
        }
        secondCopy = null;
        boolean limited = config.maxRetransmitsPerFrame() > 0 && f.retransmits + 1 >= config.maxRetransmitsPerFrame();
        return f.seq >= send.una() && !f.sacked && f.retransmits > 0 && !limited ? f : null;
    }

    // ------------------------------------------------------------ the queue cap under loss

    /**
     * How many unSACKed payload bytes may be in flight while losses are being repaired:
     * twice the highest recent delivery rate times the lowest recent round trip plus a
     * {@link #QUEUE_ALLOWANCE_NANOS scheduling allowance}, and at least
     * {@link #QUEUE_CAP_FLOOR_FRAMES} frames; unlimited (the advertised window alone
     * applies) until the session first detects a loss, or before a round trip and a rate
     * were measured. It stays on after that: where a queue in front of the receiver
     * overflowed once (a window larger than a link's buffer), it would overflow again.
     *
     * <p>Why: there is no congestion window, so the sender keeps the peer's whole window
     * in flight, and where the bottleneck is the receiver itself (a busy client, a
     * broker's per-connection buffer) that window becomes a queue in front of it: a
     * 16 MiB window ahead of a receiver draining 100 MB/s is a 160 ms round trip. Without
     * loss that costs nothing. With loss every repair waits behind that queue, the
     * receiver's window stays stuck behind the hole for the whole round trip, and more
     * holes than SACK ranges can describe sit in flight, so goodput collapsed far below
     * 1 − p. Keeping about two bandwidth-delay products in flight still fills the path
     * (the rate measured is the path's, not the cap's: twice it is always sendable) while
     * repairs take a round trip of the path rather than of the queue. It is not a
     * loss-based congestion window: losses do not shrink it; the rate and round trip do.
     */
    private long lossQueueCap(long now) {
        if (!lossSeen || minRtt.value == NEVER || maxDeliveryRate <= 0) {
            return Long.MAX_VALUE;
        }
        double bdp = maxDeliveryRate * (minRtt.value + QUEUE_ALLOWANCE_NANOS) / 1e9;
        return Math.max((long) QUEUE_CAP_FLOOR_FRAMES * maxPayload, (long) Math.min(Long.MAX_VALUE / 2, 2 * bdp));
    }

    /**
     * A loss was proven: by SACK or time evidence, or by the acknowledgement after a
     * timeout. A timer firing or a probe is no proof (a descheduled thread fires them on
     * a lossless path), so neither switches the cap on.
     */
    private void noteLoss() {
        lossSeen = true;
    }

    /**
     * The peer sent the frame being handled after it saw ours stamped with the echoed
     * time, so the time since is at least one round trip: the lowest of these, over the
     * last {@link #MIN_RTT_WINDOW_NANOS}, is how soon an answer can come at best. Every
     * frame that echoes something newer gives one, where Karn's rule and held-back
     * acknowledgements leave few clean samples under heavy loss. It times tail-loss
     * probes only: the queue cap keeps the clean samples' lowest round trip, which
     * includes the receiver's time to process a full pipe, since a cap sized by the bare
     * in-process round trip (tens of microseconds) starved the path.
     */
    private void noteEchoRtt(long sample, long now) {
        minEchoRtt.offer(sample, now);
    }

    /** Keeps the lowest round trip of the last {@link #MIN_RTT_WINDOW_NANOS}, as BBR does. */
    private void noteRttSample(long sample, long now) {
        minRtt.offer(sample, now);
    }

    /**
     * Samples the delivery rate (payload bytes acknowledged or SACKed per second) over
     * spans of at least a round trip, and keeps the highest of the last
     * {@link #MIN_RTT_WINDOW_NANOS}. Lower samples are not followed: under heavy loss the
     * rate is limited by the receiver's window waiting on repairs, not by the path, and a
     * cap that followed it down would limit the rate further, round after round.
     */
    private void noteDeliveryRate(long now) {
        long delivered = send.deliveredBytes();
        if (rateEpochStart == NEVER) {
            rateEpochStart = now;
            rateEpochDelivered = delivered;
            return;
        }
        long span = now - rateEpochStart;
        long minSpan = Math.max(MIN_RATE_SPAN_NANOS, rtt.smoothedOrInitial());
        if (span < minSpan) {
            return;
        }
        double rate = (delivered - rateEpochDelivered) * 1e9 / span;
        if (rate >= maxDeliveryRate || now - maxDeliveryRateAt > MIN_RTT_WINDOW_NANOS) {
            maxDeliveryRate = rate;
            maxDeliveryRateAt = now;
        }
        rateEpochStart = now;
        rateEpochDelivered = delivered;
    }

    private boolean keepaliveApplies() {
        switch (state) {
            case ESTABLISHED:
            case FIN_WAIT_1:
            case FIN_WAIT_2:
            case CLOSE_WAIT:
            case CLOSING:
            case LAST_ACK:
                return true;
            default:
                return false;
        }
    }

    private boolean deadPeerApplies() {
        return keepaliveApplies() || state == EngineState.SYN_RECEIVED;
    }

    /** @return whether sequenced frames may be sent in this state */
    private boolean mayCarryData() {
        switch (state) {
            case ESTABLISHED:
            case FIN_WAIT_1:
            case CLOSE_WAIT:
            case CLOSING:
            case LAST_ACK:
                return true;
            default:
                return false;
        }
    }

    /**
     * Arms the zero-window probe when data waits, nothing unSACKed is in flight to bring
     * back an acknowledgement, and the peer's window does not admit the next frame; disarms
     * it otherwise.
     */
    private void updateProbe(long now) {
        SentFrame next = send.peekUnsent();
        boolean blocked = mayCarryData() && next != null && send.unsackedFrames() == 0
                && !send.hasRetransmitsQueued() && !windowAllows(next, now);
        if (!blocked) {
            probeDeadline = NEVER;
            probeDue = false;
            probeInterval = 0;
        } else if (probeDeadline == NEVER && !probeDue) {
            // The peer answers a probe at once, so the first waits two of the lowest round
            // trips an echo showed (at least a millisecond), not the RTO: the window the
            // peer reopened may only be unknown here because its update was lost, and at
            // 30 % loss each way half the probes' round trips fail too, so starting at the
            // 20 ms RTO floor and doubling cost up to seconds. A closed window is probed a
            // few more times on the way to the keepalive interval, with tiny frames.
            long first = !echoTimesProbes() ? rtt.rto()
                    : Math.min(rtt.rto(), Math.max(MIN_PROBE_TIMEOUT_NANOS, 2 * minEchoRtt.value));
            probeInterval = Math.min(config.keepaliveIntervalNanos(), first);
            probeDeadline = saturatedAdd(now, probeInterval);
        }
    }

    // ---------------------------------------------------------------- receiving

    private void handleSyn(Frame p, long now) {
        if (!initiator && p.srcNonce() == remoteNonce && p.dstNonce() == 0) {
            noteValidFrame(p, now);
            if (state == EngineState.SYN_RECEIVED) {
                handshakeDue = true;
            } else {
                strayFramesDropped++;
            }
            return;
        }
        strayFramesDropped++;
    }

    private void handleInSynSent(Frame p, long now) {
        if (p.dstNonce() != localNonce) {
            strayFramesDropped++;
            return;
        }
        if (p.kind() == FrameKind.RESET && (p.srcNonce() == 0 || p.srcNonce() == remoteNonce)) {
            framesReceived++;
            finish(CloseReason.RESET_BY_PEER, false);
            return;
        }
        if (p.kind() != FrameKind.SYN_ACK || p.srcNonce() == 0) {
            strayFramesDropped++;
            return;
        }
        remoteNonce = p.srcNonce();
        noteValidFrame(p, now);
        updatePeerWindow(p);
        becomeEstablished(now);
        ackNow = true;
    }

    /**
     * Notes a frame with the right nonces. It proves the peer alive now if its timestamp
     * is newer than any the peer sent before, or it echoes a send of ours newer than any
     * echoed before (an answer to a keepalive, say); otherwise it may be a replay, and
     * only new data or new acknowledgements in it will count ({@link #peerIsAlive}).
     */
    private void noteValidFrame(Frame p, long now) {
        framesReceived++;
        lastReceiveAt = now;
        boolean fresh = !peerTimestampKnown || p.tsVal() - peerTimestamp > 0;
        notePeerTimestamp(p.tsVal());
        if (isEcho(p.tsEcr()) && (!peerEchoKnown || p.tsEcr() - peerEcho > 0)) {
            peerEcho = p.tsEcr();
            peerEchoKnown = true;
            fresh = true;
            noteEchoRtt(now - peerEcho, now);
        }
        if (fresh) {
            peerIsAlive(now);
        }
    }

    /** The peer has just proved it is alive: the dead-peer timer starts again. */
    private void peerIsAlive(long now) {
        lastAliveAt = now;
    }

    /**
     * @return whether {@code tsEcr} can be the echo of a frame this side sent: no older
     *     than the first timestamp sent and, above all, no newer than the latest. A peer
     *     echoing the future (a bug or a forgery) would otherwise declare every frame in
     *     flight lost (RACK), make every timeout look like a working path, and, since
     *     the newest echo is kept, do so for the rest of the session
     */
    private boolean isEcho(long tsEcr) {
        return timestampSent && tsEcr - firstTimestampSent >= 0 && tsEcr - newestTimestampSent <= 0;
    }

    private void notePeerTimestamp(long tsVal) {
        if (!peerTimestampKnown || tsVal - peerTimestamp > 0) {
            peerTimestamp = tsVal;
            peerTimestampKnown = true;
        }
    }

    private void becomeEstablished(long now) {
        if (handshakeSends == 1) {
            rtt.addSample(now - handshakeFirstSentAt);
            // The handshake's round trip is the one sample no queue of our own data inflates.
            noteRttSample(now - handshakeFirstSentAt, now);
        }
        rtt.resetBackoff();
        timeoutsSinceNews = 0;
        retransmitDeadline = NEVER;
        handshakeDue = false;
        state = outputShutdown ? EngineState.FIN_WAIT_1 : EngineState.ESTABLISHED;
        emit(EngineEvent.ESTABLISHED);
    }

    private void updatePeerWindow(Frame p) {
        if (peerWindowStamp == Long.MIN_VALUE || p.tsVal() - peerWindowStamp >= 0) {
            peerWindowStamp = p.tsVal();
            peerFreeFrames = p.windowFrames();
            peerFreeBytes = p.windowBytes();
            peerLargestFreeBytes = Math.max(peerLargestFreeBytes, peerFreeBytes);
        }
    }

    /**
     * @return whether the frame's cumulative acknowledgement and SACK ranges cover only
     *     frames this side has sent: in SYN_RECEIVED, where nothing has been, only an
     *     acknowledgement of nothing
     */
    private boolean acknowledgesOnlySentFrames(Frame p) {
        long sent = send.nextToSend();
        if (p.ack() > sent) {
            return false;
        }
        long[] sack = p.sackRanges();
        for (int i = 1; i < sack.length; i += 2) {
            if (sack[i] > sent) {
                return false;
            }
        }
        return true;
    }

    private void processAck(Frame p, long now) {
        long ack = p.ack();
        boolean finWasAcknowledged = send.finAcknowledged();
        boolean echo = isEcho(p.tsEcr());
        send.beginAck(echo, p.tsEcr());
        send.acknowledgeUpTo(ack);
        long[] sack = p.sackRanges();
        for (int i = 0; i + 1 < sack.length; i += 2) {
            send.acknowledgeRange(sack[i], sack[i + 1]);
        }
        if (send.hadNewInformation()) {
            acksReceived++;
            peerIsAlive(now);
            long sentAt = send.newestCleanDeliverySentAt();
            // Sample only when that frame is the newest the peer had seen (it echoes the
            // newest timestamp): otherwise the acknowledgement was held back by a hole or
            // by lost acknowledgements, and the sample would measure that, not the path.
            if (sentAt != Long.MIN_VALUE && echo && sentAt - p.tsEcr() >= 0) {
                rtt.addSample(now - sentAt);
                noteRttSample(now - sentAt, now);
            }
            noteDeliveryRate(now);
            // A timer's retransmission that this acknowledgement shows was unnecessary (it
            // echoes a send from before the timer fired) means the round trip outgrew the
            // estimate. Karn's rule takes no sample from frames sent twice, so without this
            // one a path slower than the handshake suggested could be retransmitted into
            // for ever: every frame resent before its acknowledgement arrives, none ever
            // sampled (RFC 4015 §2 samples the echo for the same reason).
            long timerSentAt = timeoutRecovery ? timeoutRecoveryPoint : tailProbeSentAt;
            if (echo && (timeoutRecovery || tailProbeUnanswered) && p.tsEcr() - timerSentAt < 0) {
                rtt.addSample(now - p.tsEcr());
            }
            tailProbeUnanswered = false;
            rtt.resetBackoff();
            lastAckProgressAt = now;
            tailProbesSinceNews = 0;
            timeoutsSinceNews = 0;
            if (timeoutRecovery) {
                timeoutRecovery = false;
                // An acknowledgement sent before the peer saw our timeout retransmission
                // (its echo is older) answers the originals: the round trip merely grew
                // past the RTO (RFC 4015 Eifel response), so nothing else is resent, and
                // the backoff was undone above. Without a valid echo it cannot tell: the
                // rest (up to what the acknowledgement could report) is resent.
                if (echo && p.tsEcr() - timeoutRecoveryPoint < 0) {
                    spuriousTimeouts++;
                } else if (send.markLostSentBefore(timeoutRecoveryPoint, reportedBelow(sack)) > 0) {
                    noteLoss();
                }
            }
            retransmitDeadline = send.inFlightFrames() > 0 ? saturatedAdd(now, rtt.rto()) : NEVER;
        }
        updatePeerWindow(p);
        // Run even without new acknowledgements: a newer echoed timestamp alone can prove loss.
        // A retransmission is declared lost again as soon as the evidence says so while the
        // peer has room for it; into a full window (a slow reader) it would only be refused
        // again, so then at most once a smoothed round trip, as before.
        long srtt = rtt.smoothedOrInitial();
        long resendSpacing = send.unsackedFrames() < peerFreeFrames && send.unsackedBytes() < peerFreeBytes ? 0 : srtt;
        if (send.detectLosses(srtt, resendSpacing, now, reportedBelow(sack)) > 0) {
            noteLoss();
        }
        if (!finWasAcknowledged && send.finAcknowledged()) {
            onFinAcknowledged(now);
        }
    }

    /**
     * @return the sequence number below which an acknowledgement with these SACK ranges
     *     reported everything it holds: unbounded unless it used every range it may carry
     */
    private static long reportedBelow(long[] sack) {
        if (sack.length / 2 < FrameCodec.MAX_SACK_RANGES) {
            return Long.MAX_VALUE;
        }
        long highest = 0;
        for (int i = 1; i < sack.length; i += 2) {
            highest = Math.max(highest, sack[i]);
        }
        return highest;
    }

    private void processSequenced(Frame p, long now) {
        switch (receive.offer(p)) {
            case DUPLICATE:
                duplicatesDropped++;
                ackNow = true;
                break;
            case INVALID:
                strayFramesDropped++;
                ackNow = true;
                break;
            case NO_ROOM:
                noRoomDropped++;
                ackNow = true;
                break;
            case OUT_OF_ORDER:
                inboundLossSeen = true;
                ackNow = true;
                peerIsAlive(now);
                break;
            case FILLED_GAP:
                ackNow = true;
                peerIsAlive(now);
                break;
            case IN_ORDER:
                peerIsAlive(now);
                inOrderSinceAck++;
                if (inOrderSinceAck >= config.inOrderFramesPerAck() || config.ackDelayNanos() == 0) {
                    ackNow = true;
                } else if (ackDeadline == NEVER) {
                    ackDeadline = saturatedAdd(now, config.ackDelayNanos());
                }
                break;
            default:
                throw new AssertionError();
        }
        if (receive.finReached() && !peerFinished) {
            peerFinished = true;
            ackNow = true;
            emit(EngineEvent.PEER_FINISHED);
            switch (state) {
                case ESTABLISHED:
                    state = EngineState.CLOSE_WAIT;
                    break;
                case FIN_WAIT_1:
                    state = EngineState.CLOSING;
                    break;
                case FIN_WAIT_2:
                    enterTimeWait(now);
                    break;
                default:
                    break;
            }
        }
    }

    private void onFinAcknowledged(long now) {
        emit(EngineEvent.OUTPUT_FINISHED);
        closeDeadline = NEVER;
        switch (state) {
            case FIN_WAIT_1:
                state = EngineState.FIN_WAIT_2;
                if (inputClosed) {
                    orphanDeadline = saturatedAdd(now, config.closeTimeoutNanos());
                }
                break;
            case CLOSING:
                enterTimeWait(now);
                break;
            case LAST_ACK:
                finish(CloseReason.NORMAL, false);
                break;
            default:
                break;
        }
    }

    private void enterTimeWait(long now) {
        state = EngineState.TIME_WAIT;
        timeWaitDeadline = saturatedAdd(now, timeWaitNanos());
        timeWaitLimit = Math.max(timeWaitDeadline, saturatedAdd(now, config.closeTimeoutNanos()));
        retransmitDeadline = NEVER;
        probeDeadline = NEVER;
        keepaliveDue = false;
        probeDue = false;
    }

    /**
     * @return how long TIME_WAIT lasts, and lasts again after each frame from a peer still
     *     closing: the configured time, but at least two retransmission timeouts, so that
     *     under heavy loss it outlasts the peer's next retransmission of its FIN (0
     *     configured: no TIME_WAIT)
     */
    private long timeWaitNanos() {
        long configured = config.timeWaitNanos();
        return configured == 0 ? 0 : Math.max(configured, saturatedAdd(rtt.rto(), rtt.rto()));
    }

    /**
     * A RESET from the peer ends the session, except in TIME_WAIT: both FINs have been
     * exchanged and acknowledged there, and a reset (typically the answer of a peer that
     * already finished to a late duplicate of ours) must not turn a normal close into a
     * failure (RFC 1337). In LAST_ACK or CLOSING with nothing but our FIN unacknowledged,
     * every byte both ways has been delivered and the peer has forgotten the session:
     * it received our FIN and finished TIME_WAIT before the acknowledgement of our FIN
     * got through (a TIME_WAIT shorter than our backed-off retransmission timeout), so
     * the session ends normally.
     */
    private void onPeerReset() {
        if (state == EngineState.TIME_WAIT) {
            strayFramesDropped++;
            return;
        }
        boolean onlyOurFinOutstanding = (state == EngineState.LAST_ACK || state == EngineState.CLOSING)
                && send.finQueued() && send.una() == send.end() - 1 && send.nextToSend() == send.end();
        finish(onlyOurFinOutstanding ? CloseReason.NORMAL : CloseReason.RESET_BY_PEER, false);
    }

    private void finish(CloseReason reason, boolean sendReset) {
        if (state == EngineState.CLOSED) {
            return;
        }
        LOG.debug("{}: closed: {}", this, reason.description());
        resetDue = sendReset && remoteNonce != 0;
        state = EngineState.CLOSED;
        closeReason = reason;
        send.clear();
        secondCopy = null;
        retransmitDeadline = NEVER;
        ackDeadline = NEVER;
        probeDeadline = NEVER;
        timeWaitDeadline = NEVER;
        ackNow = false;
        keepaliveDue = false;
        probeDue = false;
        handshakeDue = false;
        emit(EngineEvent.CLOSED);
    }

    private void emit(EngineEvent event) {
        if (emitted.add(event)) {
            events.add(event);
        }
    }

    // ---------------------------------------------------------------- sending

    private void checkWritable() {
        if (state == EngineState.CLOSED) {
            throw new IllegalStateException("session is closed"
                    + (closeReason == null ? "" : ": " + closeReason.description()));
        }
        if (outputShutdown) {
            throw new IllegalStateException("output was shut down");
        }
    }

    private boolean windowAllows(SentFrame f, long now) {
        if (send.unsackedFrames() >= peerFreeFrames || send.inFlightFrames() >= config.windowFrames()) {
            return false;
        }
        if (send.pipeBytes() > 0 && send.pipeBytes() + f.length > lossQueueCap(now)) {
            return false;
        }
        if (send.unsackedBytes() + f.length <= peerFreeBytes) {
            return true;
        }
        // A frame larger than any byte window the peer has advertised (its window is
        // smaller than our payload size) would never fit: send it alone when the peer
        // appears empty, which its receive buffer always accepts; otherwise it would wait
        // forever, kept alive by probes.
        return f.length > peerLargestFreeBytes && send.unsackedFrames() == 0
                && peerFreeBytes > 0 && peerFreeBytes >= peerLargestFreeBytes;
    }

    private byte[] sendHandshake(long now) {
        handshakeDue = false;
        if (handshakeSends == 0) {
            handshakeFirstSentAt = now;
        }
        handshakeSends++;
        retransmitDeadline = saturatedAdd(now, handshakeRto());
        return encode(Frame.builder(state == EngineState.SYN_SENT ? FrameKind.SYN : FrameKind.SYN_ACK), now);
    }

    /**
     * @return when to repeat a SYN (or SYN_ACK): after the backed-off RTO, but at least
     *     once a keepalive interval. With stateless acceptors the initiator alone repairs
     *     handshake loss, each SYN earning exactly one SYN_ACK, so it needs enough tries
     *     within the connect timeout; one a keepalive interval is no flood.
     */
    private long handshakeRto() {
        return Math.min(rtt.rto(), config.keepaliveIntervalNanos());
    }

    private byte[] retransmit(SentFrame f, long now) {
        if (config.maxRetransmitsPerFrame() > 0 && f.retransmits >= config.maxRetransmitsPerFrame()) {
            finish(CloseReason.TOO_MANY_RETRANSMITS, true);
            return pollTransmit(now);
        }
        send.markRetransmitted(f, now);
        retransmits++;
        if (f.lostByEvidence) {
            fastRetransmits++;
        }
        if (retransmitDeadline == NEVER) {
            retransmitDeadline = saturatedAdd(now, rtt.rto());
        }
        return encodeData(f, now);
    }

    /**
     * Encodes a DATA or FIN frame. The first send of a frame is encoded around its payload
     * in the send buffer's own array (one payload copy less per frame); that array then
     * belongs to the network, so every later send encodes a copy.
     */
    private byte[] encodeData(SentFrame f, long now) {
        Frame.Builder b = Frame.builder(f.kind).flags(f.flags).seq(f.seq)
                .payloadView(f.storage(), f.payloadOffset(), f.length);
        byte[] frame = encode(b, now, f.inPlaceAllowed() ? f : null);
        if (frame == f.storage()) {
            f.handOver();
        }
        return frame;
    }

    /** Fills in the header every frame carries, and notes what this frame tells the peer. */
    private byte[] encode(Frame.Builder b, long now) {
        return encode(b, now, null);
    }

    /** @param inPlace the stream frame to encode around its stored payload, or null for a new array */
    private byte[] encode(Frame.Builder b, long now, SentFrame inPlace) {
        long freeFrames = localFreeFrames();
        long freeBytes = localFreeBytes();
        b.from(localInbox).to(remoteInbox).srcNonce(localNonce).dstNonce(remoteNonce)
                .ack(receive.next()).sackRanges(receive.sackRanges())
                .window((int) Math.min(Integer.MAX_VALUE, freeFrames), freeBytes)
                .tsVal(now).tsEcr(peerTimestamp);
        Frame p = b.build();
        framesSent++;
        lastSendAt = now;
        if (!timestampSent) {
            timestampSent = true;
            firstTimestampSent = now;
            newestTimestampSent = now;
        } else if (now - newestTimestampSent > 0) {
            newestTimestampSent = now;
        }
        keepaliveDue = false;
        probeDue = false;
        ackNow = false;
        ackDeadline = NEVER;
        inOrderSinceAck = 0;
        advertisedFrames = freeFrames;
        advertisedBytes = freeBytes;
        noteAdvertised(freeFrames, freeBytes, now);
        return inPlace != null ? FrameCodec.encodeInPlace(p, localInboxUtf8, remoteInboxUtf8, inPlace.payloadCrc())
                : FrameCodec.encode(p, localInboxUtf8, remoteInboxUtf8);
    }

    /**
     * The receiver enforces what it advertised, not its configured window: the advertised
     * free space may be only a share of the transport's buffer or of the endpoint's memory
     * budget, and a peer that ignores it must be refused beyond it (frames counted in
     * {@link EngineStats#noRoomDropped()}). The bound is an occupancy of the receive
     * buffer, the largest advertised in the last one to two RTOs; reads only make room
     * below it.
     */
    private void noteAdvertised(long freeFrames, long freeBytes, long now) {
        long frames = receive.bufferedFrames() + freeFrames;
        long bytes = receive.bufferedBytes() + freeBytes;
        long period = rtt.rto();
        if (!edgeKnown || now - edgeSince >= 2 * period) {
            edgeKnown = true;
            edgeSince = now;
            previousEdgeFrames = edgeFrames = frames;
            previousEdgeBytes = edgeBytes = bytes;
        } else if (now - edgeSince >= period) {
            edgeSince = now;
            previousEdgeFrames = edgeFrames;
            previousEdgeBytes = edgeBytes;
            edgeFrames = frames;
            edgeBytes = bytes;
        } else {
            edgeFrames = Math.max(edgeFrames, frames);
            edgeBytes = Math.max(edgeBytes, bytes);
        }
        receive.limit(Math.max(edgeFrames, previousEdgeFrames), Math.max(edgeBytes, previousEdgeBytes));
    }

    private long localFreeFrames() {
        long free = receive.freeFrames();
        return transportFreeFrames >= 0 ? Math.min(free, transportFreeFrames) : free;
    }

    private long localFreeBytes() {
        long free = receive.freeBytes();
        return transportFreeBytes >= 0 ? Math.min(free, transportFreeBytes) : free;
    }

    /**
     * After reads (or anything else that frees buffer space): tell the peer at once if
     * the window reopened from (near) zero or grew by half the window (a quarter once frames
     * arrived out of order) since we last
     * advertised it; smaller growth waits for the next frame, avoiding silly-window updates.
     */
    private void considerWindowUpdate() {
        long frames = localFreeFrames();
        long bytes = localFreeBytes();
        long nearZeroBytes = Math.min(maxPayload, Math.max(1, config.windowBytes() / 2));
        boolean wasNearZero = advertisedFrames == 0 || advertisedBytes < nearZeroBytes;
        boolean nowOpen = frames > 0 && bytes >= nearZeroBytes;
        // Once frames have arrived out of order (the path loses), a quarter, not half: a
        // sender blocked by the window it last heard learns that the window reopened only
        // from this update or an answer to its probes, and under heavy loss the update is
        // lost as often as a probe's answer. Without loss the half rule stays (more
        // updates there only move capacity grants between sessions sooner than planned).
        int step = inboundLossSeen ? 4 : 2;
        boolean grew = frames - advertisedFrames >= Math.max(1, config.windowFrames() / step)
                || bytes - advertisedBytes >= Math.max(1, config.windowBytes() / step);
        if ((wasNearZero && nowOpen) || grew) {
            ackNow = true;
        }
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? (b > 0 ? Long.MAX_VALUE : Long.MIN_VALUE) : r;
    }

    /** The lowest round trip of the last {@link #MIN_RTT_WINDOW_NANOS}, as BBR keeps it. */
    private static final class RecentMinimum {
        /** The minimum, or {@link #NEVER} before the first sample. */
        long value = NEVER;
        private long at;

        void offer(long sample, long now) {
            if (value == NEVER || sample <= value || now - at > MIN_RTT_WINDOW_NANOS) {
                value = Math.max(RttEstimator.CLOCK_GRANULARITY_NANOS, sample);
                at = now;
            }
        }
    }
}
