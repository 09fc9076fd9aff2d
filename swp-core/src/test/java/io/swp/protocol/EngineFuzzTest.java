package io.swp.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.swp.SessionConfig;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Fuzz target 2, the engine: one engine fed a sequence of frames from a peer that
 * follows no rules (its nonces right half of the time, everything else arbitrary:
 * kinds, flags, sequence numbers, acknowledgements, SACK ranges, windows, timestamps,
 * oversized payloads, replays, corrupted bytes), interleaved with application commands
 * and timers in virtual time. After every step:
 * <ul>
 *   <li>no exception escaped, except the documented {@link IllegalStateException} of a
 *       write after shutdown or close and {@link IllegalArgumentException} of an
 *       oversized unordered message;</li>
 *   <li>the receive buffer holds at most its window plus one frame (the documented
 *       exceptions), in frames and bytes, and its ring no more than the window's slots;
 *       the send side's counters agree with its frames; in flight stays within our
 *       window;</li>
 *   <li>the bytes the application read are a prefix of the stream the peer sent in
 *       order (the peer's frame for each sequence number is fixed the first time it is
 *       sent, so the stream is defined), never past its FIN; every unordered message
 *       is one the peer sent, delivered at most once;</li>
 *   <li>every frame the engine sends decodes, is addressed to the peer, and after the
 *       timers ran no deadline lies in the past.</li>
 * </ul>
 */
@Tag("fuzz")
class EngineFuzzTest {
    private static final String LOCAL = "local";
    private static final String REMOTE = "remote";
    private static final long LOCAL_NONCE = 0x10CA1L;
    private static final long PEER_NONCE = 0x9EE9L;
    private static final long MS = 1_000_000L;
    private static final long T0 = 1_000 * MS;
    private static final int MAX_STEPS = 400;
    private static final FrameKind[] CONTROL_KINDS = {FrameKind.ACK, FrameKind.ACK, FrameKind.ACK, FrameKind.KEEPALIVE,
        FrameKind.SYN, FrameKind.SYN_ACK, FrameKind.ACK, FrameKind.KEEPALIVE};

    /** Small windows and payloads, so that every edge (empty buffer, gap fill, oversize) is near. */
    private static final EngineConfig[] CONFIGS = {
        config(16, 600, 64),
        config(4, 100, 16),
        config(1, 1, 1),
        config(32, 20_000, 512),
    };

    private static EngineConfig config(int windowFrames, long windowBytes, int maxPayload) {
        return SessionConfig.builder().windowFrames(windowFrames).windowBytes(windowBytes).sendBufferBytes(4_000)
                .maxPayloadBytes(maxPayload).ackEveryFrames(2).unorderedQueueLimit(4)
                .keepaliveInterval(Duration.ofMillis(200)).failedKeepalivesBeforeClose(50)
                .connectTimeout(Duration.ofSeconds(10)).timeWait(Duration.ofMillis(300))
                .closeTimeout(Duration.ofSeconds(1)).build().engineConfig();
    }

    /** What the peer sends at one sequence number: fixed the first time, so the peer's stream is defined. */
    private record Template(FrameKind kind, int flags, byte[] payload) {
        boolean unordered() {
            return kind == FrameKind.DATA && (flags & Frame.FLAG_UNORDERED) != 0;
        }
    }

    /** One fuzz run: an engine, its peer's stream and what the application got. */
    private static final class Run {
        final FuzzData in;
        final EngineConfig config;
        final Engine engine;
        final Map<Long, Template> stream = new HashMap<>();
        final List<byte[]> unorderedSent = new ArrayList<>();
        final List<byte[]> fed = new ArrayList<>();
        final List<Long> ourTimestamps = new ArrayList<>();
        // The peer's ordered stream as far as the application has read it.
        final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        byte[] expected = new byte[0];
        int expectedAt;
        long streamSeq;
        long now = T0;
        long peerClock = T0;
        boolean outputShut;
        boolean inputClosed;

        Run(FuzzData in) {
            this.in = in;
            this.config = in.pick(CONFIGS);
            Frame syn = Frame.builder(FrameKind.SYN).from(REMOTE).to(LOCAL).srcNonce(PEER_NONCE)
                    .window(config.windowFrames(), config.windowBytes()).tsVal(peerClock).build();
            this.engine = in.consumeBoolean() ? Engine.connect(config, LOCAL, REMOTE, LOCAL_NONCE, now)
                    : Engine.accept(config, LOCAL, syn, LOCAL_NONCE, now);
        }

        // ------------------------------------------------------------ the peer

