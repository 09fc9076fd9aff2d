package io.swp.nats;

import io.swp.file.FileTransfer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.swp.Endpoint;
import io.swp.Session;
import io.swp.SessionConfig;
import io.swp.file.FileTransferStats;
import io.swp.file.ReceivedFile;
import io.swp.nats.testing.NatsServerExtension;
import io.swp.nats.testing.NatsTestServer;
import io.swp.sim.Impairments;
import io.swp.sim.LossyNetwork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Real swp sessions (io.swp.Endpoint / Session) through a real nats-server. */
@ExtendWith(NatsServerExtension.class)
class SessionOverNatsTest {
    /** Size of the big transfers; {@code -Dswp.nats.transferMib=N} changes it. */
    static final long BIG_BYTES = Long.getLong("swp.nats.transferMib", 256) * 1024 * 1024;
    private static final long MIB = 1024 * 1024;
    /** Generous bound on swp's frame header plus jnats' per-message protocol bytes. */
    private static final int FRAME_OVERHEAD_ALLOWANCE = 1024;

    @Test
    void bigStreamTransferIsByteIdentical(NatsTestServer server) throws Exception {
        try (NatsNetwork a = NatsNetwork.connect(server.url());
                NatsNetwork b = NatsNetwork.connect(server.url());
                Endpoint sender = Endpoint.open(a, "swp.it.stream.sender");
                Endpoint receiver = Endpoint.open(b, "swp.it.stream.receiver")) {
            Transfers.Result r = Transfers.stream(sender, receiver, BIG_BYTES, 1, n -> { });
            System.out.println("stream over nats-server: " + r);
            assertTrue(r.identical(), r.toString());
            assertEquals(0, b.droppedFrames(), "no slow-consumer drops");
        }
    }

