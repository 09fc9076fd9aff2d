package io.swp.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.Endpoint;
import io.swp.EndpointConfig;
import io.swp.EndpointStats;
import io.swp.Session;
import io.swp.SessionConfig;
import io.swp.sim.Impairments;
import io.swp.sim.PatternData;
import io.swp.sim.SteppedEndpoints;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Capacity shared by demand ({@code Demux.plan}), with real endpoints in virtual time:
 * thousands of sessions whose shares are below one frame all finish within the receiving
 * endpoint's inbound queue and memory budget, and silent sessions do not slow an honest
 * transfer.
 */
class CapacitySharingTest {
    private static final long SEED = 0x5EED_0012L;
    private static final Duration LATENCY = Duration.ofMillis(1);
    private static final Impairments LINK = Impairments.builder().latency(LATENCY).build();

    private static byte[] pattern(long seed, int length) {
        byte[] b = new byte[length];
        PatternData.fill(seed, 0, b, 0, length);
        return b;
    }

    /** {@code length} bytes of pattern {@code tag}, the tag in the first four. */
    private static byte[] tagged(int tag, int length) {
        byte[] b = pattern(tag, length);
        java.nio.ByteBuffer.wrap(b).putInt(tag);
        return b;
    }

    private static SteppedEndpoints world() {
        SteppedEndpoints w = new SteppedEndpoints(SEED);
        w.network().impair("a", LINK);
        w.network().impair("b", LINK);
        return w;
    }

    /** The receiving application: reads whatever each session has, as a stepped test must (never blocking). */
    private static final class Readers {
        final List<Session> sessions = new ArrayList<>();
        final List<ByteArrayOutputStream> got = new ArrayList<>();

        void add(Session s) {
            sessions.add(s);
            got.add(new ByteArrayOutputStream());
        }

        long drain() {
            long total = 0;
            byte[] buf = new byte[64 * 1024];
            try {
                for (int i = 0; i < sessions.size(); i++) {
                    InputStream in = sessions.get(i).getInputStream();
                    int n;
                    while ((n = in.available()) > 0) {
                        int r = in.read(buf, 0, Math.min(n, buf.length));
                        got.get(i).write(buf, 0, r);
                    }
                    total += got.get(i).size();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return total;
        }
    }

    /**
     * Connects {@code n} sessions from a to b, b accepting each; returns {a's, b's} lists.
     */
    private static List<List<Session>> connectMany(SteppedEndpoints w, Endpoint a, Endpoint b, int n,
                                                   SessionConfig config) {
        List<CompletableFuture<Session>> outs = new ArrayList<>();
        List<CompletableFuture<Session>> ins = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ins.add(b.acceptAsync());
        }
        // Within the reply rate limit's burst, so no SYN waits for a retry; the acceptor's
        // backlog is raised by the callers, since a batch's handshakes all complete in one step.
        int batch = 500;
        for (int i = 0; i < n; i += batch) {
            for (int j = i; j < Math.min(n, i + batch); j++) {
                outs.add(a.connectAsync("b", config));
            }
            int upTo = outs.size();
            assertTrue(w.runUntil(() -> outs.subList(0, upTo).stream().allMatch(CompletableFuture::isDone),
                    Duration.ofSeconds(30)), "handshakes");
        }
        assertTrue(w.runUntil(() -> ins.stream().allMatch(CompletableFuture::isDone), Duration.ofSeconds(30)),
                () -> "accepts: " + ins.stream().filter(CompletableFuture::isDone).count() + " of " + n + ", connects "
                        + outs.stream().filter(f -> !f.isCompletedExceptionally()).count() + " ok, first "
                        + outs.get(0) + " " + a.stats() + " " + b.stats());
        return List.of(outs.stream().map(CompletableFuture::join).toList(),
                ins.stream().map(CompletableFuture::join).toList());
    }

