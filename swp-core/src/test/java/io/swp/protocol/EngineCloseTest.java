package io.swp.protocol;

import static io.swp.protocol.VirtualLink.MS;
import static io.swp.protocol.VirtualLink.SECOND;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import io.swp.protocol.VirtualLink.Direction;
import io.swp.protocol.VirtualLink.Fate;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class EngineCloseTest {
    private static final SessionConfig CONFIG = SessionConfig.defaults();

    /** A closes; B reads to end of stream and closes: A goes through TIME_WAIT, B through LAST_ACK. */
    private static void closeInTurn(VirtualLink link, byte[] data) {
        closeInTurn(link, data, 0);
    }

    private static void closeInTurn(VirtualLink link, byte[] data, long bLingers) {
        StreamPump.Writer writer = new StreamPump.Writer(link, true, data, data.length);
        writer.closeWhenDone = true;
        StreamPump.Reader reader = new StreamPump.Reader(link, true);
        AtomicBoolean bClosed = new AtomicBoolean();
        long[] eofAt = {-1};
        link.app = StreamPump.all(writer, reader, () -> {
            if (reader.eof && eofAt[0] < 0) {
                eofAt[0] = link.now;
            }
            if (reader.eof && link.now >= eofAt[0] + bLingers && !bClosed.getAndSet(true)) {
                link.b.close(link.now);
            }
        });
        assertTrue(link.runUntil(() -> link.a.state() == EngineState.CLOSED
                && link.b.state() == EngineState.CLOSED, 120 * SECOND), "A " + link.a + " B " + link.b);
        assertArrayEquals(data, reader.received.toByteArray());
    }

    @Test
    void closeInTurnPassesThroughTheTcpStatesAndEndsNormally() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        // B lingers in CLOSE_WAIT (its timers wake the driver) so A is seen in FIN_WAIT_2.
        closeInTurn(link, new byte[5000], 10 * MS);
        assertEquals(CloseReason.NORMAL, link.a.closeReason());
        assertEquals(CloseReason.NORMAL, link.b.closeReason());
        assertEquals(List.of(EngineState.SYN_SENT, EngineState.ESTABLISHED, EngineState.FIN_WAIT_1,
                EngineState.FIN_WAIT_2, EngineState.TIME_WAIT, EngineState.CLOSED), link.statesA);
        assertEquals(List.of(EngineState.SYN_RECEIVED, EngineState.ESTABLISHED, EngineState.CLOSE_WAIT,
                EngineState.LAST_ACK, EngineState.CLOSED), link.statesB);
        assertEquals(List.of(EngineEvent.ESTABLISHED, EngineEvent.OUTPUT_FINISHED, EngineEvent.PEER_FINISHED,
                EngineEvent.CLOSED), link.eventsA);
        assertEquals(List.of(EngineEvent.ESTABLISHED, EngineEvent.PEER_FINISHED, EngineEvent.OUTPUT_FINISHED,
                EngineEvent.CLOSED), link.eventsB);
        assertTrue(link.a.isSendBufferEmpty());
        assertTrue(link.b.isInputFinished());
    }

    @Test
    void timeWaitLastsTheConfiguredTime() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        closeInTurn(link, new byte[10]);
        long bClosedAt = link.sentByB.get(link.sentByB.size() - 1).at();
        // A entered TIME_WAIT when B's FIN arrived (one latency after B sent it).
        assertEquals(bClosedAt + link.latencyBToA + CONFIG.timeWaitNanos(), link.now);
    }

    @Test
    void lostFinIsRetransmitted() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        AtomicBoolean dropped = new AtomicBoolean();
        link.policy = (d, i, p, t) -> p.kind() == FrameKind.FIN && !dropped.getAndSet(true)
                ? Fate.DROP : Fate.DELIVER;
        closeInTurn(link, new byte[100]);
        assertTrue(dropped.get());
        assertEquals(CloseReason.NORMAL, link.a.closeReason());
        assertEquals(CloseReason.NORMAL, link.b.closeReason());
        assertEquals(2, VirtualLink.count(link.sentByA, FrameKind.FIN));
    }

    @Test
    void lostAckOfTheLastFinIsRepairedFromTimeWait() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        AtomicBoolean bFinSent = new AtomicBoolean();
        AtomicBoolean dropped = new AtomicBoolean();
        link.policy = (d, i, p, t) -> {
            if (d == Direction.B_TO_A && p.kind() == FrameKind.FIN) {
                bFinSent.set(true);
            } else if (d == Direction.A_TO_B && bFinSent.get() && !dropped.getAndSet(true)) {
                return Fate.DROP;
            }
            return Fate.DELIVER;
        };
        closeInTurn(link, new byte[100]);
        assertTrue(dropped.get());
        assertEquals(2, VirtualLink.count(link.sentByB, FrameKind.FIN), "B retried its FIN");
        assertEquals(CloseReason.NORMAL, link.b.closeReason());
        assertTrue(link.a.stats().duplicatesDropped() >= 1, "A in TIME_WAIT saw the duplicate FIN");
    }

    @Test
    void bothSidesClosingAtOnceGoThroughClosing() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        link.a.close(link.now);
        link.b.close(link.now);
        assertTrue(link.runUntil(() -> link.a.state() == EngineState.CLOSED
                && link.b.state() == EngineState.CLOSED, 60 * SECOND));
        for (List<EngineState> states : List.of(link.statesA, link.statesB)) {
            assertTrue(states.containsAll(List.of(EngineState.FIN_WAIT_1, EngineState.CLOSING,
                    EngineState.TIME_WAIT, EngineState.CLOSED)), states.toString());
        }
        assertEquals(CloseReason.NORMAL, link.a.closeReason());
        assertEquals(CloseReason.NORMAL, link.b.closeReason());
    }

    @Test
    void dataArrivingAfterCloseIsAcknowledgedAndDiscarded() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        link.b.close(link.now);
        byte[] data = new byte[200_000];
        StreamPump.Writer writer = new StreamPump.Writer(link, true, data, 10_000);
        writer.closeWhenDone = true;
        link.app = writer;
        assertTrue(link.runUntil(() -> link.a.state() == EngineState.CLOSED
                && link.b.state() == EngineState.CLOSED, 60 * SECOND));
        assertEquals(CloseReason.NORMAL, link.a.closeReason());
        assertEquals(0, link.b.readableBytes());
        assertEquals(data.length, link.b.stats().payloadBytesReceived());
    }

    @Test
    void abortResetsThePeer() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        link.a.write(new byte[100], 0, 100, false, link.now);
        link.a.abort(link.now);
        assertEquals(EngineState.CLOSED, link.a.state());
        assertEquals(CloseReason.ABORTED, link.a.closeReason());
        assertThrows(IllegalStateException.class, () -> link.a.write(new byte[1], 0, 1, false, link.now));
        assertTrue(link.runUntil(() -> link.b.state() == EngineState.CLOSED, SECOND));
        assertEquals(CloseReason.RESET_BY_PEER, link.b.closeReason());
        assertEquals(1, VirtualLink.count(link.sentByA, FrameKind.RESET));
        assertEquals(0, VirtualLink.count(link.sentByA, FrameKind.DATA), "abort discards queued data");
        assertEquals(List.of(EngineEvent.ESTABLISHED, EngineEvent.CLOSED), link.eventsB);
    }

    @Test
    void writeAfterShutdownOutputFails() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        link.a.shutdownOutput(link.now);
        assertEquals(0, link.a.sendBufferFree());
        assertThrows(IllegalStateException.class, () -> link.a.write(new byte[1], 0, 1, false, link.now));
        assertThrows(IllegalStateException.class, () -> link.a.writeUnordered(new byte[1], link.now));
        // Half-close: B can still send to A.
        link.runFor(100 * MS);
        assertEquals(EngineState.CLOSE_WAIT, link.b.state());
        link.b.write(new byte[] {9}, 0, 1, true, link.now);
        link.runFor(100 * MS);
        assertEquals(1, link.a.readableBytes());
    }

    @Test
    void closeBeforeTheHandshakeCompletesSendsTheDataThenTheFin() {
        VirtualLink link = new VirtualLink(CONFIG);
        link.a.write(new byte[] {1, 2, 3}, 0, 3, true, link.now);
        link.a.close(link.now);
        assertEquals(EngineState.SYN_SENT, link.a.state());
        StreamPump.Reader reader = new StreamPump.Reader(link, true);
        link.app = StreamPump.all(reader, () -> {
            if (reader.eof && link.b.state() == EngineState.CLOSE_WAIT) {
                link.b.close(link.now);
            }
        });
        assertTrue(link.runUntil(() -> link.a.state() == EngineState.CLOSED
                && link.b.state() == EngineState.CLOSED, 60 * SECOND));
        assertArrayEquals(new byte[] {1, 2, 3}, reader.received.toByteArray());
        assertEquals(CloseReason.NORMAL, link.a.closeReason());
        assertEquals(CloseReason.NORMAL, link.b.closeReason());
        assertTrue(link.statesA.contains(EngineState.FIN_WAIT_1), link.statesA.toString());
    }

    @Test
    void timeWaitAnswersALateDuplicateWithAnAck() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        link.a.close(link.now);
        link.b.close(link.now);
        assertTrue(link.runUntil(() -> link.a.state() == EngineState.TIME_WAIT, SECOND));
        long acksBefore = link.a.stats().acksSent();
        Frame lateFin = link.sentByB.stream().map(VirtualLink.Sent::packet)
                .filter(p -> p.kind() == FrameKind.FIN).findFirst().orElseThrow();
        link.inject(Direction.B_TO_A, lateFin);
        link.runFor(50 * MS);
        assertEquals(EngineState.TIME_WAIT, link.a.state());
        assertEquals(acksBefore + 1, link.a.stats().acksSent());
        assertTrue(link.runUntil(() -> link.a.state() == EngineState.CLOSED, 10 * SECOND));
        assertEquals(CloseReason.NORMAL, link.a.closeReason());
    }
}
