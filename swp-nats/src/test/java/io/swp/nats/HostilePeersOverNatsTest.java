package io.swp.nats;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Subscription;
import io.swp.Endpoint;
import io.swp.EndpointConfig;
import io.swp.Session;
import io.swp.SessionConfig;
import io.swp.nats.testing.NatsServerExtension;
import io.swp.nats.testing.NatsTestServer;
import io.swp.protocol.Frame;
import io.swp.protocol.FrameCodec;
import io.swp.protocol.FrameKind;
import io.swp.file.FileReceiver;
import io.swp.file.FileSender;
import io.swp.file.FileTransferStats;
import io.swp.file.ReceivedFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Over a real nats-server, raw NATS clients attack an endpoint while a legitimate
 * transfer runs through it: a flood of forged SYNs from random inboxes, a session that
 * completes its handshake and then floods unordered frames nobody reads, and a session
 * that completes its handshake and stays silent. The transfer must complete
 * byte-identical, and what the endpoint holds must stay within its memory budget.
 */
@ExtendWith(NatsServerExtension.class)
class HostilePeersOverNatsTest {
    private static final String BOB = "hostile.bob";
    private static final long BUDGET = 32L * 1024 * 1024;
    /** The NATS client's pending buffer, a quarter of bob's budget: it counts against the budget. */
    private static final NatsNetworkConfig PENDING = NatsNetworkConfig.builder().pendingByteLimit(BUDGET / 4).build();
    private static final int TRANSFER_BYTES = 32 * 1024 * 1024;
    private static final int SYNS_PER_SECOND = 10_000;
    private static final Duration FLOOD = Duration.ofSeconds(15);
    private static final int UNORDERED_PER_SECOND = 2_000;
    /** Sessions that complete their handshake and then say nothing, besides the flooding one. */
    private static final int SILENT_SESSIONS = Integer.getInteger("swp.silentSessions", 200);