    @Test
    void twoThousandSessionsWithSharesBelowOneFrameAllFinishWithinTheQueueAndTheBudget() throws Exception {
        int sessions = 2_000;
        int each = 8 * 1024;
        int payload = 1024;
        SessionConfig config = SessionConfig.builder().maxPayloadBytes(payload).build();
        // An inbound queue (the transport's pending limit) of 512 KiB for 2,000 sessions:
        // after room for a control frame each (a probe from every session at once), about
        // 240 frames of data, a share of an eighth of a frame each. Frames are counted
        // generously, as NATS's pending limit does; the bytes are what is scarce.
        EndpointConfig tight = EndpointConfig.builder().sessionDefaults(config).acceptBacklog(4096)
                .maxQueuedInboundFrames(8 * sessions).maxQueuedInboundBytes(512L * 1024)
                .memoryBudgetBytes(1024 * 1024).build();
        try (SteppedEndpoints w = world()) {
            Endpoint a = w.open("a", EndpointConfig.builder().sessionDefaults(config).build());
            Endpoint b = w.open("b", tight);
            List<List<Session>> pairs = connectMany(w, a, b, sessions, config);
            long dropsAtConnect = b.stats().inboundQueueDrops();
            Readers readers = sendTagged(pairs, each);
            long budget = b.sessionMemoryBudget();
            long[] peak = {0};
            boolean done = w.runUntil(() -> {
                EndpointStats s = b.stats();
                peak[0] = Math.max(peak[0], s.bufferedInboundBytes());
                assertTrue(s.bufferedInboundBytes() <= budget, "over the budget: " + s);
                return readers.drain() == (long) sessions * each;
            }, Duration.ofMinutes(2));
            EndpointStats s = b.stats();
            assertTrue(done, "not every session finished in 2 virtual minutes: " + readers.drain() + " of "
                    + (long) sessions * each + " bytes, " + s);
            assertEachGotOneSendersData(readers, sessions, each);
            assertEquals(0, s.inboundQueueDrops(), "the inbound queue (the pending limit) overflowed: " + s
                    + ", at connect " + dropsAtConnect);
            assertEquals(0, s.budgetDrops(), "a peer was let past its share: " + s);
            assertTrue(peak[0] <= budget);
        }
    }

    @Test
    void slowLoopsNeverDropAnHonestPeersFramesAtTheInboundQueue() throws Exception {
        // Both loops step only every 100 ms, as a loop busy with 10,000 sessions may:
        // whatever the peer sends meanwhile (data, ACKs, window updates, probes,
        // keepalives) waits in the queue. Before control frames were coalesced and kept
        // room for, the receiver's queue dropped 11,227 frames here.
        SmallQueues run = SmallQueues.run((w, a, b) -> {
            w.stepEvery(a, Duration.ofMillis(100));
            w.stepEvery(b, Duration.ofMillis(100));
        }, Duration.ofMinutes(5));
        assertEquals(0, run.sender().inboundQueueDrops(), "the sender's inbound queue dropped: " + run);
        assertEquals(0, run.receiver().inboundQueueDrops(), "the receiver's inbound queue dropped: " + run);
        assertEquals(0, run.receiver().budgetDrops(), run.toString());
    }

    @Test
    void aLoopThatStallsRightAfterGrantingInTurnsStillDeliversEveryByte() throws Exception {
        // Here the receiver's loop steps freely for 30 ms of every 100 and then stalls,
        // and a grant takes a 30 ms round trip to come back as data: the frames granted in
        // three rotation slots arrive while the loop stalls, more than the half of the
        // queue that rotation keeps back for frames in flight. That overflow is accepted
        // (docs/sessions.md, "Capacity sharing": bounding what is in flight by the room
        // made 10,000 sessions 40 % slower); what must hold is that the frames dropped at
        // the queue are repaired like any loss, and nothing else is refused.
        Impairments slow = Impairments.builder().latency(Duration.ofMillis(15)).build();
        long cycle = Duration.ofMillis(100).toNanos();
        long stepping = Duration.ofMillis(30).toNanos();
        SmallQueues run = SmallQueues.run((w, a, b) -> {
            w.network().impair("a", slow);
            w.network().impair("b", slow);
            w.stepOn(b, t -> {
                long r = Math.floorMod(t, cycle);
                return r < stepping ? t : t - r + cycle;
            });
        }, Duration.ofMinutes(2));
        assertEquals(0, run.receiver().budgetDrops(), run.toString());
        assertEquals(0, run.sender().inboundQueueDrops(), "the sender's loop never stalls: " + run);
        assertTrue(run.receiver().inboundQueueDrops() > 0, "the receiver's queue no longer overflows here, so this"
                + " no longer tests the repair: if the sharing now bounds what is in flight, make this a"
                + " zero-drop test and update docs/sessions.md; " + run);
    }

    /**
     * A run of 1,000 sessions from a to b, 8 KiB each in frames of 1 KiB, whose inbound
     * queues hold 8 frames and 1 KiB per session: after the allowance for control frames
     * (three of 128 bytes per session) about 0.6 of a data frame per session, so the
     * receiver's grants rotate. Every session must finish with its sender's bytes.
     *
     * @param sender what the sending endpoint saw
     * @param receiver what the receiving endpoint saw
     */
    private record SmallQueues(EndpointStats sender, EndpointStats receiver) {
        /** Slows the loops or the links once the sessions are connected. */
        interface Slowing {
            void apply(SteppedEndpoints w, Endpoint a, Endpoint b);
        }

