package io.swp.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.Endpoint;
import io.swp.EndpointConfig;
import io.swp.Session;
import io.swp.SessionConfig;
import io.swp.SessionException;
import io.swp.protocol.CloseReason;
import io.swp.protocol.EngineState;
import io.swp.protocol.Frame;
import io.swp.protocol.FrameCodec;
import io.swp.protocol.FrameKind;
import io.swp.sim.Impairments;
import io.swp.sim.SteppedEndpoints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Session-level timeouts of real endpoints, stepped in virtual time over a simulated
 * network: every duration is asserted to the millisecond, with no sleeps and no wall
 * clock, and a minute of protocol time takes milliseconds.
 */
class VirtualTimeEndpointTest {
    private static final long SEED = 0x5EED_0009L;
    private static final Duration LATENCY = Duration.ofMillis(5);
    private static final long MS = 1_000_000L;
    private static final Impairments LINK = Impairments.builder().latency(LATENCY).build();
    private static final Impairments CUT = Impairments.builder().latency(LATENCY)
            .blackHole(Impairments.BlackHole.forever(Duration.ZERO)).build();

    private static SteppedEndpoints world() {
        SteppedEndpoints w = new SteppedEndpoints(SEED);
        w.network().impair("a", LINK);
        w.network().impair("b", LINK);
        return w;
    }

    /** A connected pair: a's outgoing session and b's accepted one. */
    private record Pair(Session a, Session b) {
    }

    private static Pair connect(SteppedEndpoints w, Endpoint a, Endpoint b, SessionConfig config) {
        CompletableFuture<Session> out = a.connectAsync("b", config);
        CompletableFuture<Session> in = b.acceptAsync();
        assertTrue(w.runUntil(() -> out.isDone() && in.isDone(), Duration.ofSeconds(5)), "handshake");
        return new Pair(out.join(), in.join());
    }

    @Test
    void connectTimesOutExactlyAtTheConnectTimeout() throws Exception {
        try (SteppedEndpoints w = world()) {
            Endpoint a = w.open("a", EndpointConfig.defaults());
            long start = w.now();
            CompletableFuture<Session> f = a.connectAsync("nobody", SessionConfig.defaults());
            assertTrue(w.runUntil(f::isDone, Duration.ofMinutes(1)));
            SessionException e = assertInstanceOf(SessionException.class, cause(f));
            assertEquals(CloseReason.CONNECT_TIMEOUT, e.reason());
            assertTrue(e.getMessage().contains("nobody") && e.getMessage().contains("timed out"), e.getMessage());
            assertEquals(SessionConfig.defaults().connectTimeoutNanos(), w.now() - start);
            assertEquals(0, a.sessionCount(), "the failed session left the endpoint");
        }
    }

    @Test
    void aRefusedConnectFailsAfterOneRoundTrip() throws Exception {
        try (SteppedEndpoints w = world()) {
            Endpoint a = w.open("a", EndpointConfig.defaults());
            Endpoint b = w.open("b", EndpointConfig.defaults());
            b.setAccepting(false);
            long start = w.now();
            CompletableFuture<Session> f = a.connectAsync("b", SessionConfig.defaults());
            assertTrue(w.runUntil(f::isDone, Duration.ofMinutes(1)));
            assertEquals(CloseReason.RESET_BY_PEER, assertInstanceOf(SessionException.class, cause(f)).reason());
            assertEquals(2 * LATENCY.toNanos(), w.now() - start);
            assertEquals(1, b.stats().synsRefused());
            assertEquals(1, b.stats().resetsSent());
        }
    }

    @Test
    void aSilentPeerIsDeclaredDeadAtTheKeepaliveBound() throws Exception {
        SessionConfig config = SessionConfig.defaults();
        try (SteppedEndpoints w = world()) {
            Endpoint a = w.open("a", EndpointConfig.defaults());
            Endpoint b = w.open("b", EndpointConfig.defaults());
            Pair p = connect(w, a, b, config);
            CompletableFuture<CloseReason> closed = p.a().closeFuture();
            w.runFor(Duration.ofSeconds(3)); // keepalives flow both ways: nobody dies
            assertFalse(closed.isDone());
            w.network().impair("a", CUT);
            long cutAt = w.now();
            assertTrue(w.runUntil(closed::isDone, Duration.ofMinutes(5)));
            assertEquals(CloseReason.PEER_DEAD, closed.join());
            long dead = w.now() - cutAt;
            // Heard last at most one keepalive interval (plus a round trip) before the cut,
            // or one latency after it (frames already on the wire still arrive).
            assertTrue(dead <= config.deadPeerNanos() + LATENCY.toNanos() && dead >= config.deadPeerNanos()
                    - config.keepaliveIntervalNanos() - 2 * LATENCY.toNanos(), "dead after " + Duration.ofNanos(dead));
        }
    }