    @Test
    void aTransferCompletesWhileRawClientsFloodSynsFloodUnorderedFramesAndStaySilent(NatsTestServer server)
            throws Exception {
        // Mallory's sessions never acknowledge bob's FIN: a short close timeout ends the test quickly.
        EndpointConfig bobConfig = EndpointConfig.builder().memoryBudgetBytes(BUDGET)
                .sessionDefaults(SessionConfig.builder().closeTimeout(Duration.ofSeconds(2)).build()).build();
        AtomicBoolean attacking = new AtomicBoolean(true);
        AtomicLong peakHeld = new AtomicLong();
        AtomicLong connectLatency = new AtomicLong();
        long heapBefore = usedHeapAfterGc();
        try (NatsNetwork net = NatsNetwork.connect(server.url(), PENDING);
             Endpoint bob = Endpoint.open(net, BOB, bobConfig);
             Endpoint alice = Endpoint.open(net, "hostile.alice")) {
            Connection raw = Nats.connect(server.url());
            try {
                // Bob takes every session; only alice's is read.
                CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
                    try {
                        while (true) {
                            Session s = bob.accept(Duration.ofSeconds(30));
                            if (s.remoteInbox().equals("hostile.alice")) {
                                return digest(s.getInputStream());
                            }
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                long silentNonce = handshake(raw, "mallory.silent", 0x5111E47L);
                for (int i = 0; i < SILENT_SESSIONS; i++) {
                    handshake(raw, "mallory.silent." + i, 0x5111E47L + 1 + i);
                }
                long floodNonce = handshake(raw, "mallory.flood", 0xF100DL);
                CompletableFuture<Long> synFlood = CompletableFuture.supplyAsync(() -> floodSyns(raw, attacking));
                CompletableFuture<Long> unorderedFlood = CompletableFuture.supplyAsync(
                        () -> floodUnordered(raw, "mallory.flood", 0xF100DL, floodNonce, attacking));
                CompletableFuture<Void> watch = CompletableFuture.runAsync(() -> {
                    while (attacking.get()) {
                        peakHeld.accumulateAndGet(bob.stats().bufferedInboundBytes(), Math::max);
                        LockSupport.parkNanos(1_000_000);
                    }
                });

                long start = System.nanoTime();
                byte[] sent;
                try (Session s = alice.connect(BOB)) {
                    long connectMicros = (System.nanoTime() - start) / 1000;
                    connectLatency.set(connectMicros);
                    sent = writeGenerated(s.getOutputStream(), TRANSFER_BYTES);
                    s.getOutputStream().close();
                    assertArrayEquals(sent, received.get(60, TimeUnit.SECONDS), "alice's data arrived intact");
                }
                long transferMillis = (System.nanoTime() - start) / 1_000_000;
                long heapDuring = usedHeapAfterGc();
                assertTrue(!synFlood.isDone() && !unorderedFlood.isDone(),
                        "the transfer must finish while both floods still run; it took " + transferMillis + " ms, bob "
                                + bob.stats() + ", alice " + alice.stats());
                // The floods run their full course; then the watch stops.
                long syns = synFlood.get(30, TimeUnit.SECONDS);
                long unordered = unorderedFlood.get(30, TimeUnit.SECONDS);
                attacking.set(false);
                watch.get(10, TimeUnit.SECONDS);

                var stats = bob.stats();
                long heapGrowth = heapDuring - heapBefore;
                System.out.printf("hostile peers over nats-server: %d forged SYNs, %d unordered frames, %d silent "
                        + "sessions; alice connected in %d us during the flood, her %d MiB arrived intact in %d ms; "
                        + "bob held at most %d KiB (budget %d KiB), %d sessions, budget drops %d, resets %d, "
                        + "rate-limited %d, heap growth %d MiB%n", syns, unordered, SILENT_SESSIONS + 1,
                        connectLatency.get(), TRANSFER_BYTES >> 20, transferMillis, peakHeld.get() >> 10, BUDGET >> 10,
                        stats.sessionsOpen(), stats.budgetDrops(), stats.resetsSent(), stats.repliesRateLimited(),
                        heapGrowth >> 20);
                assertTrue(syns >= SYNS_PER_SECOND, "the flood ran for at least a second's worth: " + syns);
                assertTrue(unordered > 0);
                long slack = (long) stats.sessionsOpen() * 16 * 1024 + 1024 * 1024;
                assertTrue(peakHeld.get() <= BUDGET + slack, "bob held " + peakHeld.get());
                // The heap holds bob's budget, NATS's pending buffers, alice's send buffer and the
                // test's own: far less than the gigabytes the floods would cost unbounded.
                assertTrue(heapGrowth < BUDGET + NatsNetworkConfig.DEFAULT_PENDING_BYTE_LIMIT + 64L * 1024 * 1024,
                        "heap grew by " + (heapGrowth >> 20) + " MiB");
                assertTrue(silentNonce != 0);
            } finally {
                attacking.set(false);
                raw.close();
            }
        }
    }

    @Test
    void anAbsurdFileSizeGetsOneLineErrorAndNothingWhileALegitimateFileArrives(NatsTestServer server,
            @TempDir Path dir) throws Exception {
        Path inbox = Files.createDirectories(dir.resolve("bob"));
        Path file = dir.resolve("legit.bin");
        byte[] content = new byte[8 * 1024 * 1024];
        new SplittableRandom(13).nextBytes(content);
        Files.write(file, content);
        FileReceiver receiver = FileReceiver.create(inbox);
        long heapBefore = usedHeapAfterGc();
        try (NatsNetwork net = NatsNetwork.connect(server.url());
             Endpoint bob = Endpoint.open(net, BOB, EndpointConfig.builder().memoryBudgetBytes(BUDGET).build());
             Endpoint alice = Endpoint.open(net, "hostile.alice")) {
            Connection raw = Nats.connect(server.url());
            try {
                absurdSize(bob, alice, raw, receiver, inbox, file, content, heapBefore);
            } finally {
                raw.close();
            }
        }
    }

    private static void absurdSize(Endpoint bob, Endpoint alice, Connection raw, FileReceiver receiver, Path inbox,
                                   Path file, byte[] content, long heapBefore) throws Exception {
        // Bob serves every session on its own thread, as swp recv --parallel does.
        List<String> refusals = new CopyOnWriteArrayList<>();
        List<ReceivedFile> stored = new CopyOnWriteArrayList<>();
        ExecutorService serving = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "bob-serves");
            t.setDaemon(true);
            return t;
        });
        CompletableFuture.runAsync(() -> {
            while (!bob.isTerminated()) {
                Session s;
                try {
                    s = bob.accept(Duration.ofSeconds(60));
                } catch (Exception e) {
                    return;
                }
                serving.execute(() -> {
                    try (s) {
                        ReceivedFile f = receiver.receive(s);
                        if (f != null) {
                            stored.add(f);
                        }
                    } catch (Exception e) {
                        refusals.add(e.getMessage());
                    }
                });
            }
        }, serving);

        // Mallory: a handshake, then a file header announcing 2^63 - 1 bytes.
        Subscription atMallory = raw.subscribe("mallory.huge");
        long bobNonce = handshake(raw, "mallory.huge", 0xB16L, atMallory);
        byte[] name = "huge.bin".getBytes(StandardCharsets.UTF_8);
        ByteBuffer header = ByteBuffer.allocate(1 + 1 + 2 + name.length + 8 + 4);
        header.put((byte) 'H').put((byte) 1).putShort((short) name.length).put(name).putLong(Long.MAX_VALUE)
                .putInt(0644);
        raw.publish(BOB, FrameCodec.encode(Frame.builder(FrameKind.DATA).from("mallory.huge").to(BOB)
                .srcNonce(0xB16L).dstNonce(bobNonce).seq(0).flags(Frame.FLAG_END_OF_MESSAGE)
                .window(1024, 16L << 20).tsVal(System.nanoTime()).payload(header.array()).build()));
        raw.flush(Duration.ofSeconds(5));

        // Alice sends a real file meanwhile.
        FileTransferStats sent = FileSender.builder(() -> alice.connect(BOB)).build().send(file);
        assertEquals(content.length, sent.bytes());

