package io.swp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SessionConfigTest {
    @Test
    void runtimeSettingsHaveDocumentedDefaultsAndSurviveToBuilder() {
        SessionConfig d = SessionConfig.defaults();
        assertEquals(Duration.ofSeconds(30).toNanos(), d.closeTimeoutNanos());
        assertEquals(128, d.acceptBacklog());
        assertEquals(Duration.ofSeconds(1).toNanos(), d.shutdownLingerNanos());
        SessionConfig c = d.toBuilder().closeTimeout(Duration.ofMillis(1500)).acceptBacklog(7).build();
        SessionConfig copy = c.toBuilder().build();
        assertEquals(Duration.ofMillis(1500).toNanos(), copy.closeTimeoutNanos());
        assertEquals(7, copy.acceptBacklog());
    }

    @Test
    void invalidRuntimeSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> SessionConfig.builder().acceptBacklog(0));
        assertThrows(IllegalArgumentException.class, () -> SessionConfig.builder().closeTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> SessionConfig.builder().shutdownLinger(Duration.ofNanos(-1)));
    }
}
