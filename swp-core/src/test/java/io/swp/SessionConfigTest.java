package io.swp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SessionConfigTest {
    @Test
    void runtimeSettingsHaveDocumentedDefaultsAndSurviveToBuilder() {
        SessionConfig d = SessionConfig.defaults();
        assertEquals(Duration.ofSeconds(30).toNanos(), d.closeTimeoutNanos());
        SessionConfig c = d.toBuilder().closeTimeout(Duration.ofMillis(1500)).build();
        SessionConfig copy = c.toBuilder().build();
        assertEquals(Duration.ofMillis(1500).toNanos(), copy.closeTimeoutNanos());
    }

    @Test
    void endpointSettingsHaveDocumentedDefaultsAndSurviveToBuilder() {
        EndpointConfig d = EndpointConfig.defaults();
        assertEquals(128, d.acceptBacklog());
        assertEquals(Duration.ofSeconds(4).toNanos(), d.shutdownLingerNanos());
        assertEquals(1 << 16, d.maxQueuedInboundFrames());
        assertEquals(64L * 1024 * 1024, d.maxQueuedInboundBytes());
        assertEquals(256, d.maxFramesPerStep());
        assertSame(SessionConfig.defaults(), d.sessionDefaults());
        EndpointConfig c = d.toBuilder().acceptBacklog(7).shutdownLinger(Duration.ZERO).build();
        EndpointConfig copy = c.toBuilder().build();
        assertEquals(7, copy.acceptBacklog());
        assertEquals(0, copy.shutdownLingerNanos());
    }

    @Test
    void theEngineGetsTheSessionsNumbers() {
        SessionConfig c = SessionConfig.builder().windowFrames(33).keepaliveInterval(Duration.ofMillis(10))
                .failedKeepalivesBeforeClose(3).build();
        assertEquals(33, c.engineConfig().windowFrames());
        assertEquals(Duration.ofMillis(30).toNanos(), c.engineConfig().deadPeerNanos());
        assertEquals(c.closeTimeoutNanos(), c.engineConfig().closeTimeoutNanos());
    }

    @Test
    void acknowledgementsComeEveryThirtyTwoFramesButAtLeastEightTimesAWindow() {
        assertEquals(32, SessionConfig.defaults().engineConfig().inOrderFramesPerAck());
        assertEquals(4, SessionConfig.builder().windowFrames(32).build().engineConfig().inOrderFramesPerAck());
        assertEquals(1, SessionConfig.builder().windowFrames(7).build().engineConfig().inOrderFramesPerAck());
        assertEquals(2, SessionConfig.builder().ackEveryFrames(2).build().engineConfig().inOrderFramesPerAck());
    }

    @Test
    void invalidRuntimeSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> EndpointConfig.builder().acceptBacklog(0));
        assertThrows(IllegalArgumentException.class, () -> SessionConfig.builder().closeTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> EndpointConfig.builder().shutdownLinger(Duration.ofNanos(-1)));
        assertThrows(IllegalArgumentException.class, () -> EndpointConfig.builder().maxFramesPerStep(0));
    }
}
