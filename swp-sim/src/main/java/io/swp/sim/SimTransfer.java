package io.swp.sim;

import io.swp.Network;
import io.swp.SessionConfig;
import io.swp.protocol.Demux;
import io.swp.protocol.Engine;
import io.swp.protocol.EngineEvent;
import io.swp.protocol.EngineState;
import io.swp.protocol.EngineStats;
import io.swp.protocol.MalformedFrameException;
import io.swp.protocol.Frame;
import io.swp.protocol.FrameCodec;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Runs one transfer between two protocol {@link Engine}s over a {@link SimNetwork}, in
 * virtual time, as fast as the CPU allows. The client connects and writes
 * {@link Spec#bytesToServer()} bytes of {@link PatternData}; the server accepts and
 * writes {@link Spec#bytesToClient()}; each side reads and verifies what it receives,
 * then both close. The clock jumps to whichever comes first: the next frame arrival, an
 * engine's {@code pollTimeout()}, or an application event (a reader's tick, the end of a
 * read pause, a scheduled close or vanish). After every input both engines are drained
 * of frames and events.
 *
 * <p>Each side routes what arrives through a {@link Demux}, as a real endpoint does: the
 * server accepts the first SYN and refuses later ones, and a side whose session has
 * finished answers further frames with a RESET; a side that has vanished answers nothing.
 *
 * <p>How each side closes: a side that expects data shuts its output down once it has
 * written everything and calls {@code close()} when it reads end of stream; a side that
 * expects nothing calls {@code close()} as soon as it has written everything. Neither
 * closes before the handshake completes. {@link Spec.Builder#closeBothAt(Duration)}
 * makes both call {@code close()} at the same instant instead.
 *
 * <p>{@link #main(String[])} runs one transfer chosen by system properties.
 */
public final class SimTransfer {
    /** The client's inbox. */
    public static final String CLIENT_INBOX = "sim.client";
    /** The server's inbox. */
    public static final String SERVER_INBOX = "sim.server";

    private static final int IO_CHUNK_BYTES = 64 * 1024;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** Loop iterations without the clock moving before the run is declared stuck. */
    private static final int MAX_STEPS_WITHOUT_PROGRESS = 1_000_000;
    /** Bursty sweep links: a burst also ends with time (see {@link Impairments.GilbertElliott}). */
    private static final Duration BURST_STEP = Duration.ofMillis(1);
    private static final long CLIENT_DATA_SALT = 0x5EED_C11E_0001L;
    private static final long SERVER_DATA_SALT = 0x5EED_5E4E_0002L;

    /** One of the two parties. */
    public enum Side {
        /** Connects; sends {@link Spec#bytesToServer()}. */
        CLIENT,
        /** Accepts; sends {@link Spec#bytesToClient()}. */
        SERVER
    }

    private final Spec spec;
    private final SimNetwork net;
    private final Peer client;
    private final Peer server;
    private final byte[] ioBuffer = new byte[IO_CHUNK_BYTES];
    private long now;
    private long lastByteAt = -1;

    private SimTransfer(Spec spec) {
        this.spec = spec;
        this.net = new SimNetwork(spec.seed);
        net.impair(SERVER_INBOX, spec.toServer);
        net.impair(CLIENT_INBOX, spec.toClient);
        if (spec.frameFilter != null) {
            net.setFrameFilter(spec.frameFilter);
        }
        SplittableRandom nonces = new SplittableRandom(spec.seed ^ CLIENT_DATA_SALT ^ SERVER_DATA_SALT);
        this.client = new Peer(Side.CLIENT, CLIENT_INBOX, SERVER_INBOX, spec.clientConfig, nonces.split(),
                spec.bytesToServer, spec.bytesToClient, spec.seed ^ CLIENT_DATA_SALT, spec.seed ^ SERVER_DATA_SALT);
        this.server = new Peer(Side.SERVER, SERVER_INBOX, CLIENT_INBOX, spec.serverConfig, nonces.split(),
                spec.bytesToClient, spec.bytesToServer, spec.seed ^ SERVER_DATA_SALT, spec.seed ^ CLIENT_DATA_SALT);
    }

    /**
     * Runs a transfer to the end: both sessions closed (or vanished), nothing left that
     * could ever happen, or the virtual time limit.
     *
     * @param spec what to run
     * @return what happened
     * @throws IllegalStateException if an engine throws or the run stops making progress;
     *     the message names the seed and the virtual time
     */
    public static TransferResult run(Spec spec) {
        return new SimTransfer(spec).execute();
    }

    private TransferResult execute() {
        long wallStart = System.nanoTime();
        try {
            bindInboxes();
            client.demux.setAccepting(false);
            client.demux.connect(SERVER_INBOX, client.config.engineConfig(), now, client::adopt);
            boolean timedOut = loop();
            return result(timedOut, System.nanoTime() - wallStart);
        } catch (RuntimeException | IOException e) {
            throw new IllegalStateException("simulation failed at virtual " + Duration.ofNanos(now) + " for " + spec
                    + ": " + e, e);
        }
    }

    private void bindInboxes() throws IOException {
        client.binding = net.bind(CLIENT_INBOX, frame -> onFrame(client, frame));
        server.binding = net.bind(SERVER_INBOX, frame -> onFrame(server, frame));
    }

    private boolean loop() throws IOException {
        driveAll();
        int stepsWithoutProgress = 0;
        while (!(client.isDone() && server.isDone())) {
            long next = Math.min(net.nextDeliveryTime(), Math.min(client.nextWake(), server.nextWake()));
            if (next == Long.MAX_VALUE) {
                return false;
            }
            if (next > spec.timeLimitNanos) {
                now = spec.timeLimitNanos;
                return true;
            }
            if (next > now) {
                now = next;
                stepsWithoutProgress = 0;
            } else if (++stepsWithoutProgress > MAX_STEPS_WITHOUT_PROGRESS) {
                throw new IllegalStateException("no progress: the clock is stuck at " + now
                        + " (client timeout " + client.timeoutOrMax() + ", server timeout " + server.timeoutOrMax() + ")");
            }
            net.advanceTo(now);
            net.deliverDue();
            for (Peer p : new Peer[] {client, server}) {
                if (p.isLive() && p.engine.pollTimeout() <= now) {
                    p.engine.handleTimeout(now);
                }
            }
            driveAll();
        }
        return false;
    }

    private void driveAll() throws IOException {
        drive(client);
        drive(server);
    }

    private void onFrame(Peer p, byte[] frame) {
        try {
            if (p.vanished) {
                return;
            }
            route(p, frame);
            drive(p);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Routes a frame as an endpoint does ({@link Demux}): to the session, to a new session
     * the server accepts (one only), or a RESET for a frame that matches no session.
     */
    private void route(Peer p, byte[] encoded) throws IOException {
        Frame frame;
        try {
            frame = FrameCodec.decode(encoded);
        } catch (MalformedFrameException e) {
            if (p.isLive()) {
                p.engine.handleFrame(encoded, now); // the engine counts it
            } else {
                p.framesDroppedBeforeSession++;
            }
            return;
        }
        Demux.Outcome<Peer> outcome = p.demux.route(frame, now);
        if (outcome instanceof Demux.Deliver<Peer>) {
            p.engine.handleFrame(frame, now);
        } else if (outcome instanceof Demux.Accept<Peer> a) {
            p.demux.setAccepting(false);
            if (a.deliver() != null) {
                p.engine.handleFrame(a.deliver(), now);
            }
        } else if (outcome instanceof Demux.Reply<Peer> r) {
            if (p.closedAt >= 0) {
                p.resetsAfterClose++;
            }
            reply(r.frame(), r.inbox());
        }
    }

    private void reply(byte[] reset, String to) throws IOException {
        if (reset != null) {
            net.send(to, reset);
        }
    }

    /** Feeds the application's side of a peer and drains the engine until nothing changes. */
    private void drive(Peer p) throws IOException {
        if (!p.isLive()) {
            checkVanish(p);
            return;
        }
        Engine e = p.engine;
        boolean progress;
        do {
            progress = application(p);
            byte[] frame;
            while ((frame = e.pollTransmit(now)) != null) {
                net.send(p.remoteInbox, frame);
                progress = true;
            }
            EngineEvent event;
            while ((event = e.pollEvent()) != null) {
                if (event == EngineEvent.ESTABLISHED && p.establishedAt < 0) {
                    p.establishedAt = now;
                }
                progress = true;
            }
            p.observe();
        } while (progress && e.state() != EngineState.CLOSED);
        if (e.state() == EngineState.CLOSED) {
            p.demux.remove(p);
            p.closedAt = now;
            p.finalStats = e.stats();
        }
        checkVanish(p);
    }

    private void checkVanish(Peer p) {
        Peer other = p == client ? server : client;
        if (p.vanished || p.closedAt >= 0) {
            return;
        }
        boolean byTime = p.side == spec.vanishSide && now >= spec.vanishAtNanos;
        boolean byBytes = p.side == spec.vanishSide && spec.vanishAfterServerReadBytes >= 0
                && server.received >= spec.vanishAfterServerReadBytes;
        if (byTime || byBytes) {
            p.vanished = true;
            p.vanishedAt = now;
            if (p.engine != null) {
                p.finalStats = p.engine.stats();
            }
            p.binding.close();
            other.peerVanishedAt = now;
        }
    }

    /** @return whether the application did anything */
    private boolean application(Peer p) {
        if (p.closeCalled) {
            return false;
        }
        Engine e = p.engine;
        boolean established = p.establishedAt >= 0;
        if (spec.closeBothAtNanos >= 0 && now >= spec.closeBothAtNanos && established) {
            e.close(now);
            p.closeCalled = true;
            return true;
        }
        boolean progress = write(p);
        progress |= read(p);
        if (!established || spec.closeBothAtNanos >= 0) {
            return progress;
        }
        boolean outputDone = p.written == p.toSend;
        if (p.expect == 0) {
            if (outputDone) {
                e.close(now);
                p.closeCalled = true;
                return true;
            }
        } else if (p.eof) {
            e.close(now);
            p.closeCalled = true;
            return true;
        } else if (outputDone && p.toSend > 0 && !p.outputShut) {
            e.shutdownOutput(now);
            p.outputShut = true;
            return true;
        }
        return progress;
    }

    private boolean write(Peer p) {
        boolean progress = false;
        while (p.written < p.toSend && !p.outputShut) {
            long free = p.engine.sendBufferFree();
            if (free <= 0) {
                break;
            }
            int n = (int) Math.min(Math.min(free, p.toSend - p.written), ioBuffer.length);
            PatternData.fill(p.sendSeed, p.written, ioBuffer, 0, n);
            int accepted = p.engine.write(ioBuffer, 0, n, false, now);
            if (accepted <= 0) {
                break;
            }
            p.written += accepted;
            progress = true;
        }
        return progress;
    }

    private boolean read(Peer p) {
        if (p.eof || p.isReadPaused(now)) {
            return false;
        }
        long rate = p.side == Side.SERVER ? spec.serverReadRate : spec.clientReadRate;
        if (rate > 0 && now >= p.nextReadTick) {
            p.readBudget = Math.max(1, rate * spec.readTickNanos / NANOS_PER_SECOND);
            p.nextReadTick = now + spec.readTickNanos;
        }
        boolean progress = false;
        while (true) {
            long allowance = rate > 0 ? p.readBudget : ioBuffer.length;
            if (allowance <= 0) {
                break;
            }
            int r = p.engine.read(ioBuffer, 0, (int) Math.min(allowance, ioBuffer.length), now);
            if (r < 0) {
                p.eof = true;
                if (p.received != p.expect && p.failure == null) {
                    p.failure = "end of stream after " + p.received + " of " + p.expect + " bytes";
                }
                return true;
            }
            if (r == 0) {
                break;
            }
            if (p.failure == null) {
                if (p.received + r > p.expect) {
                    p.failure = "received more than the " + p.expect + " bytes sent";
                } else {
                    long bad = PatternData.firstMismatch(p.receiveSeed, p.received, ioBuffer, 0, r);
                    if (bad >= 0) {
                        p.failure = "wrong byte at stream offset " + bad;
                    }
                }
            }
            p.received += r;
            if (rate > 0) {
                p.readBudget -= r;
            }
            if (p.received == p.expect && p.side == Side.SERVER) {
                lastByteAt = now;
            }
            progress = true;
        }
        return progress;
    }

    private TransferResult result(boolean timedOut, long wallNanos) {
        for (Peer p : new Peer[] {client, server}) {
            if (p.finalStats == null && p.engine != null) {
                p.finalStats = p.engine.stats();
            }
        }
        return new TransferResult(spec, client.outcome(), server.outcome(),
                net.linkStats(SERVER_INBOX), net.linkStats(CLIENT_INBOX),
                lastByteAt, now, timedOut, net.traceHash(), wallNanos);
    }

    /** One party: its engine, its application's progress, and what was observed. */
    private final class Peer implements Demux.Routed {
        final Side side;
        final String inbox;
        final String remoteInbox;
        final SessionConfig config;
        final Demux<Peer> demux;
        final long toSend;
        final long expect;
        final long sendSeed;
        final long receiveSeed;
        Engine engine;
        Network.InboxBinding binding;
        long written;
        long received;
        boolean outputShut;
        boolean closeCalled;
        boolean eof;
        String failure;
        long readBudget;
        long nextReadTick;
        long establishedAt = -1;
        long closedAt = -1;
        boolean vanished;
        long vanishedAt = -1;
        long peerVanishedAt = -1;
        EngineStats finalStats;
        long maxReadable;
        long maxOccupancy;
        long maxInFlightBytes;
        long framesDroppedBeforeSession;
        long resetsAfterClose;

        Peer(Side side, String inbox, String remoteInbox, SessionConfig config, SplittableRandom nonces, long toSend,
             long expect, long sendSeed, long receiveSeed) {
            this.side = side;
            this.inbox = inbox;
            this.remoteInbox = remoteInbox;
            this.config = config;
            this.demux = new Demux<>(inbox, config.engineConfig(), 1, nonces, this::adopt);
            this.toSend = toSend;
            this.expect = expect;
            this.sendSeed = sendSeed;
            this.receiveSeed = receiveSeed;
        }

        Peer adopt(Engine e) {
            this.engine = e;
            return this;
        }

        @Override
        public Engine engine() {
            return engine;
        }

        boolean isLive() {
            return engine != null && !vanished && closedAt < 0;
        }

        boolean isDone() {
            return vanished || closedAt >= 0;
        }

        boolean isReadPaused(long t) {
            return side == spec.pauseSide && t >= spec.pauseFromNanos && t < spec.pauseUntilNanos;
        }

        long timeoutOrMax() {
            return isLive() ? engine.pollTimeout() : Long.MAX_VALUE;
        }

        /** @return the next time this party does something on its own */
        long nextWake() {
            long wake = Long.MAX_VALUE;
            if (isLive()) {
                wake = engine.pollTimeout();
                boolean reading = !eof && !closeCalled;
                long rate = side == Side.SERVER ? spec.serverReadRate : spec.clientReadRate;
                if (reading && rate > 0 && !isReadPaused(now)) {
                    wake = Math.min(wake, Math.max(nextReadTick, now));
                }
                if (reading && side == spec.pauseSide && now < spec.pauseUntilNanos) {
                    wake = Math.min(wake, now < spec.pauseFromNanos ? spec.pauseFromNanos : spec.pauseUntilNanos);
                }
                if (!closeCalled && spec.closeBothAtNanos > now) {
                    wake = Math.min(wake, spec.closeBothAtNanos);
                }
            }
            if (!isDone() && side == spec.vanishSide && spec.vanishAtNanos > now) {
                wake = Math.min(wake, spec.vanishAtNanos);
            }
            if (!isDone() && side == spec.vanishSide && spec.vanishAtNanos <= now) {
                wake = now;
            }
            return wake;
        }

        void observe() {
            maxReadable = Math.max(maxReadable, engine.readableBytes());
            EngineStats s = engine.stats();
            maxOccupancy = Math.max(maxOccupancy, config.windowBytes() - s.localWindowBytes());
            maxInFlightBytes = Math.max(maxInFlightBytes, s.inFlightBytes());
        }

        TransferResult.Outcome outcome() {
            EngineState state = engine == null ? null : engine.state();
            return new TransferResult.Outcome(side, toSend, written, expect, received, eof,
                    failure == null && received == expect, failure, state,
                    engine == null ? null : engine.closeReason(), establishedAt, closedAt, vanishedAt,
                    peerVanishedAt, finalStats, maxReadable, maxOccupancy, maxInFlightBytes,
                    framesDroppedBeforeSession, resetsAfterClose);
        }
    }

    /**
     * What to run. Build one with {@link #builder(long)}; {@link #sweep(long, double, long)}
     * is the standard lossy scenario of the sweep tests.
     */
    public static final class Spec {
        private final long seed;
        private final long bytesToServer;
        private final long bytesToClient;
        private final SessionConfig clientConfig;
        private final SessionConfig serverConfig;
        private final Impairments toServer;
        private final Impairments toClient;
        private final SimNetwork.FrameFilter frameFilter;
        private final long serverReadRate;
        private final long clientReadRate;
        private final long readTickNanos;
        private final Side pauseSide;
        private final long pauseFromNanos;
        private final long pauseUntilNanos;
        private final Side vanishSide;
        private final long vanishAtNanos;
        private final long vanishAfterServerReadBytes;
        private final long closeBothAtNanos;
        private final long timeLimitNanos;

        private Spec(Builder b) {
            this.seed = b.seed;
            this.bytesToServer = b.bytesToServer;
            this.bytesToClient = b.bytesToClient;
            this.clientConfig = b.clientConfig;
            this.serverConfig = b.serverConfig;
            this.toServer = b.toServer;
            this.toClient = b.toClient;
            this.frameFilter = b.frameFilter;
            this.serverReadRate = b.serverReadRate;
            this.clientReadRate = b.clientReadRate;
            this.readTickNanos = b.readTick.toNanos();
            this.pauseSide = b.pauseSide;
            this.pauseFromNanos = b.pauseFrom.toNanos();
            this.pauseUntilNanos = b.pauseUntil.toNanos();
            this.vanishSide = b.vanishSide;
            this.vanishAtNanos = b.vanishAt == null ? Long.MAX_VALUE : b.vanishAt.toNanos();
            this.vanishAfterServerReadBytes = b.vanishAfterServerReadBytes;
            this.closeBothAtNanos = b.closeBothAt == null ? -1 : b.closeBothAt.toNanos();
            this.timeLimitNanos = b.timeLimit.toNanos();
        }

        /**
         * @param seed the seed of the run: data, nonces and every link decision
         * @return a builder: 64 KiB client to server, default configs, perfect links
         */
        public static Builder builder(long seed) {
            return new Builder(seed);
        }

        /**
         * The sweep scenario: {@code loss} in both directions, 10 ms latency with 2 ms
         * jitter, 5 % reordering, 5 % duplication, 1 % corruption; 1 KiB payloads so a
         * small transfer still spans many frames, and a connect timeout long enough that
         * heavy loss cannot starve the handshake.
         *
         * @param seed the seed
         * @param loss loss rate in each direction
         * @param bytes bytes from client to server
         * @return the builder, for further changes
         */
        public static Builder sweep(long seed, double loss, long bytes) {
            return sweep(seed, loss, 1, bytes);
        }

        /**
         * The sweep scenario of {@link #sweep(long, double, long)}, with the loss either
         * independent ({@code meanBurstLength} 1 or less) or Gilbert-Elliott bursts of that
         * mean length and the same long-run rate, the chain also stepping once per
         * millisecond between frames so that a burst cannot swallow a whole handshake
         * retried with backoff.
         *
         * @param seed the seed
         * @param loss long-run loss rate in each direction
         * @param meanBurstLength mean number of consecutive frames lost
         * @param bytes bytes from client to server
         * @return the builder, for further changes
         */
        public static Builder sweep(long seed, double loss, double meanBurstLength, long bytes) {
            Impairments.Builder link = meanBurstLength <= 1 ? Impairments.builder().lossRate(loss)
                    : Impairments.builder().gilbertElliott(
                            Impairments.GilbertElliott.of(loss, meanBurstLength, BURST_STEP));
            link
                    .latency(Duration.ofMillis(10))
                    .jitter(Duration.ofMillis(2))
                    .reorder(0.05, Duration.ofMillis(8))
                    .duplicate(0.05, Duration.ofMillis(4))
                    .corrupt(0.01, 8);
            SessionConfig config = SessionConfig.builder()
                    .maxPayloadBytes(1024)
                    .windowFrames(64)
                    .windowBytes(64 * 1024)
                    .connectTimeout(Duration.ofSeconds(120))
                    .build();
            return builder(seed).bytesToServer(bytes).config(config).impairBoth(link.build());
        }

        /** @return the seed */
        public long seed() { return seed; }
        /** @return bytes the client sends */
        public long bytesToServer() { return bytesToServer; }
        /** @return bytes the server sends */
        public long bytesToClient() { return bytesToClient; }
        /** @return the client's configuration */
        public SessionConfig clientConfig() { return clientConfig; }
        /** @return the server's configuration */
        public SessionConfig serverConfig() { return serverConfig; }
        /** @return what the link does to frames for the server */
        public Impairments toServer() { return toServer; }
        /** @return what the link does to frames for the client */
        public Impairments toClient() { return toClient; }
        /** @return the virtual time limit in nanoseconds */
        public long timeLimitNanos() { return timeLimitNanos; }

        @Override
        public String toString() {
            StringBuilder s = new StringBuilder("seed=").append(seed).append(" bytes=").append(bytesToServer);
            if (bytesToClient > 0) s.append("+").append(bytesToClient).append(" back");
            s.append(" toServer=").append(toServer).append(" toClient=").append(toClient);
            if (serverReadRate > 0) s.append(" serverReadRate=").append(serverReadRate).append("B/s");
            if (clientReadRate > 0) s.append(" clientReadRate=").append(clientReadRate).append("B/s");
            if (pauseSide != null) s.append(" pause ").append(pauseSide).append(' ')
                    .append(Duration.ofNanos(pauseFromNanos)).append("..").append(Duration.ofNanos(pauseUntilNanos));
            if (vanishSide != null) s.append(" vanish ").append(vanishSide).append(vanishAtNanos != Long.MAX_VALUE
                    ? " at " + Duration.ofNanos(vanishAtNanos) : " after " + vanishAfterServerReadBytes + " B read");
            if (closeBothAtNanos >= 0) s.append(" closeBothAt=").append(Duration.ofNanos(closeBothAtNanos));
            if (frameFilter != null) s.append(" +frameFilter");
            return s.toString();
        }

        /** Assembles a {@link Spec}; every setter documents its default. */
        public static final class Builder {
            private final long seed;
            private long bytesToServer = 64 * 1024;
            private long bytesToClient;
            private SessionConfig clientConfig = SessionConfig.defaults();
            private SessionConfig serverConfig = SessionConfig.defaults();
            private Impairments toServer = Impairments.NONE;
            private Impairments toClient = Impairments.NONE;
            private SimNetwork.FrameFilter frameFilter;
            private long serverReadRate;
            private long clientReadRate;
            private Duration readTick = Duration.ofMillis(10);
            private Side pauseSide;
            private Duration pauseFrom = Duration.ZERO;
            private Duration pauseUntil = Duration.ZERO;
            private Side vanishSide;
            private Duration vanishAt;
            private long vanishAfterServerReadBytes = -1;
            private Duration closeBothAt;
            private Duration timeLimit = Duration.ofMinutes(10);

            private Builder(long seed) {
                this.seed = seed;
            }

            /** Bytes the client sends. Default 64 KiB. @param n zero or more @return this */
            public Builder bytesToServer(long n) { this.bytesToServer = nonNegative(n, "bytesToServer"); return this; }

            /** Bytes the server sends back. Default 0. @param n zero or more @return this */
            public Builder bytesToClient(long n) { this.bytesToClient = nonNegative(n, "bytesToClient"); return this; }

            /** Both sides' configuration. Default {@link SessionConfig#defaults()}. @param c config @return this */
            public Builder config(SessionConfig c) {
                this.clientConfig = Objects.requireNonNull(c);
                this.serverConfig = c;
                return this;
            }

            /** The client's configuration. @param c config @return this */
            public Builder clientConfig(SessionConfig c) { this.clientConfig = Objects.requireNonNull(c); return this; }

            /** The server's configuration. @param c config @return this */
            public Builder serverConfig(SessionConfig c) { this.serverConfig = Objects.requireNonNull(c); return this; }

            /** Frames towards the server. Default {@link Impairments#NONE}. @param i impairments @return this */
            public Builder toServer(Impairments i) { this.toServer = Objects.requireNonNull(i); return this; }

            /** Frames towards the client. Default {@link Impairments#NONE}. @param i impairments @return this */
            public Builder toClient(Impairments i) { this.toClient = Objects.requireNonNull(i); return this; }

            /** The same impairments both ways (each direction with its own random stream). @param i impairments @return this */
            public Builder impairBoth(Impairments i) { return toServer(i).toClient(i); }

            /** Drops chosen frames, e.g. by decoding them. Default none. @param f the filter @return this */
            public Builder frameFilter(SimNetwork.FrameFilter f) { this.frameFilter = f; return this; }

            /**
             * The server's application reads at most this many bytes per second, in ticks of
             * {@link #readTick(Duration)}. Default 0: as fast as data arrives.
             * @param bytesPerSecond 0 or positive @return this
             */
            public Builder serverReadRate(long bytesPerSecond) { this.serverReadRate = nonNegative(bytesPerSecond, "rate"); return this; }

            /** Like {@link #serverReadRate(long)}, for the client. @param bytesPerSecond 0 or positive @return this */
            public Builder clientReadRate(long bytesPerSecond) { this.clientReadRate = nonNegative(bytesPerSecond, "rate"); return this; }

            /** Granularity of a rate-limited reader. Default 10 ms. @param d positive @return this */
            public Builder readTick(Duration d) {
                if (d.isNegative() || d.isZero()) {
                    throw new IllegalArgumentException("readTick must be positive");
                }
                this.readTick = d;
                return this;
            }

            /**
             * The side's application stops reading during [from, until). Default none.
             * @param side who pauses @param from start @param until end @return this
             */
            public Builder pauseReading(Side side, Duration from, Duration until) {
                this.pauseSide = Objects.requireNonNull(side);
                this.pauseFrom = from;
                this.pauseUntil = until;
                return this;
            }

            /**
             * The side vanishes at the given virtual time: its engine is never called again
             * and frames to it disappear. Default never.
             * @param side who vanishes @param at when @return this
             */
            public Builder vanishAt(Side side, Duration at) {
                this.vanishSide = Objects.requireNonNull(side);
                this.vanishAt = at;
                return this;
            }

            /**
             * The side vanishes as soon as the server's application has read this many bytes.
             * @param side who vanishes @param serverReadBytes the trigger @return this
             */
            public Builder vanishAfterServerRead(Side side, long serverReadBytes) {
                this.vanishSide = Objects.requireNonNull(side);
                this.vanishAfterServerReadBytes = nonNegative(serverReadBytes, "serverReadBytes");
                return this;
            }

            /** Both applications call {@code close()} at this instant (once established). @param at when @return this */
            public Builder closeBothAt(Duration at) { this.closeBothAt = at; return this; }

            /** The run stops at this virtual time. Default 10 min. @param d positive @return this */
            public Builder timeLimit(Duration d) { this.timeLimit = d; return this; }

            /** @return the spec */
            public Spec build() {
                return new Spec(this);
            }

            private static long nonNegative(long v, String name) {
                if (v < 0) {
                    throw new IllegalArgumentException(name + " must not be negative, got " + v);
                }
                return v;
            }
        }
    }

    /**
     * Runs one transfer chosen by system properties and prints its summary:
     * {@code swp.seed} (default 1), {@code swp.loss} (0), {@code swp.burst} (mean loss
     * burst length, default 1: independent loss) and {@code swp.bytes} (65536), in the
     * sweep scenario ({@link Spec#sweep(long, double, double, long)}). Exits 1 if the
     * transfer did not deliver and close cleanly.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        long seed = Long.getLong("swp.seed", 1);
        double loss = Double.parseDouble(System.getProperty("swp.loss", "0"));
        double burst = Double.parseDouble(System.getProperty("swp.burst", "1"));
        long bytes = Long.getLong("swp.bytes", 64 * 1024);
        TransferResult r = run(Spec.sweep(seed, loss, burst, bytes).build());
        System.out.println(r.summary());
        System.exit(r.isCleanSuccess() ? 0 : 1);
    }
}
