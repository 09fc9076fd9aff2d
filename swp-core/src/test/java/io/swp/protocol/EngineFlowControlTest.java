package io.swp.protocol;

import static io.swp.protocol.VirtualLink.MS;
import static io.swp.protocol.VirtualLink.SECOND;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import io.swp.protocol.VirtualLink.Direction;
import io.swp.protocol.VirtualLink.Fate;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EngineFlowControlTest {
    private static final SessionConfig CONFIG = SessionConfig.builder()
            .maxPayloadBytes(1000).windowFrames(16).windowBytes(12_000)
            .keepaliveInterval(Duration.ofSeconds(1)).failedKeepalivesBeforeClose(5).build();

    private static byte[] randomBytes(int n) {
        byte[] data = new byte[n];
        new Random(n).nextBytes(data);
        return data;
    }

    /** Checks, after every step, that B never holds more than its window. */
    private static Runnable windowGuard(VirtualLink link) {
        return () -> {
            if (link.b != null) {
                ReceiveBuffer r = link.b.receiveBufferForTest();
                assertTrue(r.bufferedFrames() <= CONFIG.windowFrames(), "frames " + r.bufferedFrames());
                assertTrue(r.bufferedBytes() <= CONFIG.windowBytes(), "bytes " + r.bufferedBytes());
            }
        };
    }

    @Test
    void aReceiverThatDoesNotReadNeverBuffersMoreThanItsWindow() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        StreamPump.Writer writer = new StreamPump.Writer(link, true, randomBytes(200_000), 10_000);
        link.app = StreamPump.all(writer, windowGuard(link));
        link.runFor(3 * SECOND);
        ReceiveBuffer r = link.b.receiveBufferForTest();
        assertTrue(r.bufferedBytes() > CONFIG.windowBytes() - CONFIG.maxPayloadBytes(),
                "the window was filled: " + r.bufferedBytes());
        EngineStats b = link.b.stats();
        assertTrue(b.localWindowFrames() == 0 || b.localWindowBytes() < CONFIG.maxPayloadBytes(),
                "no room for another frame: " + b);
        assertEquals(12, link.b.stats().payloadBytesReceived() / 1000);
        assertTrue(link.a.stats().keepalivesSent() > 0, "A probed the closed window");
        assertEquals(EngineState.ESTABLISHED, link.a.state(), "probes keep the session alive");
    }

    @Test
    void zeroWindowReopensWithoutDeadlockEvenWhenTheUpdateIsLost() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        byte[] data = randomBytes(100_000);
        StreamPump.Writer writer = new StreamPump.Writer(link, true, data, 10_000);
        StreamPump.Reader reader = new StreamPump.Reader(link, true);
        reader.paused = true;
        link.app = StreamPump.all(writer, reader, windowGuard(link));
        link.runFor(2 * SECOND);
        assertEquals(12_000, reader.received.size() + link.b.readableBytes());
        // The reader wakes up, but B's window updates are lost for a while: probes recover.
        long wake = link.now;
        link.policy = (d, i, p, t) -> d == Direction.B_TO_A && t < wake + 300 * MS ? Fate.DROP : Fate.DELIVER;
        reader.paused = false;
        assertTrue(link.runUntil(() -> reader.received.size() == data.length, 60 * SECOND),
                "received " + reader.received.size());
        assertArrayEquals(data, reader.received.toByteArray());
    }

    @Test
    void windowReopeningIsAnnouncedAtOnceWithoutWaitingForAProbe() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        byte[] data = randomBytes(24_000);
        StreamPump.Writer writer = new StreamPump.Writer(link, true, data, 24_000);
        StreamPump.Reader reader = new StreamPump.Reader(link, true);
        reader.paused = true;
        link.app = StreamPump.all(writer, reader);
        link.runFor(100 * MS);
        long probes = link.a.stats().keepalivesSent();
        reader.paused = false;
        long resumed = link.now;
        assertTrue(link.runUntil(() -> reader.received.size() == data.length, 10 * SECOND));
        assertEquals(probes, link.a.stats().keepalivesSent(), "no probe was needed");
        assertTrue(link.now - resumed < 100 * MS, "took " + (link.now - resumed));
    }

    @Test
    void zeroWindowThenThePeerVanishesEndsWithPeerDead() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        StreamPump.Writer writer = new StreamPump.Writer(link, true, randomBytes(100_000), 10_000);
        link.app = writer;
        link.runFor(2 * SECOND);
        assertEquals(0, link.a.stats().inFlightFrames(), "window closed, everything sent was acknowledged");
        long vanished = link.now;
        long lastHeard = link.sentByB.get(link.sentByB.size() - 1).at() + link.latencyBToA;
        link.bVanished = true;
        assertTrue(link.runUntil(() -> link.a.state() == EngineState.CLOSED, 60 * SECOND));
        assertEquals(CloseReason.PEER_DEAD, link.a.closeReason());
        assertEquals(lastHeard + CONFIG.deadPeerNanos(), link.now);
        assertTrue(link.now - vanished <= CONFIG.deadPeerNanos());
        long probesAfter = link.sentByA.stream().filter(s -> s.at() > vanished).count();
        assertTrue(probesAfter <= CONFIG.deadPeerNanos() / CONFIG.keepaliveIntervalNanos() + 8,
                "probes back off to the keepalive interval: " + probesAfter);
    }

    @Test
    void transportCapacityCapsTheAdvertisedWindow() {
        VirtualLink link = new VirtualLink(CONFIG);
        link.onAccept = e -> e.setTransportCapacity(3, 2_500);
        link.establish();
        assertEquals(3, link.b.stats().localWindowFrames());
        assertEquals(2_500, link.b.stats().localWindowBytes());
        assertEquals(2_500, link.a.stats().peerWindowBytes());
        byte[] data = randomBytes(10_000);
        StreamPump.Writer writer = new StreamPump.Writer(link, true, data, 10_000);
        StreamPump.Reader reader = new StreamPump.Reader(link, true);
        link.app = StreamPump.all(writer, reader, () -> {
            assertTrue(link.a.sendBufferForTest().unsackedBytes() <= 2_500);
            assertTrue(link.a.sendBufferForTest().unsackedFrames() <= 3);
        });
        assertTrue(link.runUntil(() -> reader.received.size() == data.length, 10 * SECOND));
        link.b.setTransportCapacity(-1, -1);
        assertEquals(CONFIG.windowFrames(), link.b.stats().localWindowFrames());
    }

    @Test
    void theSenderNeverExceedsItsOwnWindowMessages() {
        SessionConfig small = CONFIG.toBuilder().windowFrames(4).windowBytes(1_000_000).build();
        VirtualLink link = new VirtualLink(small, CONFIG.toBuilder().windowBytes(1_000_000).build()).establish();
        byte[] data = randomBytes(50_000);
        StreamPump.Writer writer = new StreamPump.Writer(link, true, data, 50_000);
        StreamPump.Reader reader = new StreamPump.Reader(link, true);
        link.app = StreamPump.all(writer, reader,
                () -> assertTrue(link.a.stats().inFlightFrames() <= 4, "in flight " + link.a.stats().inFlightFrames()));
        assertTrue(link.runUntil(() -> reader.received.size() == data.length, 60 * SECOND));
    }

    @Test
    void zeroWindowProbesBackOffToTheKeepaliveInterval() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        link.app = new StreamPump.Writer(link, true, randomBytes(100_000), 10_000);
        link.runFor(20 * SECOND);
        java.util.List<Long> probes = link.sentByA.stream().filter(s -> s.packet().kind() == FrameKind.KEEPALIVE)
                .map(VirtualLink.Sent::at).toList();
        assertTrue(probes.size() >= 5, "probes " + probes);
        java.util.List<Long> gaps = new java.util.ArrayList<>();
        for (int i = 1; i < probes.size(); i++) {
            gaps.add(probes.get(i) - probes.get(i - 1));
        }
        for (int i = 1; i < gaps.size(); i++) {
            assertTrue(gaps.get(i) >= gaps.get(i - 1) && gaps.get(i) <= CONFIG.keepaliveIntervalNanos(), "gaps " + gaps);
        }
        assertTrue(gaps.get(0) < CONFIG.keepaliveIntervalNanos() / 2, "probing starts fast: " + gaps);
        assertEquals(CONFIG.keepaliveIntervalNanos(), gaps.get(gaps.size() - 1), "gaps " + gaps);
        assertEquals(EngineState.ESTABLISHED, link.a.state(), "answered probes keep the session alive");
        assertTrue(link.sentByA.stream().filter(s -> s.packet().kind() == FrameKind.KEEPALIVE)
                .allMatch(s -> s.packet().hasFlag(Frame.FLAG_WANTS_WINDOW)), "a probe says data waits for window");
    }

    @Test
    void keepalivesOfASessionWithNothingToSendDoNotAskForWindow() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        link.runFor(5 * SECOND);
        java.util.List<Frame> keepalives = java.util.stream.Stream.concat(link.sentByA.stream(), link.sentByB.stream())
                .map(VirtualLink.Sent::packet).filter(p -> p.kind() == FrameKind.KEEPALIVE).toList();
        assertTrue(keepalives.size() >= 3, "keepalives " + keepalives);
        assertTrue(keepalives.stream().noneMatch(p -> p.hasFlag(Frame.FLAG_WANTS_WINDOW)), "keepalives " + keepalives);
    }
}