    @Test
    void bigFileTransferIsVerified(NatsTestServer server, @TempDir Path dir) throws Exception {
        Path source = dir.resolve("source.bin");
        Path outDir = Files.createDirectory(dir.resolve("out"));
        String expected = Transfers.writeFile(source, BIG_BYTES, 2);
        try (NatsNetwork a = NatsNetwork.connect(server.url());
                NatsNetwork b = NatsNetwork.connect(server.url());
                Endpoint sender = Endpoint.open(a, "swp.it.file.sender");
                Endpoint receiver = Endpoint.open(b, "swp.it.file.receiver")) {
            CompletableFuture<FileTransferStats> sent = CompletableFuture.supplyAsync(() -> {
                try (Session s = sender.connect(receiver.localInbox())) {
                    return FileTransfer.send(s, source);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            ReceivedFile got;
            try (Session s = Transfers.accept(receiver, List.of(sent))) {
                got = FileTransfer.receive(s, outDir);
            }
            FileTransferStats stats = sent.get(120, TimeUnit.SECONDS);
            System.out.printf("file over nats-server: %d bytes in %s (%.1f MB/s), blake2b %s%n", stats.bytes(),
                    stats.duration(), stats.goodputBytesPerSecond() / 1e6, got.blake2b256());
            assertEquals(BIG_BYTES, got.size());
            assertEquals(expected, got.blake2b256(), "swp's checksum is the file's");
            assertEquals(expected, Transfers.blake2b(got.path()), "stored file is byte-identical");
            assertEquals(source.getFileName().toString(), got.path().getFileName().toString());
        }
    }

    @Test
    void slowReaderLosesNothingAndPendingStaysUnderTheLimit(NatsTestServer server) throws Exception {
        // SlowConsumerTest's workload (a subscriber that stalls while data keeps coming) lost
        // most messages over raw pub/sub; through swp the window holds the sender back.
        // Limits sized like a deployment: twice the session's window, far below jnats' defaults.
        long windowBytes = SessionConfig.defaults().windowBytes();
        NatsNetworkConfig limits = NatsNetworkConfig.builder().pendingMessageLimit(4096).pendingByteLimit(2 * windowBytes)
                .build();
        SlowRun run = slowReader(server, limits, 64 * MIB, null, 0);
        assertTrue(run.result().identical(), run.toString());
        assertEquals(0, run.dropped(), "swp kept the subscriber within its pending limits: " + run);
        assertEquals(0, run.slowConsumerEvents(), run.toString());
        assertTrue(run.maxPendingBytes() < limits.pendingByteLimit(), run.toString());
    }

    @Test
    void transportLimitBelowTheWindowIsFedIntoItAndAnyDropIsRepaired(NatsTestServer server) throws Exception {
        // A pending limit far below the session window: the binding's free capacity, not the
        // window, must bound the sender. Whatever the client still drops is counted, never
        // silent, and retransmission repairs it. The tight limit alone may drop nothing, so
        // frames are also lost on the way (seeded 1 % of the sender's frames, plus its 100th
        // frame for certainty): the repair is always exercised.
        long seed = Long.getLong("swp.seed", 20_21);
        Impairments loss = Impairments.builder().lossRate(0.01).dropFrames(100, 100).build();
        String params = "1 % loss and frame 100 dropped on the sender's side, seed " + seed
                + " (rerun: -Dtest=SessionOverNatsTest#transportLimit* -Dswp.seed=" + seed + ")";
        NatsNetworkConfig tight = NatsNetworkConfig.builder().pendingMessageLimit(256).pendingByteLimit(2 * MIB).build();
        SlowRun run = slowReader(server, tight, 32 * MIB, loss, seed);
        assertTrue(run.result().identical(), params + ": " + run);
        // jnats admits a message while under the limit, so pending may overshoot by one frame.
        long oneFrame = SessionConfig.defaults().maxPayloadBytes() + FRAME_OVERHEAD_ALLOWANCE;
        assertTrue(run.maxPendingBytes() <= tight.pendingByteLimit() + oneFrame, run.toString());
        if (run.dropped() > 0) {
            assertTrue(run.result().senderStats().retransmits() > 0,
                    "drops were repaired by retransmission: " + run);
        }
        assertTrue(run.injectedDrops() > 0, params + ": frames were dropped: " + run);
        assertTrue(run.result().senderStats().retransmits() > 0,
                params + ": the drops were repaired by retransmission: " + run);
    }

    @Test
    @SuppressWarnings("try") // jnats' Connection.close() declares InterruptedException
    void framesDroppedAsSlowConsumerAreCountedAndRetransmitted(NatsTestServer server) throws Exception {
        // Force slow-consumer drops swp cannot prevent: a foreign publisher floods the
        // receiver's inbox subject while a tiny pending limit is in force. Every drop must
        // show in the counters, and the transfer must still arrive intact.
        NatsNetworkConfig tiny = NatsNetworkConfig.builder().pendingMessageLimit(64).pendingByteLimit(MIB).build();
        int floodMessages = 200_000;
        try (NatsNetwork a = NatsNetwork.connect(server.url());
                NatsNetwork b = NatsNetwork.connect(server.url(), tiny);
                Connection flooder = Nats.connect(server.url());
                Endpoint sender = Endpoint.open(a, "swp.it.flood.sender");
                Endpoint receiver = Endpoint.open(b, "swp.it.flood.receiver")) {
            AtomicBoolean flooding = new AtomicBoolean();
            CompletableFuture<Void> flood = new CompletableFuture<>();
            Transfers.Result r = Transfers.stream(sender, receiver, 8 * MIB, 7, received -> {
                if (flooding.compareAndSet(false, true)) {
                    CompletableFuture.runAsync(() -> {
                        byte[] junk = new byte[512];
                        for (int i = 0; i < floodMessages; i++) {
                            flooder.publish(receiver.localInbox(), junk);
                        }
                    }).whenComplete((v, e) -> flood.complete(null));
                }
            });
            flood.get(60, TimeUnit.SECONDS);
            System.out.printf("flooded inbox: %s; dispatcher dropped %d, slow-consumer events %d, sender retransmits %d,"
                    + " malformed dropped by the endpoint %d%n", r, b.droppedFrames(),
                    b.events().orElseThrow().slowConsumerEvents(), r.senderStats().retransmits(),
                    receiver.stats().malformedFramesDropped());
            assertTrue(r.identical(), r.toString());
            assertTrue(b.droppedFrames() > 0, "the flood overran the tiny pending limit");
            assertTrue(b.events().orElseThrow().slowConsumerEvents() > 0, "slow consumer reported");
            assertTrue(receiver.stats().malformedFramesDropped() > 0, "junk frames were counted and dropped");
        }
    }

    private record SlowRun(Transfers.Result result, long dropped, long slowConsumerEvents, long maxPendingBytes,
            long limitBytes, long injectedDrops) {
        @Override
        public String toString() {
            return String.format("%s; dispatcher dropped %d (%d slow-consumer events), max pending %d of %d bytes,"
                    + " injected drops %d, sender retransmits %d", result, dropped, slowConsumerEvents, maxPendingBytes,
                    limitBytes, injectedDrops, result.senderStats().retransmits());
        }
    }

    /**
     * @param senderLoss impairments of the sender's outbound frames, or null for none
     * @param seed the seed of those impairments
     */
    private static SlowRun slowReader(NatsTestServer server, NatsNetworkConfig receiverLimits, long bytes,
            Impairments senderLoss, long seed) throws Exception {
        try (NatsNetwork a = NatsNetwork.connect(server.url());
                NatsNetwork b = NatsNetwork.connect(server.url(), receiverLimits);
                LossyNetwork lossyA = senderLoss == null ? null
                        : LossyNetwork.builder(a).outbound(senderLoss).seed(seed).closeDelegate(false).build();
                Endpoint sender = Endpoint.open(lossyA == null ? a : lossyA, "swp.it.slow.sender");
                Endpoint receiver = Endpoint.open(b, "swp.it.slow.receiver")) {
            AtomicLong maxPendingBytes = new AtomicLong();
            AtomicLong lastPause = new AtomicLong();
            Transfers.Result r = Transfers.stream(sender, receiver, bytes, 3, received -> {
                maxPendingBytes.accumulateAndGet(b.dispatcher().getPendingByteCount(), Math::max);
                // The application stalls for 20 ms after every 512 KiB it reads (a slow disk,
                // a GC pause): a workload, not synchronisation.
                if (received - lastPause.get() >= MIB / 2) {
                    lastPause.set(received);
                    pause(20);
                }
            });
            SlowRun run = new SlowRun(r, b.droppedFrames(), b.events().orElseThrow().slowConsumerEvents(),
                    maxPendingBytes.get(), receiverLimits.pendingByteLimit(),
                    lossyA == null ? 0 : lossyA.outboundStats().dropped());
            System.out.println("slow reader through swp: " + run);
            return run;
        }
    }

    @Test
    void twentyPercentLossOverRealNatsCompletes(NatsTestServer server) throws Exception {
        long seed = Long.getLong("swp.seed", 20_20);
        double loss = 0.20;
        try (NatsNetwork a = NatsNetwork.connect(server.url());
                NatsNetwork b = NatsNetwork.connect(server.url());
                LossyNetwork lossyA = LossyNetwork.wrap(a, Impairments.builder().lossRate(loss).build(), seed);
                LossyNetwork lossyB = LossyNetwork.wrap(b, Impairments.builder().lossRate(loss).build(), seed + 1);
                Endpoint sender = Endpoint.open(lossyA, "swp.it.lossy.sender");
                Endpoint receiver = Endpoint.open(lossyB, "swp.it.lossy.receiver")) {
            Transfers.Result r = Transfers.stream(sender, receiver, 8 * MIB, 4, n -> { });
            String params = "loss " + loss + " both ways, seeds " + seed + "/" + (seed + 1);
            System.out.println("20 % loss over nats-server (" + params + "): " + r);
            assertTrue(r.identical(), params + ": " + r);
            assertTrue(lossyA.outboundStats().dropped() > 0, params + ": loss was injected");
        }
    }

    @Test
    @SuppressWarnings("try") // jnats' Connection.close() declares InterruptedException
    void manySessionsAndEndpointsShareOneConnection(NatsTestServer server) throws Exception {
        int clients = 3;
        int sessionsPerClient = 3;
        long bytesPerSession = 2 * MIB;
        try (Connection connection = Nats.connect(NatsNetwork.optionsBuilder(server.url()).build());
                NatsNetwork shared = NatsNetwork.wrap(connection);
                Endpoint hub = Endpoint.open(shared, "swp.it.share.hub")) {
            List<Endpoint> endpoints = new ArrayList<>();
            List<CompletableFuture<String>> sent = new ArrayList<>();
            // A thread each: in the common pool (on a machine with more cores) readers
            // would queue behind writers that wait for them.
            ExecutorService threads = Executors.newCachedThreadPool();
            try {
                for (int c = 0; c < clients; c++) {
                    Endpoint client = Endpoint.open(shared, "swp.it.share.client" + c);
                    endpoints.add(client);
                    for (int s = 0; s < sessionsPerClient; s++) {
                        long seed = c * 100L + s;
                        sent.add(CompletableFuture.supplyAsync(() -> {
                            try (Session session = client.connect(hub.localInbox())) {
                                return Transfers.write(session.getOutputStream(), bytesPerSession, seed);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        }, threads));
                    }
                }
                assertEquals(1 + clients, shared.bindingCount(), "every endpoint bound on the one network");
                List<CompletableFuture<Long>> read = new ArrayList<>();
                for (int i = 0; i < clients * sessionsPerClient; i++) {
                    Session session = Transfers.accept(hub, sent);
                    read.add(CompletableFuture.supplyAsync(() -> {
                        try (session) {
                            return session.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }, threads));
                }
                for (CompletableFuture<String> f : sent) {
                    assertNotNull(f.get(60, TimeUnit.SECONDS));
                }
                for (CompletableFuture<Long> f : read) {
                    assertEquals(bytesPerSession, f.get(60, TimeUnit.SECONDS));
                }
                long framesThroughDispatcher = shared.dispatcher().getDeliveredCount();
                long payloadFrames = clients * sessionsPerClient * bytesPerSession / hub.sessionDefaults().maxPayloadBytes();
                System.out.printf("%d sessions over %d endpoints on one connection: %d frames via one dispatcher%n",
                        clients * sessionsPerClient, clients + 1, framesThroughDispatcher);
                assertTrue(framesThroughDispatcher >= payloadFrames, "all data went through the one dispatcher");
                assertEquals(0, shared.droppedFrames());
            } finally {
                endpoints.forEach(Endpoint::close);
                threads.shutdownNow();
            }
            assertEquals(Connection.Status.CONNECTED, connection.getStatus(), "the caller's connection stays open");
        }
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
