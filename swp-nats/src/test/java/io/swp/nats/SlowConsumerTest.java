package io.swp.nats;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.swp.Network;
import io.swp.nats.testing.NatsServerExtension;
import io.swp.nats.testing.NatsTestServer;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The problem swp exists for: plain NATS pub/sub has no flow control, so a publisher
 * that outruns its subscriber loses messages in the subscriber's client. This test shows
 * the loss with a raw jnats publisher and proves NatsNetwork sees and counts every
 * dropped frame (the precondition for swp to recover them by retransmission).
 */
@ExtendWith(NatsServerExtension.class)
class SlowConsumerTest {
    private static final int PENDING_LIMIT_MESSAGES = 1_000;
    private static final int MESSAGES = 5_000;
    private static final int MESSAGE_BYTES = 1_024;
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    @SuppressWarnings("try") // jnats' Connection.close() declares InterruptedException
    void rawPublisherOverrunningASlowSubscriberLosesMessages(NatsTestServer server) throws Exception {
        NatsNetworkConfig config = NatsNetworkConfig.builder().pendingMessageLimit(PENDING_LIMIT_MESSAGES).build();
        CountDownLatch subscriberBusy = new CountDownLatch(1);
        AtomicLong delivered = new AtomicLong();
        try (NatsNetwork subscriber = NatsNetwork.connect(server.url(), config);
                Connection publisher = Nats.connect(server.url())) {
            Network.InboxBinding inbox = subscriber.bind("swp.slow", frame -> {
                // The application is busy (a disk stall, a GC pause…) while data keeps coming.
                awaitQuietly(subscriberBusy);
                delivered.incrementAndGet();
            });
            subscriber.connection().flush(Duration.ofSeconds(5));

            byte[] payload = new byte[MESSAGE_BYTES];
            for (int i = 0; i < MESSAGES; i++) {
                publisher.publish("swp.slow", payload);
            }
            publisher.flush(Duration.ofSeconds(10));
            // Every message either waits in the dispatcher, is held by the handler, or was dropped.
            await().atMost(WAIT).untilAsserted(() -> assertEquals(MESSAGES,
                    inbox.droppedFrames() + subscriber.dispatcher().getPendingMessageCount() + 1,
                    "messages accounted for (dropped " + inbox.droppedFrames() + ")"));
            subscriberBusy.countDown();
            await("pending drained").atMost(WAIT).until(() -> delivered.get() + inbox.droppedFrames() == MESSAGES);

            long dropped = inbox.droppedFrames();
            System.out.printf("raw NATS pub/sub: published %d, delivered %d, dropped %d by the slow subscriber"
                    + " (pending limit %d messages); slow-consumer events: %d%n", MESSAGES, delivered.get(), dropped,
                    PENDING_LIMIT_MESSAGES, subscriber.events().orElseThrow().slowConsumerEvents());
            assertTrue(dropped > 0, "plain pub/sub lost nothing, the test did not overrun the subscriber");
            assertEquals(MESSAGES - dropped, delivered.get());
            assertTrue(delivered.get() <= PENDING_LIMIT_MESSAGES + 1, "at most the pending limit survives the stall");
            assertEquals(dropped, subscriber.droppedFrames());
            assertTrue(subscriber.events().orElseThrow().slowConsumerEvents() >= 1, "the slow consumer was reported");
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
