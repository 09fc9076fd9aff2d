package io.swp.session;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.Network;
import io.swp.sim.InMemoryNetwork;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InMemoryNetworkTest {
    @Test
    void deliversCopiesInOrderToEveryBinding() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create()) {
            LinkedBlockingQueue<byte[]> a = new LinkedBlockingQueue<>();
            LinkedBlockingQueue<byte[]> b = new LinkedBlockingQueue<>();
            net.bind("box", a::add);
            net.bind("box", b::add);
            byte[] frame = {1, 2, 3};
            for (int i = 0; i < 100; i++) {
                frame[0] = (byte) i;
                net.send("box", frame);
            }
            for (int i = 0; i < 100; i++) {
                byte[] x = a.poll(5, TimeUnit.SECONDS);
                byte[] y = b.poll(5, TimeUnit.SECONDS);
                assertEquals(i, x[0]);
                assertArrayEquals(x, y);
                assertTrue(x != y, "each binding owns its copy");
            }
            net.send("nobody", frame);
            assertEquals(1, net.undeliverableFrames());
        }
    }

    @Test
    void aFullQueueDropsCountsAndReportsItsRoomWithoutBlockingTheSender() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.builder().queueLimitFrames(10).queueLimitBytes(1000).build()) {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch first = new CountDownLatch(1);
            Network.InboxBinding binding = net.bind("slow", f -> {
                first.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            net.send("slow", new byte[10]);
            assertTrue(first.await(5, TimeUnit.SECONDS));
            // The first frame is being handled (still counted); nine more fit.
            for (int i = 0; i < 20; i++) {
                net.send("slow", new byte[10]);
            }
            assertEquals(11, binding.droppedFrames());
            assertEquals(0, binding.freeFrames());
            assertEquals(1000 - 100, binding.freeBytes());
            release.countDown();
            await("the queue's room recovers").atMost(Duration.ofSeconds(5)).until(() -> binding.freeFrames() == 10);
            assertThrows(IOException.class, () -> net.send("slow", new byte[net.maxFrameSize() + 1]));
        }
    }
}
