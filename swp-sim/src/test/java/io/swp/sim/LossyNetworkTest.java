package io.swp.sim;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.Network;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class LossyNetworkTest {
    private static final Duration AWAIT = Duration.ofSeconds(10);

    /** The simplest Network: delivers each frame synchronously to the bound handler. */
    static final class LoopbackNetwork implements Network {
        final Map<String, FrameHandler> handlers = new ConcurrentHashMap<>();
        volatile boolean closed;

        @Override
        public InboxBinding bind(String inbox, FrameHandler handler) {
            handlers.put(inbox, handler);
            return new InboxBinding() {
                @Override
                public String inbox() {
                    return inbox;
                }

                @Override
                public void close() {
                    handlers.remove(inbox);
                }
            };
        }

        @Override
        public void send(String inbox, byte[] frame) throws IOException {
            if (closed) {
                throw new IOException("closed");
            }
            FrameHandler h = handlers.get(inbox);
            if (h != null) {
                h.onFrame(frame.clone());
            }
        }

        @Override
        public int maxFrameSize() {
            return 4096;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private static byte[] frame(int id) {
        return new byte[] {(byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id};
    }

    private static int idOf(byte[] f) {
        return ((f[0] & 0xff) << 24) | ((f[1] & 0xff) << 16) | ((f[2] & 0xff) << 8) | (f[3] & 0xff);
    }

    private static List<Integer> sendAll(Impairments outbound, long seed, int count) throws IOException {
        LoopbackNetwork loop = new LoopbackNetwork();
        List<Integer> received = Collections.synchronizedList(new ArrayList<>());
        try (LossyNetwork lossy = LossyNetwork.wrap(loop, outbound, seed)) {
            lossy.bind("bob", f -> received.add(idOf(f)));
            for (int i = 0; i < count; i++) {
                lossy.send("bob", frame(i));
            }
            assertEquals(lossy.outboundStats().delivered(), received.size());
        }
        return received;
    }

    @Test
    void lossIsSeededAndReproducible() throws IOException {
        Impairments loss = Impairments.builder().lossRate(0.3).build();
        List<Integer> first = sendAll(loss, 99, 5000);
        assertEquals(0.7, first.size() / 5000.0, 0.03);
        assertEquals(first, sendAll(loss, 99, 5000), "same seed, same frames survive");
        assertNotEquals(first, sendAll(loss, 100, 5000));
    }

    @Test
    void dropListAppliesOnSend() throws IOException {
        List<Integer> got = sendAll(Impairments.builder().dropFrames(2, 7).build(), 1, 10);
        assertEquals(List.of(0, 7, 8, 9), got);
    }

    @Test
    void delayedFramesArriveInOrderAfterTheLatencyOnTheSchedulerThread() throws Exception {
        LoopbackNetwork loop = new LoopbackNetwork();
        List<Integer> received = Collections.synchronizedList(new ArrayList<>());
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        Duration latency = Duration.ofMillis(50);
        try (LossyNetwork lossy = LossyNetwork.wrap(loop,
                Impairments.builder().latency(latency).jitter(Duration.ofMillis(5)).build(), 3)) {
            lossy.bind("bob", f -> {
                received.add(idOf(f));
                threads.add(Thread.currentThread().getName());
            });
            long start = System.nanoTime();
            for (int i = 0; i < 100; i++) {
                lossy.send("bob", frame(i));
            }
            assertTrue(received.isEmpty() || System.nanoTime() - start >= latency.toNanos(),
                    "nothing arrives before the latency");
            await("100 delayed frames").atMost(AWAIT).until(() -> received.size() == 100);
            assertTrue(System.nanoTime() - start >= latency.toNanos());
        }
        for (int i = 0; i < 100; i++) {
            assertEquals(i, received.get(i));
        }
        assertTrue(threads.stream().allMatch("swp-lossy-network"::equals), threads.toString());
    }

    @Test
    void reorderingAndDuplicationInRealTime() throws Exception {
        LoopbackNetwork loop = new LoopbackNetwork();
        List<Integer> received = Collections.synchronizedList(new ArrayList<>());
        int count = 2000;
        try (LossyNetwork lossy = LossyNetwork.wrap(loop, Impairments.builder()
                .reorder(0.2, Duration.ofMillis(20)).duplicate(0.1, Duration.ofMillis(5)).build(), 8)) {
            lossy.bind("bob", f -> received.add(idOf(f)));
            for (int i = 0; i < count; i++) {
                lossy.send("bob", frame(i));
            }
            LinkStats s = lossy.outboundStats();
            await("all copies").atMost(AWAIT).until(() -> received.size() == count + s.duplicated());
            assertTrue(s.duplicated() > 0 && s.reordered() > 0, s.toString());
        }
        int inversions = 0;
        synchronized (received) {
            for (int i = 1; i < received.size(); i++) {
                inversions += received.get(i) < received.get(i - 1) ? 1 : 0;
            }
            assertEquals(count, received.stream().distinct().count(), "every frame arrives");
        }
        assertTrue(inversions > 0, "some frames were overtaken");
    }

    @Test
    void inboundImpairmentsApplyToBoundHandlers() throws IOException {
        LoopbackNetwork loop = new LoopbackNetwork();
        List<Integer> received = new ArrayList<>();
        try (LossyNetwork lossy = LossyNetwork.builder(loop)
                .inbound(Impairments.builder().dropFrames(1, 3).build()).seed(5).build()) {
            lossy.bind("me", f -> received.add(idOf(f)));
            for (int i = 0; i < 6; i++) {
                loop.send("me", frame(i));   // arrives from elsewhere, straight into the delegate
            }
            assertEquals(List.of(3, 4, 5), received);
            assertEquals(3, lossy.inboundStats().droppedByIndex());
            assertEquals(0, lossy.outboundStats().offered());
        }
    }

    @Test
    void closeStopsSendingAndClosesTheDelegateUnlessToldNot() throws IOException {
        LoopbackNetwork shared = new LoopbackNetwork();
        LossyNetwork keeps = LossyNetwork.builder(shared).closeDelegate(false).build();
        keeps.close();
        assertFalse(shared.closed);
        assertThrows(IOException.class, () -> keeps.send("x", frame(1)));
        LossyNetwork owns = LossyNetwork.wrap(shared, Impairments.NONE, 1);
        assertEquals(4096, owns.maxFrameSize());
        owns.close();
        assertTrue(shared.closed);
    }
}
