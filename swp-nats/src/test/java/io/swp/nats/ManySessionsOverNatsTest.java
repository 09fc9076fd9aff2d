package io.swp.nats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.Endpoint;
import io.swp.EndpointConfig;
import io.swp.Session;
import io.swp.SessionConfig;
import io.swp.nats.testing.NatsServerExtension;
import io.swp.nats.testing.NatsTestServer;
import io.swp.protocol.EngineStats;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Thousands of concurrent sessions between two endpoints on one NATS connection, with a
 * receive capacity (the client's pending byte limit) smaller than one frame per session:
 * capacity sharing by demand ({@code Demux.plan}) must let every session finish without
 * the pending limit ever overflowing (no frame dropped by the NATS client).
 */
@ExtendWith(NatsServerExtension.class)
class ManySessionsOverNatsTest {
    private static final long MIB = 1024 * 1024;

    /** Live threads a run may peak at: the two loops, the NATS client's, the readers and JUnit's, not one per session. */
    private static final int MAX_THREADS = 40;

    /**
     * What one run measured; the inbound queue drops are the receiver's and the sender's
     * (which takes the receiver's ACKs, window updates and keepalives).
     */
    private record Result(int sessions, int bytesEach, long millis, long peakHeapMiB, int peakThreads,
                          long transportDrops, long budgetDrops, long queueDrops, long senderQueueDrops) {
    }

    /** Checks what every run must hold: no frame dropped by the NATS client or by either inbound queue, few threads. */
    private static void assertHonestPeersLoseNothing(Result r) {
        assertEquals(0, r.transportDrops(), "the NATS client's pending limit overflowed: " + r);
        assertEquals(0, r.queueDrops(), "the receiver's inbound queue dropped frames: " + r);
        assertEquals(0, r.senderQueueDrops(), "the sender's inbound queue dropped frames: " + r);
        assertEquals(0, r.budgetDrops(), "a peer was let past its share: " + r);
        assertTrue(r.peakThreads() <= MAX_THREADS, "threads grow with sessions: " + r);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void twoThousandSessionsOnOneConnectionAllFinishWithinThePendingLimit(NatsTestServer server) throws Exception {
        // 8 MiB of pending bytes for 2,000 sessions of 16 KiB frames: a quarter of a frame each.
        assertHonestPeersLoseNothing(run(server, 2_000, 16 * 1024, 8 * MIB));
    }

    @Test
    @Tag("benchmark")
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void tenThousandSessionsOf64KiBOnOneConnection(NatsTestServer server) throws Exception {
        int sessions = Integer.getInteger("swp.bench.sessions", 10_000);
        // The default pending byte limit (64 MiB in a large heap): about 3,900 frames for 10,000 sessions.
        assertHonestPeersLoseNothing(run(server, sessions, 64 * 1024, NatsNetworkConfig.defaults().pendingByteLimit()));
    }

    private static Result run(NatsTestServer server, int sessions, int bytesEach, long pendingBytes)
            throws Exception {
        NatsNetworkConfig netConfig = NatsNetworkConfig.builder().pendingByteLimit(pendingBytes).build();
        EndpointConfig config = EndpointConfig.builder().acceptBacklog(sessions).maxSessions(sessions + 16)
                .maxSessionsPerPeer(sessions).build();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        AtomicLong peakHeap = new AtomicLong();
        AtomicLong peakThreads = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        try (NatsNetwork net = NatsNetwork.connect(server.url(), netConfig);
             Endpoint b = Endpoint.open(net, "many.b", config);
             Endpoint a = Endpoint.open(net, "many.a", config)) {
            try {
                long start = System.nanoTime();
                List<CompletableFuture<Session>> accepted = new ArrayList<>();
                for (int i = 0; i < sessions; i++) {
                    accepted.add(b.acceptAsync());
                }
                List<Session> out = new ArrayList<>();
                int batch = 1_000; // within the acceptor's reply burst (2,000), so no SYN is rate-limited
                for (int i = 0; i < sessions; i += batch) {
                    List<CompletableFuture<Session>> connects = new ArrayList<>();
                    for (int j = i; j < Math.min(sessions, i + batch); j++) {
                        connects.add(a.connectAsync("many.b", SessionConfig.defaults()));
                    }
                    for (CompletableFuture<Session> c : connects) {
                        out.add(c.get(60, TimeUnit.SECONDS));
                    }
                }
                List<Session> in = new ArrayList<>();
                for (CompletableFuture<Session> f : accepted) {
                    in.add(f.get(60, TimeUnit.SECONDS));
                }
                long connectMillis = (System.nanoTime() - start) / 1_000_000;
                CompletableFuture<Void> watch = CompletableFuture.runAsync(() -> {
                    while (running.get()) {
                        peakHeap.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                        peakThreads.accumulateAndGet(Thread.activeCount(), Math::max);
                        LockSupport.parkNanos(10_000_000);
                    }
                });
                byte[] data = new byte[bytesEach];
                for (int i = 0; i < bytesEach; i++) {
                    data[i] = (byte) (i * 31 + 7);
                }
                for (Session s : out) {
                    s.getOutputStream().write(data); // queued: the send buffer holds it, nothing blocks
                }
                // Two readers take whatever each session has: the application of 10,000
                // sessions cannot be 10,000 threads.
                int readers = 2;
                List<CompletableFuture<Long>> reads = new ArrayList<>();
                for (int r = 0; r < readers; r++) {
                    List<Session> mine = new ArrayList<>();
                    for (int i = r; i < in.size(); i += readers) {
                        mine.add(in.get(i));
                    }
                    reads.add(CompletableFuture.supplyAsync(() -> readAll(mine, bytesEach, data)));
                }
                long total = 0;
                for (CompletableFuture<Long> f : reads) {
                    total += f.get(15, TimeUnit.MINUTES);
                }
                long millis = (System.nanoTime() - start) / 1_000_000;
                running.set(false);
                watch.get(10, TimeUnit.SECONDS);
                assertEquals((long) sessions * bytesEach, total, "every session's data arrived");
                Result r = new Result(sessions, bytesEach, millis, peakHeap.get() / MIB, (int) peakThreads.get(),
                        net.droppedFrames(), b.stats().budgetDrops(), b.stats().inboundQueueDrops(),
                        a.stats().inboundQueueDrops());
                System.out.printf("%d sessions on one NATS connection, %d KiB each, pending limit %d MiB: %d ms "
                        + "(connects included: %d ms), peak heap %d MiB, peak live threads %d, transport drops %d, "
                        + "budget drops %d, inbound queue drops %d at the receiver and %d at the sender (frames merged "
                        + "into a waiting one: %d and %d)%n", sessions, bytesEach / 1024, pendingBytes / MIB, millis, connectMillis,
                        r.peakHeapMiB(), r.peakThreads(), r.transportDrops(), r.budgetDrops(), r.queueDrops(),
                        r.senderQueueDrops(), b.stats().inboundFramesMerged(), a.stats().inboundFramesMerged());
                printRetransmissions(out, in, b);
                // Closing every session gracefully, both sides at once: a shutdown must not cost
                // a visit to every session at every step.
                long closeStart = System.nanoTime();
                CompletableFuture.allOf(a.closeAsync(), b.closeAsync()).get(5, TimeUnit.MINUTES);
                System.out.printf("closed both endpoints (%d sessions) in %d ms%n", sessions,
                        (System.nanoTime() - closeStart) / 1_000_000);
                return r;
            } catch (Exception | Error e) {
                // Closing 2,000 sessions gracefully after a failure can outlast the timeout,
                // which would then be all the report shows: say what failed first.
                System.out.println("failed before closing the endpoints: " + e);
                e.printStackTrace(System.out);
                throw e;
            }
        } finally {
            running.set(false);
        }
    }

    /**
     * Prints what the senders resent and why, and what became of the copies at the
     * receiver: on a path that loses nothing, every retransmission is one a round trip
     * longer than the sender's estimate (queueing at the loaded loops) caused.
     */
    private static void printRetransmissions(List<Session> senders, List<Session> receivers, Endpoint receiver) {
        long retransmits = 0;
        long probes = 0;
        long timeouts = 0;
        long spuriousTimeouts = 0;
        for (Session s : senders) {
            EngineStats st = s.stats();
            retransmits += st.retransmits();
            probes += st.tailLossProbes();
            timeouts += st.timeouts();
            spuriousTimeouts += st.spuriousTimeouts();
        }
        long duplicates = 0;
        for (Session s : receivers) {
            duplicates += s.stats().duplicatesDropped();
        }
        System.out.printf("senders: %d retransmissions, %d tail-loss probes, %d timeouts (%d shown spurious); "
                + "receivers: %d duplicates reached the sessions, %d copies were stripped of their payload on arrival%n", retransmits, probes,
                timeouts, spuriousTimeouts, duplicates, receiver.stats().inboundDuplicatesStripped());
    }

    /** Reads every session to {@code bytesEach}, polling each for what is available; checks the bytes. */
    private static long readAll(List<Session> sessions, int bytesEach, byte[] expected) {
        int[] got = new int[sessions.size()];
        byte[] buf = new byte[64 * 1024];
        int done = 0;
        long total = 0;
        try {
            while (done < sessions.size()) {
                boolean progress = false;
                for (int i = 0; i < sessions.size(); i++) {
                    if (got[i] == bytesEach) {
                        continue;
                    }
                    InputStream s = sessions.get(i).getInputStream();
                    int n = s.available();
                    if (n > 0) {
                        int r = s.read(buf, 0, Math.min(n, Math.min(buf.length, bytesEach - got[i])));
                        for (int k = 0; k < r; k++) {
                            if (buf[k] != expected[got[i] + k]) {
                                throw new AssertionError("session " + i + " byte " + (got[i] + k) + " differs");
                            }
                        }
                        got[i] += r;
                        total += r;
                        progress = true;
                        if (got[i] == bytesEach) {
                            done++;
                        }
                    }
                }
                if (!progress) {
                    LockSupport.parkNanos(200_000); // nothing readable: the loop is still delivering
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return total;
    }
}
