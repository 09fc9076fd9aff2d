package io.swp.protocol;

import static io.swp.protocol.VirtualLink.MS;
import static io.swp.protocol.VirtualLink.SECOND;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import io.swp.protocol.VirtualLink.Direction;
import io.swp.protocol.VirtualLink.Fate;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A path that stalls (a descheduled receiver, a busy server) delays frames without losing
 * them. When the stall starts in the middle of a burst sent at one instant, the peer's
 * echo of that instant must not count as proof that the rest of the burst was lost:
 * otherwise one timeout resends the whole window.
 */
class EngineSpuriousTimeoutTest {
    private static final SessionConfig CONFIG = SessionConfig.builder()
            .maxPayloadBytes(1000).windowFrames(128).build();
    /** Frames of the first burst that get through before the stall. */
    private static final int DELIVERED_BEFORE_STALL = 20;
    /** Longer than the RTO (20 ms minimum over a 10 ms round trip), so the timer fires. */
    private static final long STALL = 100 * MS;

    @Test
    void aStallInTheMiddleOfABurstResendsOnlyTheOldestFrame() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        long stallEnd = link.now + STALL;
        // A FIFO path: after the first frames, everything A sends waits for the stall to end.
        link.policy = (d, i, p, t) -> d == Direction.A_TO_B && p.kind() == FrameKind.DATA
                && p.seq() >= DELIVERED_BEFORE_STALL && t < stallEnd ? Fate.delay(stallEnd - t) : Fate.DELIVER;
        byte[] data = new byte[50 * 1000];
        new Random(11).nextBytes(data);
        StreamPump.Writer writer = new StreamPump.Writer(link, true, data, data.length);
        StreamPump.Reader reader = new StreamPump.Reader(link, true);
        link.app = StreamPump.all(writer, reader);
        assertTrue(link.runUntil(() -> reader.received.size() == data.length, 30 * SECOND),
                "received " + reader.received.size() + " of " + data.length);
        assertArrayEquals(data, reader.received.toByteArray());
        EngineStats a = link.a.stats();
        assertTrue(a.timeouts() >= 1, "the stall outlasts the RTO: " + a);
        assertTrue(a.retransmits() <= a.timeouts() + a.tailLossProbes(),
                "one frame per timeout or tail-loss probe, not the delayed burst: " + a);
    }
}