        static SmallQueues run(Slowing slowing, Duration limit) throws IOException {
            int sessions = 1_000;
            int each = 8 * 1024;
            SessionConfig config = SessionConfig.builder().maxPayloadBytes(1024).build();
            EndpointConfig small = EndpointConfig.builder().sessionDefaults(config).acceptBacklog(4096)
                    .maxQueuedInboundFrames(8 * sessions).maxQueuedInboundBytes(1024L * sessions)
                    .memoryBudgetBytes(1024 * 1024).build();
            try (SteppedEndpoints w = world()) {
                Endpoint a = w.open("a", small);
                Endpoint b = w.open("b", small);
                List<List<Session>> pairs = connectMany(w, a, b, sessions, config);
                slowing.apply(w, a, b);
                Readers readers = sendTagged(pairs, each);
                boolean done = w.runUntil(() -> readers.drain() == (long) sessions * each, limit);
                SmallQueues run = new SmallQueues(a.stats(), b.stats());
                assertTrue(done, "not every session finished in " + limit + " of virtual time: " + readers.drain()
                        + " of " + (long) sessions * each + " bytes, " + run);
                assertEachGotOneSendersData(readers, sessions, each);
                return run;
            }
        }
    }

    /**
     * Starts reading every accepted session and writes {@code each} tagged bytes into
     * every connected one.
     */
    private static Readers sendTagged(List<List<Session>> pairs, int each) throws IOException {
        Readers readers = new Readers();
        pairs.get(1).forEach(readers::add);
        for (int i = 0; i < pairs.get(0).size(); i++) {
            pairs.get(0).get(i).getOutputStream().write(tagged(i, each));
        }
        return readers;
    }

    /** Each accepted session got one sender's tagged bytes, whole, and no sender's twice. */
    private static void assertEachGotOneSendersData(Readers readers, int sessions, int each) {
        java.util.BitSet seen = new java.util.BitSet();
        for (int i = 0; i < sessions; i++) {
            byte[] got = readers.got.get(i).toByteArray();
            int tag = java.nio.ByteBuffer.wrap(got).getInt(); // accepts need not come in connect order
            assertArrayEquals(tagged(tag, each), got, "accepted session " + i);
            seen.set(tag);
        }
        assertEquals(sessions, seen.cardinality(), "each sender's data arrived once");
    }

    /** Virtual time an honest 8 MiB transfer (eight memory budgets) takes with {@code silent} idle sessions beside it. */
    private static long honestTransferNanos(int silent) throws IOException {
        SessionConfig config = SessionConfig.defaults();
        EndpointConfig receiver = EndpointConfig.builder().acceptBacklog(4096).memoryBudgetBytes(1024L * 1024)
                .build();
        int size = 8 * 1024 * 1024; // fits the sender's buffer: a stepped test must not block
        try (SteppedEndpoints w = world()) {
            Endpoint a = w.open("a", EndpointConfig.defaults());
            Endpoint b = w.open("b", receiver);
            connectMany(w, a, b, silent, config); // connect, then say nothing
            List<List<Session>> honest = connectMany(w, a, b, 1, config);
            w.runFor(Duration.ofSeconds(1));
            Readers readers = new Readers();
            readers.add(honest.get(1).get(0));
            byte[] data = pattern(7, size);
            long start = w.now();
            honest.get(0).get(0).getOutputStream().write(data);
            assertTrue(w.runUntil(() -> readers.drain() == size, Duration.ofMinutes(10)), "honest transfer");
            long took = w.now() - start;
            assertArrayEquals(data, readers.got.get(0).toByteArray());
            assertEquals(0, b.stats().budgetDrops());
            return took;
        }
    }

    @Test
    void twoHundredSilentSessionsDoNotSlowAnHonestTransfer() throws Exception {
        long alone = honestTransferNanos(0);
        long beside = honestTransferNanos(200);
        // Stated factor: at most 3x. The transfer is eight budgets long, so its time is set
        // by the window it is given. Beside silent sessions it starts idle with a closed
        // grant and first waits for its window probe (the minimum RTO, 20 ms) to show
        // demand; then it gets three quarters of the room. An even split gave it 1/201 of
        // the budget, less than a frame: one frame per round trip, some 30x as long.
        assertTrue(beside <= alone * 3, "alone " + Duration.ofNanos(alone) + ", beside 200 silent sessions "
                + Duration.ofNanos(beside));
    }
}