        Template template(long seq) {
            return stream.computeIfAbsent(seq, s -> {
                boolean fin = in.consumeInt(0, 15) == 0;
                int flags = fin ? 0 : in.consumeInt(0, Frame.KNOWN_FLAGS);
                byte[] payload = in.consumeBytes(in.consumeInt(0, config.maxPayloadBytes() + 2));
                Template t = new Template(fin ? FrameKind.FIN : FrameKind.DATA, flags, payload);
                if (t.unordered()) {
                    unorderedSent.add(payload);
                }
                return t;
            });
        }

        Frame.Builder header(Frame.Builder b) {
            SendBuffer send = engine.sendBufferForTest();
            b.from(REMOTE).to(in.consumeInt(0, 7) == 0 ? "elsewhere" : LOCAL);
            if (in.consumeBoolean()) {
                b.srcNonce(PEER_NONCE).dstNonce(LOCAL_NONCE);
            } else {
                switch (in.consumeInt(0, 3)) {
                    case 0 -> b.srcNonce(PEER_NONCE).dstNonce(0);
                    case 1 -> b.srcNonce(in.consumeLong()).dstNonce(LOCAL_NONCE);
                    case 2 -> b.srcNonce(PEER_NONCE).dstNonce(in.consumeLong());
                    default -> b.srcNonce(0).dstNonce(0);
                }
            }
            // Mostly what a correct peer could say about what we sent; now and then anything.
            long una = send.una();
            long sent = send.nextToSend();
            b.ack(switch (in.consumeInt(0, 7)) {
                case 0 -> in.consumeLong(0, Long.MAX_VALUE);
                case 1 -> Math.max(0, una + in.consumeInt(-2, (int) Math.min(40, sent - una + 2)));
                default -> in.consumeLong(Math.max(0, una - 1), sent);
            });
            switch (in.consumeInt(0, 7)) {
                case 0, 1 -> b.sackRanges(FuzzFrames.sackRanges(in, una, 4));
                case 2, 3 -> {
                    if (sent > una) {
                        long start = in.consumeLong(una, sent - 1);
                        b.sackRanges(new long[] {start, in.consumeLong(start + 1, sent)});
                    }
                }
                default -> {
                    // no SACK
                }
            }
            b.window(in.consumeBoolean() ? in.consumeInt(0, 40) : in.consumeInt(0, Integer.MAX_VALUE),
                    in.consumeBoolean() ? in.consumeLong(0, 5_000) : in.consumeLong(0, Long.MAX_VALUE));
            switch (in.consumeInt(0, 5)) {
                case 0 -> b.tsVal(in.consumeLong());
                case 1 -> b.tsVal(peerClock);
                default -> b.tsVal(peerClock += in.consumeInt(0, 50) * MS);
            }
            switch (in.consumeInt(0, 4)) {
                case 0 -> b.tsEcr(in.consumeLong());
                case 1 -> b.tsEcr(now + in.consumeLong(1, Long.MAX_VALUE / 4));
                default -> b.tsEcr(ourTimestamps.isEmpty() ? 0
                        : ourTimestamps.get(in.consumeInt(0, ourTimestamps.size() - 1)));
            }
            return b;
        }

        Frame sequenced() {
            long next = engine.receiveBufferForTest().next();
            long seq = switch (in.consumeInt(0, 7)) {
                case 0 -> in.consumeLong(0, Long.MAX_VALUE);
                case 1, 2 -> Math.max(0, next + in.consumeInt(-3, config.windowFrames() + 3));
                default -> next + in.consumeInt(0, 2);
            };
            Template t = template(seq);
            return header(Frame.builder(t.kind()).flags(t.flags()).seq(seq).payload(t.payload())).build();
        }

        Frame control() {
            FrameKind kind = in.consumeInt(0, 255) == 0 ? FrameKind.RESET : in.pick(CONTROL_KINDS);
            Frame.Builder b = header(Frame.builder(kind));
            if (in.consumeInt(0, 15) == 0) {
                b.payload(in.consumeBytes(config.maxPayloadBytes() + 2));
            }
            if (kind == FrameKind.SYN && in.consumeBoolean()) {
                b.srcNonce(PEER_NONCE).dstNonce(0);
            }
            return b.build();
        }

        void feed(Frame f) {
            byte[] encoded = FrameCodec.encode(f);
            fed.add(encoded);
            if (in.consumeBoolean()) {
                engine.handleFrame(f, now);
            } else if (!engine.handleFrame(encoded.clone(), now)) {
                try {
                    FrameCodec.decode(encoded);
                    fail("the engine took a valid frame as malformed: " + f);
                } catch (MalformedFrameException e) {
                    throw new AssertionError("the codec does not decode what it encoded: " + f, e);
                }
            }
        }

