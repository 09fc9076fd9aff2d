package io.swp.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Hand-made frames and engines in chosen states, for tests that feed an {@link Engine} one
 * frame and check exactly what it answers (smoltcp style): the frames {@code pollTransmit}
 * returns, its state, events and counters. An initiator (inbox {@link #INITIATOR}, nonce
 * {@link #INITIATOR_NONCE}) talks to an acceptor ({@link #ACCEPTOR}, {@link #ACCEPTOR_NONCE});
 * frames go through {@link FrameCodec} both ways, as on the wire.
 */
final class FrameCrafter {
    static final EngineConfig CONFIG = SessionConfig.defaults().engineConfig();
    static final String INITIATOR = "initiator";
    static final String ACCEPTOR = "acceptor";
    static final long INITIATOR_NONCE = 0x1A1A1A1AL;
    static final long ACCEPTOR_NONCE = 0x2B2B2B2BL;
    static final long MS = 1_000_000L;
    /** When the initiator sends its SYN; not 0, so that an echo of it is told from no echo. */
    static final long T0 = 1_000 * MS;
    /** The window an engine with an empty receive buffer advertises. */
    static final int WINDOW_FRAMES = CONFIG.windowFrames();
    static final long WINDOW_BYTES = CONFIG.windowBytes();

    private FrameCrafter() {
    }

    // ---------------------------------------------------------------- frames

    /** @return a frame from the initiator's session to the acceptor's, with an empty buffer's window */
    static Frame.Builder fromInitiator(FrameKind kind) {
        return Frame.builder(kind).from(INITIATOR).to(ACCEPTOR).srcNonce(INITIATOR_NONCE).dstNonce(ACCEPTOR_NONCE)
                .window(WINDOW_FRAMES, WINDOW_BYTES);
    }

    /** @return a frame from the acceptor's session to the initiator's, with an empty buffer's window */
    static Frame.Builder fromAcceptor(FrameKind kind) {
        return Frame.builder(kind).from(ACCEPTOR).to(INITIATOR).srcNonce(ACCEPTOR_NONCE).dstNonce(INITIATOR_NONCE)
                .window(WINDOW_FRAMES, WINDOW_BYTES);
    }

    /** @return the SYN an initiator sends first, at {@code tsVal} */
    static Frame syn(long tsVal) {
        return fromInitiator(FrameKind.SYN).dstNonce(0).tsVal(tsVal).build();
    }

    /** Hands {@code frame} to {@code engine} encoded, as the runtime does; fails if it was taken as malformed. */
    static void feed(Engine engine, Frame frame, long now) {
        assertTrue(engine.handleFrame(FrameCodec.encode(frame), now), "dropped as malformed: " + frame);
    }

    /** @return every frame {@code engine} has to send now, decoded, in order */
    static List<Frame> transmit(Engine engine, long now) {
        List<Frame> out = new ArrayList<>();
        byte[] f;
        while ((f = engine.pollTransmit(now)) != null) {
            out.add(VirtualLink.decode(f));
        }
        return out;
    }

    /** @return the events {@code engine} has pending, drained */
    static List<EngineEvent> events(Engine engine) {
        List<EngineEvent> out = new ArrayList<>();
        EngineEvent e;
        while ((e = engine.pollEvent()) != null) {
            out.add(e);
        }
        return out;
    }

    // ---------------------------------------------------------------- engines in a chosen state

    /** @return an initiator in SYN_SENT whose SYN (sent at {@link #T0}) was taken out */
    static Engine synSent() {
        Engine e = Engine.connect(CONFIG, INITIATOR, ACCEPTOR, INITIATOR_NONCE, T0);
        assertEquals(List.of(fromInitiator(FrameKind.SYN).dstNonce(0).tsVal(T0).build()), transmit(e, T0));
        assertEquals(EngineState.SYN_SENT, e.state());
        return e;
    }

    /** @return an acceptor in SYN_RECEIVED, made at {@code now} from {@code syn(T0)}, its SYN_ACK taken out */
    static Engine synReceived(long now) {
        Engine e = Engine.accept(CONFIG, ACCEPTOR, syn(T0), ACCEPTOR_NONCE, now);
        assertEquals(List.of(synAck(now, T0)), transmit(e, now));
        assertEquals(EngineState.SYN_RECEIVED, e.state());
        return e;
    }

    /** @return the SYN_ACK an acceptor with an empty buffer sends at {@code tsVal}, echoing {@code tsEcr} */
    static Frame synAck(long tsVal, long tsEcr) {
        return fromAcceptor(FrameKind.SYN_ACK).tsVal(tsVal).tsEcr(tsEcr).build();
    }

    /**
     * @return an initiator that got the SYN_ACK (sent at {@code T0 + 5 ms}) at {@code T0 + 10 ms}
     *     and took out its ACK; its ESTABLISHED event drained
     */
    static Engine establishedInitiator() {
        Engine e = synSent();
        long now = T0 + 10 * MS;
        feed(e, synAck(T0 + 5 * MS, T0), now);
        assertEquals(List.of(fromInitiator(FrameKind.ACK).tsVal(now).tsEcr(T0 + 5 * MS).build()), transmit(e, now));
        assertEquals(EngineState.ESTABLISHED, e.state());
        assertEquals(List.of(EngineEvent.ESTABLISHED), events(e));
        return e;
    }

    /**
     * @return an acceptor (SYN_ACK sent at {@code T0 + 5 ms}) that got the initiator's ACK at
     *     {@code T0 + 15 ms}; nothing to send, its ESTABLISHED event drained
     */
    static Engine establishedAcceptor() {
        Engine e = synReceived(T0 + 5 * MS);
        long now = T0 + 15 * MS;
        feed(e, fromInitiator(FrameKind.ACK).tsVal(T0 + 10 * MS).tsEcr(T0 + 5 * MS).build(), now);
        assertEquals(List.of(), transmit(e, now));
        assertEquals(EngineState.ESTABLISHED, e.state());
        assertEquals(List.of(EngineEvent.ESTABLISHED), events(e));
        return e;
    }

    // ---------------------------------------------------------------- counters

    /**
     * Asserts that the counters changed by exactly {@code deltas} (name, delta, name, delta,
     * …; names of {@link EngineStats} components) and every other component not at all.
     */
    static void assertStatsChange(EngineStats before, EngineStats after, Object... deltas) {
        Map<String, Long> expectedDelta = new HashMap<>();
        for (int i = 0; i < deltas.length; i += 2) {
            expectedDelta.put((String) deltas[i], ((Number) deltas[i + 1]).longValue());
        }
        List<String> wrong = new ArrayList<>();
        for (RecordComponent c : EngineStats.class.getRecordComponents()) {
            long b = value(c, before);
            long a = value(c, after);
            long delta = expectedDelta.getOrDefault(c.getName(), 0L);
            if (a - b != delta) {
                wrong.add(c.getName() + " " + b + " -> " + a + " (expected " + (delta >= 0 ? "+" : "") + delta + ")");
            }
            expectedDelta.remove(c.getName());
        }
        assertTrue(expectedDelta.isEmpty(), "no such counters: " + expectedDelta.keySet());
        assertTrue(wrong.isEmpty(), "counters: " + wrong);
    }

    private static long value(RecordComponent c, EngineStats s) {
        try {
            return ((Number) c.getAccessor().invoke(s)).longValue();
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** Asserts that {@code engine} has nothing to send now and no event pending. */
    static void assertSilent(Engine engine, long now) {
        assertNull(engine.pollTransmit(now), "nothing to send");
        assertNull(engine.pollEvent(), "no event");
    }
}