    @Test
    void closeResetsTheSessionWhenItsDataStaysUnacknowledgedForTheCloseTimeout() throws Exception {
        SessionConfig config = SessionConfig.builder().closeTimeout(Duration.ofSeconds(7)).build();
        try (SteppedEndpoints w = world()) {
            Endpoint a = w.open("a", EndpointConfig.withSessionDefaults(config));
            Endpoint b = w.open("b", EndpointConfig.withSessionDefaults(config));
            Pair p = connect(w, a, b, config);
            w.network().impair("b", CUT);
            p.a().getOutputStream().write(new byte[1000]);
            long closeAt = w.now();
            CompletableFuture<CloseReason> closed = p.a().closeAsync();
            assertTrue(w.runUntil(closed::isDone, Duration.ofMinutes(1)));
            assertEquals(CloseReason.CLOSE_TIMEOUT, closed.join());
            assertEquals(config.closeTimeoutNanos(), w.now() - closeAt);
        }
    }

    @Test
    void theSideThatClosesFirstLingersInTimeWaitForTheConfiguredTime() throws Exception {
        SessionConfig config = SessionConfig.builder().timeWait(Duration.ofSeconds(3)).build();
        try (SteppedEndpoints w = world()) {
            Endpoint a = w.open("a", EndpointConfig.withSessionDefaults(config));
            Endpoint b = w.open("b", EndpointConfig.withSessionDefaults(config));
            Pair p = connect(w, a, b, config);
            CompletableFuture<CloseReason> aClosed = p.a().closeAsync();
            assertTrue(w.runUntil(() -> p.b().state() == EngineState.CLOSE_WAIT, Duration.ofSeconds(5)));
            CompletableFuture<CloseReason> bClosed = p.b().closeAsync();
            assertTrue(w.runUntil(() -> p.a().state() == EngineState.TIME_WAIT, Duration.ofSeconds(5)));
            long timeWaitFrom = w.now();
            assertTrue(w.runUntil(bClosed::isDone, Duration.ofSeconds(5)));
            assertEquals(CloseReason.NORMAL, bClosed.join());
            assertFalse(aClosed.isDone(), "still in TIME_WAIT");
            assertTrue(w.runUntil(aClosed::isDone, Duration.ofMinutes(1)));
            assertEquals(CloseReason.NORMAL, aClosed.join());
            assertEquals(config.timeWaitNanos(), w.now() - timeWaitFrom);
            assertEquals(0, a.sessionCount());
            assertEquals(0, b.sessionCount());
        }
    }

    @Test
    void endpointShutdownWaitsTheLingerForPeersThatDoNotFinishThenResetsThem() throws Exception {
        EndpointConfig config = EndpointConfig.builder().shutdownLinger(Duration.ofMillis(1500)).build();
        try (SteppedEndpoints w = world()) {
            Endpoint a = w.open("a", config);
            Endpoint b = w.open("b", config);
            Pair p = connect(w, a, b, SessionConfig.defaults());
            CompletableFuture<CloseReason> bClosed = p.b().closeFuture();
            long closeAt = w.now();
            CompletableFuture<Void> shutdown = a.closeAsync();
            assertTrue(w.runUntil(shutdown::isDone, Duration.ofMinutes(1)));
            // Our FIN is acknowledged after one round trip; then the linger runs out
            // because b never sends its FIN.
            assertEquals(2 * LATENCY.toNanos() + config.shutdownLingerNanos(), w.now() - closeAt);
            assertTrue(w.runUntil(bClosed::isDone, Duration.ofSeconds(1)));
            assertEquals(CloseReason.RESET_BY_PEER, bClosed.join());
            assertTrue(a.isTerminated());
        }
    }