        /**
         * Feeds edited bytes of an earlier frame. If they still decode (the CRC fixed) to
         * DATA or FIN, the frame must agree with the peer's stream (or defines it, for a
         * sequence number not sent before); one that contradicts it is not fed, since the
         * stream could then not say what must be delivered.
         */
        void feedMutated(byte[] bytes) {
            Frame f;
            try {
                f = FrameCodec.decode(bytes);
            } catch (MalformedFrameException e) {
                assertTrue(!engine.handleFrame(bytes, now), "a malformed frame was taken");
                return;
            }
            if (f.kind().isSequenced()) {
                Template t = stream.get(f.seq());
                Template sent = new Template(f.kind(), f.kind() == FrameKind.FIN ? 0 : f.flags(), f.payload());
                if (t == null) {
                    stream.put(f.seq(), sent);
                    if (sent.unordered()) {
                        unorderedSent.add(sent.payload());
                    }
                } else if (t.kind() != sent.kind() || (t.kind() == FrameKind.DATA && t.flags() != sent.flags())
                        || !Arrays.equals(t.payload(), sent.payload())) {
                    return;
                }
            }
            engine.handleFrame(bytes, now);
        }

        // ------------------------------------------------------------ the application

        void write() {
            byte[] data = in.consumeBytes(3 * config.maxPayloadBytes());
            boolean closed = engine.state() == EngineState.CLOSED || outputShut;
            if (in.consumeInt(0, 3) == 0) {
                if (closed) {
                    assertThrows(IllegalStateException.class, () -> engine.writeUnordered(data, now));
                } else if (data.length > engine.maxPayload()) {
                    assertThrows(IllegalArgumentException.class, () -> engine.writeUnordered(data, now));
                } else {
                    engine.writeUnordered(data, now);
                }
            } else if (closed) {
                assertThrows(IllegalStateException.class,
                        () -> engine.write(data, 0, data.length, in.consumeBoolean(), now));
            } else {
                int n = engine.write(data, 0, data.length, in.consumeBoolean(), now);
                assertTrue(n >= 0 && n <= data.length, "write accepted " + n + " of " + data.length);
            }
        }

        void read() {
            switch (in.consumeInt(0, 2)) {
                case 0 -> {
                    ReceivedChunk c = engine.pollChunk(now);
                    if (c != null) {
                        delivered(c.data());
                    }
                }
                case 1 -> {
                    byte[] buf = new byte[in.consumeInt(0, 200)];
                    int n = engine.read(buf, 0, buf.length, now);
                    if (n > 0) {
                        delivered(Arrays.copyOf(buf, n));
                    } else if (n < 0) {
                        assertTrue(engine.isInputFinished(), "end of stream before the FIN");
                    }
                }
                default -> {
                    byte[] m = engine.pollUnordered();
                    if (m != null) {
                        assertTrue(takeUnordered(m), "an unordered message the peer did not send, or delivered twice");
                    }
                }
            }
        }

        private boolean takeUnordered(byte[] m) {
            for (Iterator<byte[]> it = unorderedSent.iterator(); it.hasNext();) {
                if (Arrays.equals(it.next(), m)) {
                    it.remove();
                    return true;
                }
            }
            return false;
        }

        /** Checks bytes the application read against the peer's ordered stream. */
        void delivered(byte[] data) {
            for (byte b : data) {
                while (expectedAt == expected.length) {
                    Template t = stream.get(streamSeq);
                    if (t == null) {
                        fail("delivered bytes at sequence number " + streamSeq + ", which the peer never sent");
                    }
                    if (t.kind() == FrameKind.FIN) {
                        fail("delivered bytes past the peer's FIN at " + streamSeq);
                    }
                    streamSeq++;
                    if (!t.unordered()) {
                        expected = t.payload();
                        expectedAt = 0;
                    }
                }
                assertEquals(expected[expectedAt++], b, "a delivered byte differs from what the peer sent");
            }
        }

        void applicationCommand() {
            switch (in.consumeInt(0, 199)) {
                case 0 -> {
                    engine.shutdownOutput(now);
                    outputShut = true;
                }
                case 1 -> {
                    engine.close(now);
                    outputShut = true;
                    inputClosed = true;
                }
                case 2 -> {
                    engine.abort(now);
                    inputClosed = true;
                }
                default -> engine.setTransportCapacity(in.consumeBoolean() ? Engine.UNKNOWN_CAPACITY : in.consumeInt(0, 64),
                        in.consumeBoolean() ? Engine.UNKNOWN_CAPACITY : in.consumeInt(0, 10_000));
            }
        }

        // ------------------------------------------------------------ time and output

