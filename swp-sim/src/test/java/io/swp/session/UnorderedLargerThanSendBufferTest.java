package io.swp.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.swp.SessionConfig;
import io.swp.sim.InMemoryNetwork;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * An unordered message is queued whole, so one larger than the whole send buffer can
 * never be: it is refused at once instead of blocking the caller forever.
 */
class UnorderedLargerThanSendBufferTest {
    private static final int SEND_BUFFER = 1024;

    @Test
    void aMessageLargerThanTheSendBufferIsRefusedNotBlockedOnForever() throws Exception {
        SessionConfig config = SessionConfig.builder().sendBufferBytes(SEND_BUFFER).build();
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, config)) {
            assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
                assertThrows(IllegalArgumentException.class, () -> p.client().sendUnordered(new byte[SEND_BUFFER + 1]));
                byte[] fits = new byte[SEND_BUFFER];
                fits[0] = 42;
                p.client().sendUnordered(fits);
                assertArrayEquals(fits, p.server().receiveUnordered(Duration.ofSeconds(5)));
            });
            assertEquals(SEND_BUFFER, p.client().maxUnorderedBytes());
        }
    }
}