    @Test
    void endpointShutdownIsCleanWhenPeersFinishWithinTheLinger() throws Exception {
        try (SteppedEndpoints w = world()) {
            Endpoint a = w.open("a", EndpointConfig.defaults());
            Endpoint b = w.open("b", EndpointConfig.defaults());
            Pair p = connect(w, a, b, SessionConfig.defaults());
            CompletableFuture<CloseReason> aClosed = p.a().closeFuture();
            CompletableFuture<CloseReason> bClosed = p.b().closeFuture();
            CompletableFuture<Void> shutdown = a.closeAsync();
            // b's application closes when it sees the end of a's stream.
            assertTrue(w.runUntil(() -> {
                if (p.b().state() == EngineState.CLOSE_WAIT) {
                    p.b().closeAsync();
                }
                return shutdown.isDone();
            }, Duration.ofMinutes(1)));
            assertEquals(CloseReason.NORMAL, aClosed.join());
            assertTrue(w.runUntil(bClosed::isDone, Duration.ofSeconds(1)));
            assertEquals(CloseReason.NORMAL, bClosed.join());
            assertTrue(assertInstanceOf(IOException.class, cause(a.acceptAsync())).getMessage().contains("closed"));
        }
    }

    @Test
    void sessionLimitsRefuseConnectsAndSynsBeyondThem() throws Exception {
        EndpointConfig two = EndpointConfig.builder().maxSessionsPerPeer(2).build();
        try (SteppedEndpoints w = world()) {
            Endpoint a = w.open("a", two);
            Endpoint b = w.open("b", EndpointConfig.builder().maxSessions(1).build());
            Pair first = connect(w, a, b, SessionConfig.defaults());
            // b holds one session: a second SYN is refused at once.
            CompletableFuture<Session> second = a.connectAsync("b", SessionConfig.defaults());
            assertTrue(w.runUntil(second::isDone, Duration.ofSeconds(5)));
            assertEquals(CloseReason.RESET_BY_PEER, assertInstanceOf(SessionException.class, cause(second)).reason());
            assertEquals(1, b.stats().synsRefused());
            // a may hold two sessions with b: the third connect fails before sending anything.
            CompletableFuture<Session> third = a.connectAsync("b", SessionConfig.defaults());
            CompletableFuture<Session> fourth = a.connectAsync("b", SessionConfig.defaults());
            assertTrue(w.runUntil(() -> fourth.isDone(), Duration.ofSeconds(30)));
            IOException refused = assertInstanceOf(IOException.class, cause(fourth));
            assertTrue(refused.getMessage().contains("session limit"), refused.getMessage());
            assertFalse(first.a().closeFuture().isDone());
            third.cancel(false);
        }
    }

