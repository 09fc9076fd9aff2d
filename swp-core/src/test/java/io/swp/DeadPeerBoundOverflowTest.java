package io.swp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A long keepalive times many failures saturates instead of wrapping to a bound in the past. */
class DeadPeerBoundOverflowTest {
    @Test
    void aHugeDeadPeerBoundSaturates() {
        SessionConfig c = SessionConfig.builder().keepaliveInterval(Duration.ofDays(1))
                .failedKeepalivesBeforeClose(200_000).build();
        assertEquals(Long.MAX_VALUE, c.deadPeerNanos(),
                "keepalive " + c.keepaliveIntervalNanos() + " ns x 200000 failures");
    }

    @Test
    void anOrdinaryBoundIsTheProduct() {
        SessionConfig c = SessionConfig.builder().keepaliveInterval(Duration.ofSeconds(2))
                .failedKeepalivesBeforeClose(7).build();
        assertEquals(Duration.ofSeconds(14).toNanos(), c.deadPeerNanos());
    }
}