        String error = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (error == null && System.nanoTime() < deadline) {
            Message m = atMallory.nextMessage(Duration.ofSeconds(1));
            if (m == null) {
                continue;
            }
            Frame f = FrameCodec.decode(m.getData());
            if (f.kind() == FrameKind.DATA && f.payloadLength() > 0 && f.payload()[0] == 'E') {
                error = new String(f.payload(), 1, f.payloadLength() - 1, StandardCharsets.UTF_8);
            }
        }
        assertNotNull(error, "bob answered the header with an ERROR");
        assertFalse(error.contains("\n"), "one line: " + error);
        assertTrue(error.contains("huge.bin"), error);
        long heapGrowth = usedHeapAfterGc() - heapBefore;

        await().atMost(Duration.ofSeconds(30)).until(() -> stored.size() == 1);
        assertArrayEquals(content, Files.readAllBytes(inbox.resolve("legit.bin")), "alice's file, byte-identical");
        try (Stream<Path> left = Files.list(inbox)) {
            List<Path> files = left.toList();
            assertEquals(List.of(inbox.resolve("legit.bin")), files, "nothing stored or kept for mallory");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> refusals.size() == 1);
        System.out.printf("absurd file size over nats-server: mallory got \"%s\"; alice's %d MiB arrived "
                + "byte-identical; heap growth %d MiB%n", error, content.length >> 20, heapGrowth >> 20);
        assertTrue(heapGrowth < BUDGET + NatsNetworkConfig.DEFAULT_PENDING_BYTE_LIMIT,
                "heap grew by " + (heapGrowth >> 20) + " MiB");
        serving.shutdownNow();
    }

    /** Completes a handshake with bob from a raw client subscribed at {@code from}; returns bob's nonce. */
    private static long handshake(Connection raw, String from, long nonce, Subscription sub) throws Exception {
        raw.publish(BOB, FrameCodec.encode(Frame.builder(FrameKind.SYN).from(from).to(BOB).srcNonce(nonce)
                .window(1024, 16L << 20).tsVal(System.nanoTime()).build()));
        Message m = sub.nextMessage(Duration.ofSeconds(10));
        assertNotNull(m, "bob answered the SYN of " + from);
        Frame synAck = FrameCodec.decode(m.getData());
        assertEquals(FrameKind.SYN_ACK, synAck.kind());
        raw.publish(BOB, FrameCodec.encode(Frame.builder(FrameKind.ACK).from(from).to(BOB).srcNonce(nonce)
                .dstNonce(synAck.srcNonce()).window(1024, 16L << 20).tsVal(System.nanoTime())
                .tsEcr(synAck.tsVal()).build()));
        raw.flush(Duration.ofSeconds(5));
        return synAck.srcNonce();
    }

    /** Completes a handshake with bob from a raw client; returns bob's nonce. */
    private static long handshake(Connection raw, String from, long nonce) throws Exception {
        return handshake(raw, from, nonce, raw.subscribe(from));
    }

    private static long floodSyns(Connection raw, AtomicBoolean attacking) {
        SplittableRandom rnd = new SplittableRandom(7);
        long sent = 0;
        long start = System.nanoTime();
        long end = start + FLOOD.toNanos();
        while (attacking.get() && System.nanoTime() < end) {
            raw.publish(BOB, FrameCodec.encode(Frame.builder(FrameKind.SYN).from("flood." + rnd.nextInt(1 << 20))
                    .to(BOB).srcNonce(rnd.nextLong() | 1).window(1024, 16L << 20).build()));
            sent++;
            long due = start + sent * 1_000_000_000L / SYNS_PER_SECOND;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
        }
        return sent;
    }

    private static long floodUnordered(Connection raw, String from, long nonce, long bobNonce,
                                       AtomicBoolean attacking) {
        byte[] payload = new byte[16 * 1024];
        long seq = 0;
        long start = System.nanoTime();
        long end = start + FLOOD.toNanos();
        while (attacking.get() && System.nanoTime() < end) {
            raw.publish(BOB, FrameCodec.encode(Frame.builder(FrameKind.DATA).from(from).to(BOB).srcNonce(nonce)
                    .dstNonce(bobNonce).seq(seq++).flags(Frame.FLAG_UNORDERED).window(1024, 16L << 20)
                    .payload(payload).build()));
            long wait = start + seq * 1_000_000_000L / UNORDERED_PER_SECOND - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
        }
        return seq;
    }

    private static byte[] writeGenerated(OutputStream out, int bytes) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        SplittableRandom rnd = new SplittableRandom(11);
        byte[] chunk = new byte[64 * 1024];
        for (int done = 0; done < bytes; done += chunk.length) {
            rnd.nextBytes(chunk);
            out.write(chunk);
            d.update(chunk);
        }
        return d.digest();
    }

    private static byte[] digest(InputStream in) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[64 * 1024];
        for (int n; (n = in.read(buf)) >= 0; ) {
            d.update(buf, 0, n);
        }
        return d.digest();
    }

    private static long usedHeapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