    @Test
    void theMemoryBudgetBoundsWhatAllSessionsTogetherHoldForASlowApplication() throws Exception {
        int sessions = 8;
        int bytes = 512 * 1024;
        long budget = 256 * 1024;
        EndpointConfig small = EndpointConfig.builder().memoryBudgetBytes(budget).build();
        try (SteppedEndpoints w = world()) {
            Endpoint a = w.open("a", EndpointConfig.defaults());
            Endpoint b = w.open("b", small);
            List<Pair> pairs = new ArrayList<>();
            for (int i = 0; i < sessions; i++) {
                Pair p = connect(w, a, b, SessionConfig.defaults());
                p.a().getOutputStream().write(payload(i, bytes));
                p.a().shutdownOutput();
                pairs.add(p);
            }
            // Nobody reads at b: its sessions fill up to what the budget lets them advertise.
            long[] peak = {0};
            w.runUntil(() -> {
                peak[0] = Math.max(peak[0], b.stats().bufferedInboundBytes());
                return false;
            }, Duration.ofSeconds(10));
            // An empty receive buffer always takes one frame (so no peer deadlocks): at most
            // one frame per session beyond the budget.
            long slack = (long) sessions * SessionConfig.defaults().maxPayloadBytes();
            assertTrue(peak[0] > budget / 2 && peak[0] <= budget + slack, "peak " + peak[0] + " of budget " + budget);
            // Then the application reads, and everything arrives intact.
            byte[][] got = new byte[sessions][bytes];
            int[] n = new int[sessions];
            assertTrue(w.runUntil(() -> {
                boolean all = true;
                for (int i = 0; i < sessions; i++) {
                    try {
                        int avail = pairs.get(i).b().getInputStream().available();
                        if (avail > 0) {
                            n[i] += pairs.get(i).b().getInputStream().read(got[i], n[i], Math.min(avail, bytes - n[i]));
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    all &= n[i] == bytes;
                }
                peak[0] = Math.max(peak[0], b.stats().bufferedInboundBytes());
                return all;
            }, Duration.ofMinutes(1)));
            for (int i = 0; i < sessions; i++) {
                assertArrayEquals(payload(i, bytes), got[i], "session " + i);
            }
            assertTrue(peak[0] <= budget + slack, "peak " + peak[0]);
        }
    }

    @Test
    void legitimateConnectsSucceedDuringAFloodOfTenThousandSynsPerSecond() throws Exception {
        try (SteppedEndpoints w = world()) {
            Endpoint a = w.open("a", EndpointConfig.defaults());
            Endpoint b = w.open("b", EndpointConfig.defaults());
            SplittableRandom rnd = new SplittableRandom(SEED);
            List<CompletableFuture<Session>> connects = new ArrayList<>();
            List<Long> startedAt = new ArrayList<>();
            long[] connectedAt = new long[20];
            int maxSessions = 0;
            long floodNanos = 10_000_000_000L;
            long gap = 100_000; // 10,000 SYNs per second
            for (long t = 0; t < floodNanos; t += gap) {
                w.runFor(Duration.ofNanos(gap));
                byte[] forged = FrameCodec.encode(Frame.builder(FrameKind.SYN).from("flood." + rnd.nextInt(1 << 20))
                        .to("b").srcNonce(rnd.nextLong() | 1).window(64, 1 << 20).tsVal(w.now()).build());
                w.network().send("b", forged);
                if (t % 500_000_000L == 0 && connects.size() < connectedAt.length) {
                    int i = connects.size();
                    CompletableFuture<Session> c = a.connectAsync("b", SessionConfig.defaults());
                    c.thenRun(() -> connectedAt[i] = w.now());
                    connects.add(c);
                    startedAt.add(w.now());
                    b.acceptAsync();
                }
                maxSessions = Math.max(maxSessions, b.sessionCount());
            }
            assertTrue(w.runUntil(() -> connects.stream().allMatch(CompletableFuture::isDone), Duration.ofSeconds(10)));
            long worst = 0;
            for (int i = 0; i < connects.size(); i++) {
                assertEquals(EngineState.ESTABLISHED, connects.get(i).join().state(), "connect " + i);
                worst = Math.max(worst, connectedAt[i] - startedAt.get(i));
            }
            assertEquals(20, connects.size());
            // Forged SYNs hold no state at all: each costs one reply.
            assertTrue(maxSessions <= connects.size(), "sessions peaked at " + maxSessions);
            assertTrue(b.stats().framesReceived() >= 100_000);
            System.out.printf("SYN flood 10,000/s for 10 s: %d legitimate connects, worst %d ms (virtual), "
                    + "peak %d sessions at the acceptor, %d resets, %d replies rate-limited%n", connects.size(),
                    worst / MS, maxSessions, b.stats().resetsSent(), b.stats().repliesRateLimited());
        }
    }

    @Test
    void aFrameFromAPeerTheEndpointDoesNotKnowCostsAtMostOneReplyAndNoStateOrTimer() throws Exception {
        try (SteppedEndpoints w = world()) {
            Endpoint b = w.open("b", EndpointConfig.defaults());
            java.util.Map<FrameKind, Long> replies = new java.util.EnumMap<>(FrameKind.class);
            w.network().setFrameFilter((to, frame, now) -> {
                if (to.startsWith("victim.")) {
                    replies.merge(kindOf(frame), 1L, Long::sum); // what the forged `from` subjects get
                }
                return false;
            });
            SplittableRandom rnd = new SplittableRandom(SEED);
            int syns = 500;
            int others = 500;
            for (int i = 0; i < syns + others; i++) {
                w.runFor(Duration.ofMillis(2));
                Frame.Builder f = i < syns
                        ? Frame.builder(FrameKind.SYN).srcNonce(rnd.nextLong() | 1)
                        : Frame.builder(i % 2 == 0 ? FrameKind.ACK : FrameKind.KEEPALIVE).srcNonce(rnd.nextLong() | 1)
                                .dstNonce(rnd.nextLong() | 1);
                w.network().send("b", FrameCodec.encode(f.from("victim." + i).to("b").window(64, 1 << 20)
                        .tsVal(w.now()).build()));
                assertEquals(0, b.sessionCount(), "a forged frame created a session");
            }
            // Long enough for any retransmitting SYN_ACK timer to have fired many times over.
            w.runFor(Duration.ofSeconds(30));
            assertEquals(0, b.sessionCount());
            assertEquals(Long.MAX_VALUE, b.pollTimeout(), "a forged frame left a timer behind");
            long synAcks = replies.getOrDefault(FrameKind.SYN_ACK, 0L);
            long resets = replies.getOrDefault(FrameKind.RESET, 0L);
            long total = replies.values().stream().mapToLong(Long::longValue).sum();
            assertEquals(syns, synAcks, "one SYN_ACK per forged SYN, never resent");
            assertEquals(others, resets, "one RESET per forged frame");
            assertEquals(synAcks + resets, total);
            System.out.printf(Locale.ROOT, "unknown peers: %d frames received, %d replies (%.2f per frame): "
                    + "%d SYN_ACKs for %d SYNs, %d RESETs for %d other frames; sessions left: %d%n",
                    syns + others, total, (double) total / (syns + others), synAcks, syns, resets, others,
                    b.sessionCount());
        }
    }

    private static FrameKind kindOf(byte[] frame) {
        try {
            return FrameCodec.decode(frame).kind();
        } catch (io.swp.protocol.MalformedFrameException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void framesAddressedToAnotherInboxAreCountedAndNeitherRoutedNorAnswered() throws Exception {
        try (SteppedEndpoints w = world()) {
            Endpoint a = w.open("a", EndpointConfig.defaults());
            Endpoint b = w.open("b", EndpointConfig.defaults());
            Pair p = connect(w, a, b, SessionConfig.defaults());
            long[] toVictim = {0};
            w.network().setFrameFilter((to, frame, now) -> {
                if (to.equals("victim")) {
                    toVictim[0]++;
                }
                return false;
            });
            w.runFor(Duration.ofMillis(100)); // the window updates that follow a handshake
            long before = b.stats().framesReceived();
            // Arrives at b, names "c" as its destination and a victim as its sender: a SYN,
            // a frame for no session, and data claiming to come from b's live peer.
            w.network().send("b", FrameCodec.encode(Frame.builder(FrameKind.SYN).from("victim").to("c")
                    .srcNonce(7).window(64, 1 << 20).build()));
            w.network().send("b", FrameCodec.encode(Frame.builder(FrameKind.ACK).from("victim").to("c")
                    .srcNonce(7).dstNonce(8).window(64, 1 << 20).build()));
            w.network().send("b", FrameCodec.encode(Frame.builder(FrameKind.DATA).from("a").to("c")
                    .srcNonce(9).dstNonce(10).seq(0).payload(new byte[] {1}).window(64, 1 << 20).build()));
            w.runFor(Duration.ofMillis(50)); // delivered, and well before any keepalive
            assertEquals(before + 3, b.stats().framesReceived());
            assertEquals(3, b.stats().wrongInboxDrops());
            assertEquals(0, b.stats().resetsSent());
            assertEquals(0, toVictim[0], "nothing answered");
            assertEquals(0, p.b().getInputStream().available(), "nothing delivered");
            assertEquals(1, b.sessionCount());
        }
    }

    @Test
    void peersWithDifferentPayloadSizesExchangeDataBothWays() throws Exception {
        SessionConfig small = SessionConfig.builder().maxPayloadBytes(4 * 1024).build();
        SessionConfig large = SessionConfig.builder().maxPayloadBytes(64 * 1024).build();
        for (boolean largeConnects : List.of(true, false)) {
            try (SteppedEndpoints w = world()) {
                Endpoint a = w.open("a", EndpointConfig.withSessionDefaults(largeConnects ? large : small));
                Endpoint b = w.open("b", EndpointConfig.withSessionDefaults(largeConnects ? small : large));
                Pair p = connect(w, a, b, largeConnects ? large : small);
                byte[] data = new byte[1 << 20];
                new SplittableRandom(SEED).nextBytes(data);
                p.a().getOutputStream().write(data);
                p.b().getOutputStream().write(data);
                assertTrue(w.runUntil(() -> available(p.a()) == data.length && available(p.b()) == data.length,
                        Duration.ofSeconds(30)), "no stall, large side connects: " + largeConnects);
                assertArrayEquals(data, p.a().getInputStream().readNBytes(data.length));
                assertArrayEquals(data, p.b().getInputStream().readNBytes(data.length));
                Session largeSide = largeConnects ? p.a() : p.b();
                assertEquals(64 * 1024, largeSide.config().maxPayloadBytes(), "it sends its own size");
                assertEquals(0, p.a().stats().strayFramesDropped() + p.b().stats().strayFramesDropped());
            }
        }
    }

    @Test
    void aConnectSurvivesTheLossOfItsSynAckOrOfTheAckThatProvesTheInitiator() throws Exception {
        for (FrameKind lost : List.of(FrameKind.SYN_ACK, FrameKind.ACK)) {
            for (boolean initiatorWrites : List.of(true, false)) {
                String what = "lost the first " + lost + (initiatorWrites ? ", initiator writes" : ", nobody writes");
                try (SteppedEndpoints w = world()) {
                    Endpoint a = w.open("a", EndpointConfig.defaults());
                    Endpoint b = w.open("b", EndpointConfig.defaults());
                    boolean[] dropped = {false};
                    w.network().setFrameFilter((to, frame, now) -> {
                        if (!dropped[0] && kindOf(frame) == lost) {
                            dropped[0] = true;
                            return true;
                        }
                        return false;
                    });
                    CompletableFuture<Session> out = a.connectAsync("b", SessionConfig.defaults());
                    CompletableFuture<Session> in = b.acceptAsync();
                    assertTrue(w.runUntil(out::isDone, Duration.ofSeconds(5)), what);
                    if (initiatorWrites) {
                        out.join().getOutputStream().write(new byte[] {42});
                        out.join().getOutputStream().flush();
                    }
                    assertTrue(w.runUntil(in::isDone, Duration.ofSeconds(5)), what);
                    assertTrue(dropped[0], what);
                    assertEquals(EngineState.ESTABLISHED, in.join().state(), what);
                    assertEquals(1, b.stats().sessionsOpened(), what);
                    if (initiatorWrites) {
                        assertEquals(42, in.join().getInputStream().read(), what);
                    }
                }
            }
        }
    }

    @Test
    void aPartialMessageThatMakesNoProgressAbortsTheSessionDespiteKeepalives() throws Exception {
        Duration stall = Duration.ofSeconds(5);
        for (boolean bounded : List.of(true, false)) {
            SessionConfig config = SessionConfig.builder().partialMessageTimeout(bounded ? stall : Duration.ZERO)
                    .build();
            try (SteppedEndpoints w = world()) {
                Endpoint a = w.open("a", EndpointConfig.withSessionDefaults(config));
                Endpoint b = w.open("b", EndpointConfig.withSessionDefaults(config));
                Pair p = connect(w, a, b, config);
                // 1000 bytes of a message that never ends: no end-of-message mark follows.
                p.a().getOutputStream().write(new byte[1000]);
                assertTrue(w.runUntil(() -> available(p.b()) == 1000, Duration.ofSeconds(1)));
                assertThrows(java.net.SocketTimeoutException.class, () -> p.b().receiveMessage(Duration.ZERO));
                long partialAt = w.now();
                CompletableFuture<CloseReason> closed = p.b().closeFuture();
                boolean ended = w.runUntil(closed::isDone, Duration.ofMinutes(2));
                if (!bounded) {
                    assertFalse(ended, "keepalives hold the session and its partial message for ever");
                    continue;
                }
                assertTrue(ended);
                assertEquals(CloseReason.ABORTED, closed.join());
                long after = w.now() - partialAt;
                // Checked whenever the loop serves the session: a keepalive interval at most late.
                assertTrue(after >= stall.toNanos()
                        && after <= stall.toNanos() + config.keepaliveIntervalNanos() + LATENCY.toNanos(),
                        "aborted " + Duration.ofNanos(after) + " after the last progress");
                IOException e = assertThrows(IOException.class, () -> p.b().receiveMessage(Duration.ZERO));
                assertTrue(e.getMessage().contains("stalled") && e.getMessage().contains("1000 bytes"), e.getMessage());
                assertTrue(w.runUntil(p.a().closeFuture()::isDone, Duration.ofSeconds(1)));
                assertEquals(CloseReason.RESET_BY_PEER, p.a().closeFuture().join());
                assertEquals(0, b.stats().bufferedInboundBytes(), "the partial message was released");
            }
        }
    }

    private static int available(Session s) {
        try {
            return s.getInputStream().available();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void tenThousandSessionsConnectTransferAndCloseInVirtualTime() throws Exception {
        int sessions = Integer.getInteger("swp.virtualSessions", 10_000);
        int bytes = 1024;
        EndpointConfig config = EndpointConfig.builder().acceptBacklog(sessions).maxSessionsPerPeer(sessions).build();
        try (SteppedEndpoints w = world()) {
            Endpoint client = w.open("a", config);
            Endpoint server = w.open("b", config);
            long wallStart = System.nanoTime();
            List<CompletableFuture<Session>> out = new ArrayList<>();
            List<CompletableFuture<Session>> in = new ArrayList<>();
            for (int i = 0; i < sessions; i++) {
                out.add(client.connectAsync("b", SessionConfig.defaults()));
                in.add(server.acceptAsync());
            }
            CompletableFuture<Void> handshakes = CompletableFuture.allOf(
                    Stream.concat(out.stream(), in.stream()).toArray(CompletableFuture<?>[]::new));
            assertTrue(w.runUntil(handshakes::isDone, Duration.ofMinutes(1)), "every handshake completes");
            EchoApp[] clients = new EchoApp[sessions];
            EchoApp[] servers = new EchoApp[sessions];
            for (int i = 0; i < sessions; i++) {
                byte[] payload = payload(i, bytes);
                clients[i] = new EchoApp(out.get(i).join(), payload, bytes);
                servers[i] = new EchoApp(in.get(i).join(), null, bytes);
            }
            assertTrue(w.runUntil(() -> pumpAll(clients) & pumpAll(servers), Duration.ofMinutes(5)),
                    "every session transfers and closes");
            for (int i = 0; i < sessions; i++) {
                assertArrayEquals(payload(i, bytes), clients[i].received, "session " + i);
                assertEquals(CloseReason.NORMAL, clients[i].closed.join(), "session " + i);
                assertEquals(CloseReason.NORMAL, servers[i].closed.join(), "session " + i);
            }
            // The side that closed first lingers in TIME_WAIT after its close completed.
            assertTrue(w.runUntil(() -> client.sessionCount() == 0 && server.sessionCount() == 0,
                    Duration.ofSeconds(10)), "every session leaves after TIME_WAIT");
            System.out.printf("%d sessions connected, echoed %d B each and closed in %s virtual, %d ms wall, %d steps%n",
                    sessions, bytes, Duration.ofNanos(w.now()), (System.nanoTime() - wallStart) / 1_000_000, w.steps());
        }
    }

    /** @return true once every app is done */
    private static boolean pumpAll(EchoApp[] apps) {
        boolean all = true;
        for (EchoApp app : apps) {
            all &= app.pump();
        }
        return all;
    }

    private static byte[] payload(int session, int bytes) {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            b[i] = (byte) (session * 31 + i);
        }
        return b;
    }

    /**
     * A non-blocking application: a client writes its payload, half-closes and reads the
     * echo; a server reads everything, writes it back and closes. Both close on end of stream.
     */
    private static final class EchoApp {
        final Session session;
        final byte[] toSend;
        final byte[] received;
        final CompletableFuture<CloseReason> closed;
        int receivedBytes;
        boolean sent;
        boolean done;

        EchoApp(Session session, byte[] toSend, int expect) {
            this.session = session;
            this.toSend = toSend;
            this.received = new byte[expect];
            this.closed = session.closeFuture();
        }

        boolean pump() {
            if (done) {
                return closed.isDone();
            }
            try {
                if (toSend != null && !sent) {
                    session.getOutputStream().write(toSend);
                    session.shutdownOutput();
                    sent = true;
                }
                int available = session.getInputStream().available();
                if (available > 0) {
                    receivedBytes += session.getInputStream().read(received, receivedBytes,
                            Math.min(available, received.length - receivedBytes));
                }
                if (toSend == null && !sent && receivedBytes == received.length) {
                    session.getOutputStream().write(received);
                    sent = true;
                }
                if (sent && receivedBytes == received.length && session.getInputStream().available() == 0
                        && peerFinished(session.state())) {
                    session.closeAsync();
                    done = true;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return done && closed.isDone();
        }

        private static boolean peerFinished(EngineState s) {
            return s == EngineState.CLOSE_WAIT || s == EngineState.LAST_ACK || s == EngineState.CLOSING
                    || s == EngineState.TIME_WAIT || s == EngineState.CLOSED;
        }
    }

    private static Throwable cause(CompletableFuture<?> f) throws InterruptedException {
        try {
            f.get();
            throw new AssertionError("expected a failure, got " + f.join());
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (CompletionException e) {
            return e.getCause();
        }
    }
}
