package io.swp.nats;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.swp.Network;
import io.swp.nats.testing.NatsServerExtension;
import io.swp.nats.testing.NatsServers;
import io.swp.nats.testing.NatsTestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** NatsNetwork against a real nats-server: frames, limits, capacity, sharing. */
@ExtendWith(NatsServerExtension.class)
class NatsNetworkTest {
    private static final long WAIT_MILLIS = 10_000;
    private static final Duration WAIT = Duration.ofMillis(WAIT_MILLIS);

    @Test
    void framesRoundTripBetweenTwoNetworks(NatsTestServer server) throws Exception {
        try (NatsNetwork alice = NatsNetwork.connect(server.url());
                NatsNetwork bob = NatsNetwork.connect(server.url())) {
            BlockingQueue<byte[]> atBob = new LinkedBlockingQueue<>();
            try (Network.InboxBinding binding = bob.bind("swp.test.bob", atBob::add)) {
                assertEquals("swp.test.bob", binding.inbox());
                bob.connection().flush(java.time.Duration.ofSeconds(5));
                byte[][] sent = {new byte[0], {1, 2, 3}, filled(16 * 1024, 7), filled(alice.maxFrameSize(), 9)};
                for (byte[] frame : sent) {
                    alice.send("swp.test.bob", frame);
                }
                for (byte[] frame : sent) {
                    byte[] got = atBob.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS);
                    assertArrayEquals(frame, got, "frame of " + frame.length + " bytes");
                }
            }
        }
    }

    @Test
    void maxFrameSizeFollowsServerMaxPayloadAndOversizedSendFailsClearly(NatsTestServer server) throws Exception {
        try (NatsNetwork net = NatsNetwork.connect(server.url())) {
            long maxPayload = net.connection().getServerInfo().getMaxPayload();
            assertTrue(maxPayload > 0, "server advertises max_payload");
            assertEquals(maxPayload - NatsNetworkConfig.DEFAULT_HEADER_ROOM_BYTES, net.maxFrameSize());
            IOException e = assertThrows(IOException.class, () -> net.send("swp.test.big", new byte[net.maxFrameSize() + 1]));
            assertTrue(e.getMessage().contains("exceeds"), e.getMessage());
            // the connection survives the refused frame
            assertEquals(Connection.Status.CONNECTED, net.connection().getStatus());
            net.send("swp.test.big", new byte[net.maxFrameSize()]);
        }
    }

    @Test
    void smallerServerMaxPayloadShrinksMaxFrameSize() throws Exception {
        int maxPayload = 64 * 1024;
        Path conf = Files.createTempFile("swp-nats-max-payload", ".conf");
        Files.writeString(conf, "max_payload: " + maxPayload + "\n");
        try (var server = NatsServers.process().args("-c", conf.toString()).start();
                NatsNetwork net = NatsNetwork.connect(server.url())) {
            assertEquals(maxPayload - NatsNetworkConfig.DEFAULT_HEADER_ROOM_BYTES, net.maxFrameSize());
            assertThrows(IOException.class, () -> net.send("x", new byte[maxPayload]));
        } finally {
            Files.deleteIfExists(conf);
        }
    }

    @Test
    void theClientsPendingLimitIsCountedInTheEndpointsMemoryBudget(NatsTestServer server) throws Exception {
        long pending = 3L * 1024 * 1024;
        long budget = 32L * 1024 * 1024;
        NatsNetworkConfig config = NatsNetworkConfig.builder().pendingByteLimit(pending).build();
        try (NatsNetwork net = NatsNetwork.connect(server.url(), config);
                Network.InboxBinding binding = net.bind("swp.test.limit", frame -> { })) {
            assertEquals(pending, binding.bufferLimitBytes());
        }
        try (NatsNetwork net = NatsNetwork.connect(server.url(), config);
                io.swp.Endpoint endpoint = io.swp.Endpoint.open(net, "swp.test.budget",
                        io.swp.EndpointConfig.builder().memoryBudgetBytes(budget).build())) {
            assertEquals(budget - pending, endpoint.sessionMemoryBudget());
        }
        long heap = Runtime.getRuntime().maxMemory();
        assertEquals(Math.max(1024 * 1024, Math.min(NatsNetworkConfig.DEFAULT_PENDING_BYTE_LIMIT, heap / 16)),
                NatsNetworkConfig.defaults().pendingByteLimit(), "the default follows the heap");
    }

    @Test
    void freeCapacityShrinksWhileTheHandlerIsBusyAndRecovers(NatsTestServer server) throws Exception {
        NatsNetworkConfig config = NatsNetworkConfig.builder().pendingMessageLimit(1000).pendingByteLimit(1_000_000).build();
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger delivered = new AtomicInteger();
        try (NatsNetwork receiver = NatsNetwork.connect(server.url(), config);
                NatsNetwork sender = NatsNetwork.connect(server.url())) {
            Network.InboxBinding binding = receiver.bind("swp.test.capacity", frame -> {
                awaitQuietly(release);
                delivered.incrementAndGet();
            });
            assertEquals(1000, receiver.dispatcher().getPendingMessageLimit());
            assertEquals(1_000_000, receiver.dispatcher().getPendingByteLimit());
            long overhead = NatsNetwork.messageOverheadBytes("swp.test.capacity");
            assertEquals(1000, binding.freeFrames());
            // jnats' protocol bytes for each of the 1000 messages that may still arrive are held back
            assertEquals(1_000_000 - 1000 * overhead, binding.freeBytes());
            receiver.connection().flush(java.time.Duration.ofSeconds(5));
            int frames = 101;
            int frameBytes = 1000;
            for (int i = 0; i < frames; i++) {
                sender.send("swp.test.capacity", new byte[frameBytes]);
            }
            // One frame is held by the blocked handler; the other 100 wait in the dispatcher.
            await().atMost(WAIT).untilAsserted(() -> assertEquals(1000 - (frames - 1), binding.freeFrames(),
                    "100 frames pending"));
            // 100 frames and their protocol bytes are pending; 900 more messages may arrive
            long pendingBytes = receiver.dispatcher().getPendingByteCount();
            assertTrue(pendingBytes > (frames - 1) * frameBytes && pendingBytes <= (frames - 1) * (frameBytes + overhead),
                    "jnats counts frame plus at most our overhead estimate: " + pendingBytes);
            assertEquals(1_000_000 - pendingBytes - 900 * overhead, binding.freeBytes());
            assertEquals(0, binding.droppedFrames());
            release.countDown();
            await("all delivered").atMost(WAIT).until(() -> delivered.get() == frames);
            await("capacity recovers").atMost(WAIT).until(() -> binding.freeFrames() == 1000);
        }
    }

    @Test
    @SuppressWarnings("try") // jnats' Connection.close() declares InterruptedException
    void bindingsShareOneDispatcherAndSplitItsCapacity(NatsTestServer server) throws Exception {
        try (Connection shared = Nats.connect(server.url())) {
            Set<String> threads = ConcurrentHashMap.newKeySet();
            AtomicInteger received = new AtomicInteger();
            int inboxes = 8;
            try (NatsNetwork net = NatsNetwork.wrap(shared)) {
                Network.InboxBinding[] bindings = new Network.InboxBinding[inboxes];
                for (int i = 0; i < inboxes; i++) {
                    bindings[i] = net.bind("swp.test.share." + i, frame -> {
                        threads.add(Thread.currentThread().getName());
                        received.incrementAndGet();
                    });
                }
                assertEquals(inboxes, net.bindingCount());
                long overhead = NatsNetwork.messageOverheadBytes("swp.test.share.0");
                assertEquals((NatsNetworkConfig.DEFAULT_PENDING_BYTE_LIMIT
                        - NatsNetworkConfig.DEFAULT_PENDING_MESSAGE_LIMIT * overhead) / inboxes, bindings[0].freeBytes(),
                        "an equal share of the dispatcher's free frame bytes");
                assertEquals(NatsNetworkConfig.DEFAULT_PENDING_MESSAGE_LIMIT / inboxes, bindings[0].freeFrames());
                shared.flush(java.time.Duration.ofSeconds(5));
                for (int i = 0; i < inboxes; i++) {
                    net.send("swp.test.share." + i, new byte[] {(byte) i});
                }
                await("one frame per inbox").atMost(WAIT).until(() -> received.get() == inboxes);
                assertEquals(1, threads.size(), "all inboxes delivered on one dispatcher thread: " + threads);
                bindings[0].close();
                assertEquals(inboxes - 1, net.bindingCount());
            }
            assertEquals(Connection.Status.CONNECTED, shared.getStatus(), "a wrapped connection stays open");
        }
    }

    @Test
    void sendAfterCloseFailsAndCloseIsIdempotent(NatsTestServer server) throws Exception {
        NatsNetwork net = NatsNetwork.connect(server.url());
        Connection connection = net.connection();
        net.close();
        net.close();
        assertEquals(Connection.Status.CLOSED, connection.getStatus(), "an owned connection is closed");
        assertThrows(IOException.class, () -> net.send("x", new byte[1]));
        assertThrows(IOException.class, () -> net.bind("x", f -> { }));
    }

    @Test
    void handlerExceptionDoesNotStopDelivery(NatsTestServer server) throws Exception {
        try (NatsNetwork net = NatsNetwork.connect(server.url())) {
            BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
            net.bind("swp.test.faulty", frame -> {
                if (frame.length == 0) {
                    throw new IllegalStateException("handler bug (expected by the test)");
                }
                got.add(frame);
            });
            net.connection().flush(java.time.Duration.ofSeconds(5));
            net.send("swp.test.faulty", new byte[0]);
            net.send("swp.test.faulty", new byte[] {42});
            assertArrayEquals(new byte[] {42}, got.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));
        }
    }

    @Test
    @SuppressWarnings("try") // jnats' Connection.close() declares InterruptedException
    void eventsAreExposedForSelfOpenedConnections(NatsTestServer server) throws Exception {
        try (NatsNetwork net = NatsNetwork.connect(server.url())) {
            assertTrue(net.events().isPresent());
            assertEquals(0, net.events().get().slowConsumerEvents());
        }
        try (Connection plain = Nats.connect(server.url()); NatsNetwork net = NatsNetwork.wrap(plain)) {
            assertFalse(net.events().isPresent());
            assertSame(plain, net.connection());
        }
    }

    static byte[] filled(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The dispatcher's queue makes bursts: a handler told that more follow is called
     * again before any other inbox's handler, with its next frame or its burst's end
     * ({@link Network.FrameHandler#onFrame(byte[], boolean)}).
     */
    @Test
    void aHandlerToldThatMoreFollowIsCalledAgainBeforeAnyOther(NatsTestServer server) throws Exception {
        int perInbox = 500;
        java.util.List<String> events = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        CountDownLatch published = new CountDownLatch(1);
        try (NatsNetwork alice = NatsNetwork.connect(server.url());
                NatsNetwork bob = NatsNetwork.connect(server.url())) {
            java.util.List<Network.InboxBinding> bindings = new java.util.ArrayList<>();
            for (String inbox : new String[] {"swp.test.burst.a", "swp.test.burst.b"}) {
                bindings.add(bob.bind(inbox, new Network.FrameHandler() {
                    @Override
                    public void onFrame(byte[] frame) {
                        throw new AssertionError("NatsNetwork says whether more follow");
                    }

                    @Override
                    public void onFrame(byte[] frame, boolean moreFollow) {
                        // The first delivery holds the dispatcher until everything is queued behind it.
                        awaitQuietly(published);
                        events.add(inbox + (moreFollow ? " more" : " last"));
                    }

                    @Override
                    public void onBurstEnd() {
                        events.add(inbox + " end");
                    }
                }));
            }
            bob.connection().flush(WAIT);
            for (int i = 0; i < perInbox; i++) {
                alice.send("swp.test.burst.a", new byte[] {(byte) i});
                alice.send("swp.test.burst." + (i % 3 == 0 ? "a" : "b"), new byte[] {(byte) i});
            }
            alice.connection().flush(WAIT);
            published.countDown();
            await().atMost(WAIT).until(() -> events.stream().filter(e -> !e.endsWith(" end")).count() == 2L * perInbox);
            for (Network.InboxBinding b : bindings) {
                b.close();
            }
        }
        java.util.List<String> log = java.util.List.copyOf(events);
        assertTrue(log.stream().anyMatch(e -> e.endsWith(" more")), "bursts were seen: " + log.subList(0, 10));
        for (int i = 0; i < log.size(); i++) {
            if (log.get(i).endsWith(" more")) {
                String inbox = log.get(i).substring(0, log.get(i).indexOf(' '));
                assertTrue(i + 1 < log.size() && log.get(i + 1).startsWith(inbox + " "),
                        "after " + log.get(i) + " at " + i + " came " + (i + 1 < log.size() ? log.get(i + 1) : "nothing"));
            }
        }
    }

    /**
     * When an inbox is closed while the dispatcher still queues a message for it, that
     * message is dropped unseen: an inbox told that more follow because of it hears that
     * its burst ended all the same.
     */
    @Test
    @SuppressWarnings("try") // inbox a is held open by the try and never named in it
    void closingAnInboxEndsTheBurstItsQueuedMessageHadAnnounced(NatsTestServer server) throws Exception {
        java.util.List<String> events = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        CountDownLatch queued = new CountDownLatch(1);
        CountDownLatch inSecond = new CountDownLatch(1);
        CountDownLatch otherClosed = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        try (NatsNetwork alice = NatsNetwork.connect(server.url());
                NatsNetwork bob = NatsNetwork.connect(server.url());
                Network.InboxBinding a = bob.bind("swp.test.burst2.a", new Network.FrameHandler() {
                    @Override
                    public void onFrame(byte[] frame) {
                        throw new AssertionError("NatsNetwork says whether more follow");
                    }

                    @Override
                    public void onFrame(byte[] frame, boolean moreFollow) {
                        if (calls.incrementAndGet() == 1) {
                            awaitQuietly(queued); // hold the dispatcher until all three wait
                        } else {
                            events.add("a " + (moreFollow ? "more" : "last"));
                            inSecond.countDown();
                            awaitQuietly(otherClosed);
                        }
                    }

                    @Override
                    public void onBurstEnd() {
                        events.add("a end");
                    }
                })) {
            // Closed by hand below, and by the network's close if the test fails first.
            Network.InboxBinding b = bob.bind("swp.test.burst2.b", frame -> events.add("b frame"));
            bob.connection().flush(WAIT);
            alice.send("swp.test.burst2.a", new byte[] {0});
            alice.send("swp.test.burst2.a", new byte[] {1});
            alice.send("swp.test.burst2.b", new byte[] {2});
            alice.connection().flush(WAIT);
            await().atMost(WAIT).until(() -> calls.get() >= 1);
            await().atMost(WAIT).until(() -> bob.dispatcher().getPendingMessageCount() >= 2);
            queued.countDown();
            assertTrue(inSecond.await(WAIT_MILLIS, TimeUnit.MILLISECONDS));

            b.close();
            otherClosed.countDown();

            await().atMost(WAIT).until(() -> events.contains("a end"));
            assertEquals("a more", events.get(0), "the second frame came with the third still queued: " + events);
            assertFalse(events.contains("b frame"), "the closed inbox got its frame: " + events);
        }
    }
}
