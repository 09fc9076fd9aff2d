package io.swp.protocol;

import static io.swp.protocol.VirtualLink.MS;
import static io.swp.protocol.VirtualLink.SECOND;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import io.swp.protocol.VirtualLink.Fate;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both directions at once through loss, duplication, reordering and corruption, ending
 * in a graceful close from both sides: every byte arrives once and in order, both sides
 * close normally, events come once each in a sensible order, and the send-side
 * scoreboard's counters agree with its frames after every step. Seeded, one test case per
 * seed; the seed, the impairments and the command that reruns the seed alone are in every
 * failure message.
 */
class EngineChaosTest {

    static LongStream seeds() {
        return Seeds.range(1, 16);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void bidirectionalTransfersSurviveEveryImpairmentAndCloseNormally(long seed) {
        Random random = new Random(seed);
        double loss = random.nextDouble() * 0.2;
        double dup = random.nextDouble() * 0.05;
        double corrupt = random.nextDouble() * 0.03;
        int jitterMs = random.nextInt(15);
        String params = "seed " + seed + String.format(" loss %.3f dup %.3f corrupt %.3f jitter %d ms",
                loss, dup, corrupt, jitterMs);
        SessionConfig config = SessionConfig.builder().maxPayloadBytes(500 + random.nextInt(2000))
                .windowFrames(8 + random.nextInt(120)).ackEveryFrames(1 + random.nextInt(8)).build();
        VirtualLink link = new VirtualLink(config);
        link.policy = (d, i, p, t) -> {
            double r = random.nextDouble();
            if (r < loss) {
                return Fate.DROP;
            }
            if (r < loss + dup) {
                return Fate.DUPLICATE;
            }
            if (r < loss + dup + corrupt) {
                return Fate.CORRUPT;
            }
            return jitterMs == 0 ? Fate.DELIVER : Fate.delay(random.nextInt(jitterMs + 1) * MS);
        };
        byte[] ab = new byte[60_000 + random.nextInt(60_000)];
        byte[] ba = new byte[random.nextInt(60_000)];
        random.nextBytes(ab);
        random.nextBytes(ba);
        StreamPump.Writer writerA = new StreamPump.Writer(link, true, ab, 3_000);
        StreamPump.Writer writerB = new StreamPump.Writer(link, false, ba, 5_000);
        StreamPump.Reader readerB = new StreamPump.Reader(link, true);
        StreamPump.Reader readerA = new StreamPump.Reader(link, false);
        // B closes once it has read A's whole stream and written its own.
        Runnable closeB = () -> {
            if (link.b != null && readerB.eof && writerB.written() == ba.length
                    && link.b.state() == EngineState.CLOSE_WAIT) {
                link.b.close(link.now);
            }
        };
        // A half-closes (it still reads B's stream) once its own stream is written.
        Runnable shutdownA = () -> {
            if (writerA.written() == ab.length && link.a.state() == EngineState.ESTABLISHED) {
                link.a.shutdownOutput(link.now);
            }
        };
        Runnable invariants = () -> {
            link.a.sendBufferForTest().checkInvariants();
            if (link.b != null) {
                link.b.sendBufferForTest().checkInvariants();
            }
        };
        link.app = StreamPump.all(writerA, writerB, shutdownA, readerA, readerB, closeB, invariants);
        boolean done = link.runUntil(() -> link.a.state() == EngineState.CLOSED
                && link.b != null && link.b.state() == EngineState.CLOSED, 3_600 * SECOND);
        String why = params + "\n  A " + link.a + " " + link.a.stats() + "\n  B " + link.b
                + (link.b == null ? "" : " " + link.b.stats()) + "\n  rerun: "
                + Seeds.rerun("EngineChaosTest", "bidirectionalTransfersSurviveEveryImpairmentAndCloseNormally", seed);
        assertTrue(done, "did not finish: " + why);
        assertArrayEquals(ab, readerB.received.toByteArray(), "A->B stream, " + why);
        assertArrayEquals(ba, readerA.received.toByteArray(), "B->A stream, " + why);
        assertEquals(CloseReason.NORMAL, link.a.closeReason(), why);
        assertEquals(CloseReason.NORMAL, link.b.closeReason(), why);
        for (List<EngineEvent> events : List.of(link.eventsA, link.eventsB)) {
            assertEquals(4, events.size(), "each event once: " + events + ", " + why);
            assertEquals(EngineEvent.ESTABLISHED, events.get(0), why);
            assertEquals(EngineEvent.CLOSED, events.get(3), why);
        }
        if (corrupt > 0.005) {
            assertTrue(link.a.stats().badFramesDropped() + link.b.stats().badFramesDropped() > 0, why);
        }
    }
}
