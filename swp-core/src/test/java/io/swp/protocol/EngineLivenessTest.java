package io.swp.protocol;

import static io.swp.protocol.VirtualLink.MS;
import static io.swp.protocol.VirtualLink.SECOND;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import io.swp.protocol.VirtualLink.Direction;
import io.swp.protocol.VirtualLink.Fate;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EngineLivenessTest {
    private static final SessionConfig CONFIG = SessionConfig.builder()
            .keepaliveInterval(Duration.ofSeconds(1)).failedKeepalivesBeforeClose(5).build();

    @Test
    void idleKeepalivesKeepASessionAliveForMinutes() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        long start = link.now;
        link.runFor(10 * 60 * SECOND);
        assertEquals(EngineState.ESTABLISHED, link.a.state());
        assertEquals(EngineState.ESTABLISHED, link.b.state());
        long keepalives = link.a.stats().keepalivesSent() + link.b.stats().keepalivesSent();
        assertTrue(keepalives >= 590 && keepalives <= 1210, "keepalives " + keepalives);
        assertTrue(link.stepsRun < 10_000, "virtual time jumps between deadlines: " + link.stepsRun + " steps");
        assertTrue(link.now - start >= 10 * 60 * SECOND);
    }

    @Test
    void aVanishedPeerIsDeclaredDeadAfterTheKeepaliveBound() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        link.runFor(3 * SECOND);
        long lastHeard = link.sentByB.get(link.sentByB.size() - 1).at() + link.latencyBToA;
        link.bVanished = true;
        assertTrue(link.runUntil(() -> link.a.state() == EngineState.CLOSED, 60 * SECOND));
        assertEquals(CloseReason.PEER_DEAD, link.a.closeReason());
        assertEquals(lastHeard + CONFIG.deadPeerNanos(), link.now);
        assertTrue(link.eventsA.contains(EngineEvent.CLOSED));
    }

    @Test
    void deadPeerDetectionAlsoEndsTheClosingStates() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        link.a.close(link.now);
        link.runFor(100 * MS);
        assertEquals(EngineState.FIN_WAIT_2, link.a.state());
        link.bVanished = true;
        assertTrue(link.runUntil(() -> link.a.state() == EngineState.CLOSED, 60 * SECOND));
        assertEquals(CloseReason.PEER_DEAD, link.a.closeReason());
    }

    @Test
    void deadPeerDetectionEndsAHalfOpenAcceptor() {
        VirtualLink link = new VirtualLink(CONFIG);
        link.runUntil(() -> link.b != null, SECOND);
        link.aVanished = true;
        assertTrue(link.runUntil(() -> link.b.state() == EngineState.CLOSED, 60 * SECOND));
        assertEquals(CloseReason.PEER_DEAD, link.b.closeReason());
        assertTrue(VirtualLink.count(link.sentByB, FrameKind.SYN_ACK) > 1, "SYN_ACK was retried");
    }

    @Test
    void deadPeerDetectionCanBeDisabled() {
        SessionConfig never = CONFIG.toBuilder().failedKeepalivesBeforeClose(-1).build();
        VirtualLink link = new VirtualLink(never).establish();
        link.bVanished = true;
        link.runFor(30 * 60 * SECOND);
        assertEquals(EngineState.ESTABLISHED, link.a.state());
    }

    @Test
    void unackedTimeoutEndsTheSession() {
        SessionConfig config = CONFIG.toBuilder().unackedTimeout(Duration.ofSeconds(2)).build();
        VirtualLink link = new VirtualLink(config).establish();
        link.policy = (d, i, p, t) -> d == Direction.A_TO_B && p.kind() == FrameKind.DATA ? Fate.DROP : Fate.DELIVER;
        long sentAt = link.now;
        link.a.write(new byte[10], 0, 10, true, link.now);
        assertTrue(link.runUntil(() -> link.a.state() == EngineState.CLOSED, 60 * SECOND));
        assertEquals(CloseReason.UNACKED_TIMEOUT, link.a.closeReason());
        assertEquals(sentAt + 2 * SECOND, link.now);
        assertTrue(link.runUntil(() -> link.b.state() == EngineState.CLOSED, SECOND), "B was reset");
        assertEquals(CloseReason.RESET_BY_PEER, link.b.closeReason());
    }

    @Test
    void tooManyRetransmissionsEndTheSession() {
        SessionConfig config = CONFIG.toBuilder().maxRetransmitsPerFrame(3).build();
        VirtualLink link = new VirtualLink(config).establish();
        link.policy = (d, i, p, t) -> d == Direction.A_TO_B && p.kind() == FrameKind.DATA ? Fate.DROP : Fate.DELIVER;
        link.a.write(new byte[10], 0, 10, true, link.now);
        assertTrue(link.runUntil(() -> link.a.state() == EngineState.CLOSED, 60 * SECOND));
        assertEquals(CloseReason.TOO_MANY_RETRANSMITS, link.a.closeReason());
        assertEquals(4, link.sentByA(FrameKind.DATA, 0).size(), "sent once and retransmitted 3 times");
        assertEquals(3, link.a.stats().retransmits());
    }

    @Test
    void strayFramesWithWrongNoncesAreCountedAndIgnored() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        long strayBefore = link.b.stats().strayFramesDropped();
        Frame.Builder forged = Frame.builder(FrameKind.DATA).from(VirtualLink.A_INBOX).to(VirtualLink.B_INBOX)
                .seq(0).window(10, 10_000).payload(new byte[] {66});
        link.inject(Direction.A_TO_B, forged.srcNonce(12345).dstNonce(VirtualLink.NONCE_B).build());
        link.inject(Direction.A_TO_B, forged.srcNonce(VirtualLink.NONCE_A).dstNonce(999).build());
        link.inject(Direction.A_TO_B, Frame.builder(FrameKind.RESET).from(VirtualLink.A_INBOX)
                .to(VirtualLink.B_INBOX).srcNonce(777).dstNonce(VirtualLink.NONCE_B).build());
        link.inject(Direction.A_TO_B, Frame.builder(FrameKind.SYN).from(VirtualLink.A_INBOX)
                .to(VirtualLink.B_INBOX).srcNonce(4242).build());
        // Right nonces, but it acknowledges frames B never sent: dropped whole.
        link.inject(Direction.A_TO_B, forged.srcNonce(VirtualLink.NONCE_A).dstNonce(VirtualLink.NONCE_B)
                .ack(1_000).build());
        link.runFor(SECOND);
        assertEquals(strayBefore + 5, link.b.stats().strayFramesDropped());
        assertEquals(0, link.b.readableBytes());
        assertEquals(EngineState.ESTABLISHED, link.b.state(), "a RESET with the wrong nonce is ignored");
        assertTrue(link.b.handleFrame(new byte[] {1, 2, 3, 4, 5, 6, 7}, link.now) == false);
        assertEquals(1, link.b.stats().badFramesDropped());
    }

    @Test
    void resetForAnswersEverythingButAReset() throws MalformedFrameException {
        Frame data = Frame.builder(FrameKind.DATA).from("x").to("y").srcNonce(5).dstNonce(6).seq(3).build();
        Frame reset = VirtualLink.decode(Engine.resetFor(data, "y"));
        assertEquals(FrameKind.RESET, reset.kind());
        assertEquals("y", reset.from());
        assertEquals("x", reset.to());
        assertEquals(6, reset.srcNonce());
        assertEquals(5, reset.dstNonce());
        assertNull(Engine.resetFor(reset, "x"));
    }

    @Test
    void aResetFromTheRealPeerClosesTheSession() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        link.inject(Direction.B_TO_A, VirtualLink.decode(Engine.resetFor(
                Frame.builder(FrameKind.DATA).from(VirtualLink.A_INBOX).to(VirtualLink.B_INBOX)
                        .srcNonce(VirtualLink.NONCE_A).dstNonce(VirtualLink.NONCE_B).build(), VirtualLink.B_INBOX)));
        assertTrue(link.runUntil(() -> link.a.state() == EngineState.CLOSED, SECOND));
        assertEquals(CloseReason.RESET_BY_PEER, link.a.closeReason());
    }

    @Test
    void unorderedMessagesAreDeliveredOnceOnFirstArrival() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        // Ordered frame 0 is lost once, so the unordered ones behind it arrive out of order.
        link.policy = (d, i, p, t) -> {
            if (d == Direction.A_TO_B && p.kind() == FrameKind.DATA) {
                if (p.seq() == 0 && p.flags() == Frame.FLAG_END_OF_MESSAGE && i < 10) {
                    return Fate.DROP;
                }
                return Fate.DUPLICATE;
            }
            return Fate.DELIVER;
        };
        link.a.write(new byte[] {1, 2, 3}, 0, 3, true, link.now);
        for (int m = 0; m < 5; m++) {
            assertTrue(link.a.writeUnordered(new byte[] {(byte) (10 + m)}, link.now));
        }
        link.a.write(new byte[] {4}, 0, 1, true, link.now);
        link.flush();
        link.runFor(10 * MS);
        Set<Byte> seen = new HashSet<>();
        byte[] m;
        while ((m = link.b.pollUnordered()) != null) {
            assertTrue(seen.add(m[0]), "delivered once: " + m[0]);
        }
        assertEquals(5, seen.size(), "unordered messages overtook the lost ordered frame");
        assertEquals(0, link.b.readableBytes(), "the ordered stream waits for its hole");
        link.runFor(SECOND);
        assertNull(link.b.pollUnordered(), "retransmissions and duplicates are not delivered again");
        byte[] stream = new byte[10];
        assertEquals(4, link.b.read(stream, 0, 10, link.now));
        assertArrayEquals(new byte[] {1, 2, 3, 4}, java.util.Arrays.copyOf(stream, 4));
        assertTrue(link.b.stats().duplicatesDropped() > 0);
    }

    @Test
    void theUnorderedQueueDropsTheOldestAndCounts() {
        SessionConfig config = CONFIG.toBuilder().unorderedQueueLimit(4).build();
        VirtualLink link = new VirtualLink(config).establish();
        for (int m = 0; m < 10; m++) {
            assertTrue(link.a.writeUnordered(new byte[] {(byte) m}, link.now));
        }
        link.runFor(SECOND);
        assertEquals(6, link.b.stats().unorderedDropped());
        for (int m = 6; m < 10; m++) {
            assertEquals(m, link.b.pollUnordered()[0]);
        }
        assertNull(link.b.pollUnordered());
        assertTrue(link.a.isSendBufferEmpty());
    }

    @Test
    void pollTimeoutNeverLiesInThePastAfterHandlingIt() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        link.a.write(new byte[100_000], 0, 100_000, false, link.now);
        for (int i = 0; i < 1000; i++) {
            link.step(Long.MAX_VALUE);
            assertTrue(link.a.pollTimeout() > link.now || link.a.pollTimeout() == Long.MAX_VALUE
                    || link.a.state() == EngineState.CLOSED, "A's deadline is in the past");
        }
    }
}
