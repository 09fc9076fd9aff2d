package io.swp.protocol;

import static io.swp.protocol.VirtualLink.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * An acceptor whose initiator vanished after its SYN does not hold its place (and a slot
 * of the accept backlog) beyond the connect timeout, even with dead-peer detection off.
 */
class HalfOpenAcceptorTest {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);

    @Test
    void aHalfOpenAcceptorGivesUpAfterTheConnectTimeoutWithDeadPeerDetectionOff() {
        SessionConfig config = SessionConfig.builder().failedKeepalivesBeforeClose(-1)
                .connectTimeout(CONNECT_TIMEOUT).build();
        VirtualLink link = new VirtualLink(config);
        assertTrue(link.runUntil(() -> link.b != null, SECOND), "the SYN reached the acceptor");
        long synArrived = link.now;
        link.aVanished = true;
        assertTrue(link.runUntil(() -> link.b.state() == EngineState.CLOSED, 60 * SECOND),
                "acceptor still " + link.b.state() + " a minute after the SYN");
        assertEquals(CloseReason.CONNECT_TIMEOUT, link.b.closeReason());
        assertTrue(link.now - synArrived <= CONNECT_TIMEOUT.toNanos(),
                "closed " + (link.now - synArrived) / 1_000_000 + " ms after the SYN");
    }

    @Test
    void aHalfOpenAcceptorGivesUpAfterTheConnectTimeoutBeforeTheDeadPeerBound() {
        SessionConfig config = SessionConfig.builder().keepaliveInterval(Duration.ofSeconds(1))
                .failedKeepalivesBeforeClose(50).connectTimeout(CONNECT_TIMEOUT).build();
        VirtualLink link = new VirtualLink(config);
        assertTrue(link.runUntil(() -> link.b != null, SECOND));
        link.aVanished = true;
        assertTrue(link.runUntil(() -> link.b.state() == EngineState.CLOSED, 60 * SECOND));
        assertEquals(CloseReason.CONNECT_TIMEOUT, link.b.closeReason());
    }
}
