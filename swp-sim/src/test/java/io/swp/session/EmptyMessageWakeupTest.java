package io.swp.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.swp.SessionConfig;
import io.swp.sim.InMemoryNetwork;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** A reader already blocked in receiveMessage is woken by an empty message, which adds no bytes. */
class EmptyMessageWakeupTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @Test
    void aBlockedReceiverGetsAnEmptyMessage() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            Thread[] receiver = new Thread[1];
            CompletableFuture<byte[]> received = new CompletableFuture<>();
            receiver[0] = new Thread(() -> {
                try {
                    received.complete(p.server().receiveMessage());
                } catch (Throwable e) {
                    received.completeExceptionally(e);
                }
            }, "receiver");
            receiver[0].setDaemon(true);
            receiver[0].start();
            // Blocked in receiveMessage on the session's condition, not contending for its lock.
            ParkedThreads.awaitParkedIn(receiver[0], "receiveMessage", TIMEOUT);
            p.client().sendMessage(new byte[0]);
            try {
                assertArrayEquals(new byte[0], Harness.get(received, TIMEOUT));
            } finally {
                receiver[0].interrupt();
            }
        }
    }
}
