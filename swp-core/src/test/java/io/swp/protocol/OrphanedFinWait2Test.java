package io.swp.protocol;

import static io.swp.protocol.VirtualLink.MS;
import static io.swp.protocol.VirtualLink.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A session the application has closed does not stay in FIN_WAIT_2 for as long as a
 * live peer keeps its own side open (its keepalives would keep it there forever); it
 * ends after the close timeout and resets the peer, like an orphaned TCP socket.
 */
class OrphanedFinWait2Test {
    private static final SessionConfig CONFIG = SessionConfig.builder()
            .keepaliveInterval(Duration.ofSeconds(1)).failedKeepalivesBeforeClose(5)
            .closeTimeout(Duration.ofSeconds(10)).build();

    @Test
    void aClosedSessionLeavesFinWait2AfterTheCloseTimeout() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        link.a.close(link.now);
        assertTrue(link.runUntil(() -> link.a.state() == EngineState.FIN_WAIT_2, SECOND));
        long enteredFinWait2 = link.now;
        assertTrue(link.runUntil(() -> link.a.state() == EngineState.CLOSED, 10 * 60 * SECOND),
                "still " + link.a.state() + " ten minutes after close; peer " + link.b.state());
        assertTrue(link.now - enteredFinWait2 <= CONFIG.closeTimeoutNanos() + 100 * MS,
                "closed " + (link.now - enteredFinWait2) / 1_000_000 + " ms after FIN_WAIT_2");
        assertTrue(link.runUntil(() -> link.b.state() == EngineState.CLOSED, SECOND), "the peer was reset");
        assertEquals(CloseReason.RESET_BY_PEER, link.b.closeReason());
    }

    @Test
    void aHalfClosedSessionStillWaitsForThePeer() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        link.a.shutdownOutput(link.now);
        link.runFor(5 * 60 * SECOND);
        assertEquals(EngineState.FIN_WAIT_2, link.a.state(), "half-close lasts while the peer is alive");
    }
}