        void advance() {
            now += in.consumeInt(0, 15) != 0 ? in.consumeInt(0, 20) * MS : in.consumeLong(0, 3_000 * MS);
            for (int i = 0; i < 100 && now >= engine.pollTimeout(); i++) {
                engine.handleTimeout(now);
                drain();
            }
            assertTrue(engine.pollTimeout() > now || engine.state() == EngineState.CLOSED,
                    "a deadline in the past after the timers ran: " + engine.pollTimeout() + " <= " + now);
        }

        void drain() {
            byte[] out;
            int frames = 0;
            while ((out = engine.pollTransmit(now)) != null) {
                assertTrue(++frames < 10_000, "pollTransmit never ends");
                Frame f;
                try {
                    f = FrameCodec.decode(out);
                } catch (MalformedFrameException e) {
                    throw new AssertionError("the engine sent a frame that does not decode", e);
                }
                assertEquals(REMOTE, f.to());
                assertEquals(LOCAL, f.from());
                assertEquals(LOCAL_NONCE, f.srcNonce());
                assertTrue(f.payloadLength() <= config.maxPayloadBytes(), "sent a payload above the maximum");
                ourTimestamps.add(f.tsVal());
            }
            while (engine.pollEvent() != null) {
                // drained
            }
        }

        void checkInvariants() {
            ReceiveBuffer r = engine.receiveBufferForTest();
            assertTrue(r.bufferedFrames() <= config.windowFrames() + 1L,
                    "receive buffer holds " + r.bufferedFrames() + " frames, window " + config.windowFrames());
            assertTrue(r.bufferedBytes() <= config.windowBytes() + config.maxPayloadBytes(),
                    "receive buffer holds " + r.bufferedBytes() + " bytes, window " + config.windowBytes());
            assertTrue(r.ringCapacity() <= Math.max(16, Integer.highestOneBit(config.windowFrames() * 2 - 1)),
                    "receive ring of " + r.ringCapacity() + " slots for a window of " + config.windowFrames());
            assertTrue(engine.stats().inFlightFrames() <= config.windowFrames(), "in flight beyond our window");
            engine.sendBufferForTest().checkInvariants();
            if (engine.isInputFinished() && !inputClosed) {
                assertEquals(expected.length, expectedAt, "end of stream in the middle of a frame");
                // What lies between the last byte read and the FIN brings no bytes: unordered
                // messages and empty DATA frames.
                long s = streamSeq;
                while (stream.get(s) != null && stream.get(s).kind() == FrameKind.DATA
                        && (stream.get(s).unordered() || stream.get(s).payload().length == 0)) {
                    s++;
                }
                Template t = stream.get(s);
                assertTrue(t != null && t.kind() == FrameKind.FIN, "end of stream at " + s + ", where the peer sent no FIN");
            }
        }

        void step() {
            switch (in.consumeInt(0, 11)) {
                case 0, 1, 2, 3 -> feed(sequenced());
                case 4, 5 -> feed(control());
                case 6 -> {
                    if (!fed.isEmpty()) {
                        // A replay, exactly as captured.
                        engine.handleFrame(fed.get(in.consumeInt(0, fed.size() - 1)).clone(), now);
                    }
                }
                case 7 -> {
                    if (!fed.isEmpty()) {
                        feedMutated(FuzzFrames.mutate(in, fed.get(in.consumeInt(0, fed.size() - 1)).clone()));
                    }
                }
                case 8 -> advance();
                case 9 -> write();
                case 10 -> read();
                default -> applicationCommand();
            }
            drain();
            checkInvariants();
        }
    }

    static void fuzz(FuzzData in) {
        Run run = new Run(in);
        run.drain();
        if (in.consumeBoolean()) {
            // Start established more often than chance would: the peer acknowledges the handshake.
            run.engine.handleFrame(Frame.builder(run.engine.isInitiator() ? FrameKind.SYN_ACK : FrameKind.ACK)
                    .from(REMOTE).to(LOCAL).srcNonce(PEER_NONCE).dstNonce(LOCAL_NONCE)
                    .window(run.config.windowFrames(), run.config.windowBytes()).tsVal(run.peerClock += MS)
                    .tsEcr(T0).build(), run.now);
            run.drain();
        }
        for (int i = 0; i < MAX_STEPS && !in.exhausted(); i++) {
            run.step();
        }
    }

    @FuzzTest
    void engine(FuzzedDataProvider data) {
        fuzz(FuzzData.of(data));
    }

    @Test
    void seededInputs() {
        SeededFuzzing.run("engine", 0xE9E9EL, 6_000, EngineFuzzTest::fuzz);
    }
}
