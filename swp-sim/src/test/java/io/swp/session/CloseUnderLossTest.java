package io.swp.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.Endpoint;
import io.swp.EndpointConfig;
import io.swp.Session;
import io.swp.SessionConfig;
import io.swp.protocol.CloseReason;
import io.swp.protocol.EngineState;
import io.swp.sim.Impairments;
import io.swp.sim.SteppedEndpoints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Close under loss, as {@code swp send} and {@code swp recv} do it (issue 10): the sender
 * closes first and shuts its endpoint down at once, as a process that exits; the receiver
 * closes when it reads the end of the stream. At 20 % loss each way, the receiver's close
 * must succeed, well within its close timeout: the sender's endpoint lingers while its
 * session finishes the FIN exchange and runs TIME_WAIT out. Real endpoints in virtual
 * time, many seeds; every failure names its seed.
 */
class CloseUnderLossTest {
    private static final long MS = 1_000_000L;
    private static final Duration LATENCY = Duration.ofMillis(5);

    @Test
    void theReceiversCloseSucceedsWhenTheSenderShutsDownRightAfterClosingFirst() throws Exception {
        int seeds = Integer.getInteger("swp.closeSeeds", 300);
        double loss = 0.2;
        SessionConfig config = SessionConfig.defaults();
        long worst = 0;
        long total = 0;
        long aliceWorst = 0;
        java.util.List<Long> failed = new java.util.ArrayList<>();
        int allowed = Integer.getInteger("swp.closeAllowedFailures", 0);
        for (long seed = 1; seed <= seeds; seed++) {
            String why = "seed " + seed;
            try (SteppedEndpoints w = new SteppedEndpoints(seed)) {
                Pair p = sendThreeBytesAndClose(w, loss, config, config, why);
                Endpoint alice = p.alice();
                Session a = p.a();
                Session b = p.b();
                // bob reads to the end of the stream, then closes, as swp recv does; alice's
                // close() returns once everything she sent is acknowledged, and her process
                // exits: her endpoint shuts down.
                assertTrue(w.runUntil(() -> finSent(a), Duration.ofSeconds(60)), "alice's FIN acknowledged, " + why);
                CompletableFuture<Void> aliceGone = alice.closeAsync();
                assertTrue(w.runUntil(() -> b.state() != EngineState.ESTABLISHED, Duration.ofSeconds(60)),
                        "bob saw alice's FIN, " + why);
                long closeAt = w.now();
                long[] bobClosedAt = {-1};
                CompletableFuture<CloseReason> bClosed = b.closeAsync();
                bClosed.thenRun(() -> bobClosedAt[0] = w.now());
                assertTrue(w.runUntil(() -> bClosed.isDone() && aliceGone.isDone(), Duration.ofMinutes(2)), why);
                long took = bobClosedAt[0] - closeAt;
                if (bClosed.join() != CloseReason.NORMAL || took >= config.closeTimeoutNanos() / 2) {
                    failed.add(seed);
                    System.out.println("bob's close: " + bClosed.join() + " after " + Duration.ofNanos(took) + ", " + why);
                }
                worst = Math.max(worst, took);
                total += took;
                aliceWorst = Math.max(aliceWorst, w.now() - closeAt);
            }
        }
        System.out.printf(Locale.ROOT, "close at %.0f %% loss each way, %d seeds: the receiver's close took %.0f ms "
                + "on average, %d ms at worst; the sender's endpoint shut down within %d ms of it (virtual)%n",
                loss * 100, seeds, total / (double) seeds / MS, worst / MS, aliceWorst / MS);
        System.out.printf(Locale.ROOT, "receiver's close failed or took half its close timeout for %d of %d seeds: %s%n",
                failed.size(), seeds, failed);
        // The residual risk: our last ACK lost, then every probe of the peer for four
        // keepalive intervals (or its FIN for the whole shutdown linger) lost: about
        // 0.2 x 0.2^4 per close at 20 % loss. The default seeds all pass.
        assertTrue(failed.size() <= allowed, "failed seeds " + failed + " (rerun one: -Dswp.closeSeeds=N)");
    }

    /**
     * Both ends in one process, as {@code swp demo} and {@code swp bench} run them: the
     * sender's sessions have no TIME_WAIT, and its endpoint stays open until the receiver's
     * close has returned. A FIN retransmitted after the sender's session is gone (our last
     * ACK lost) is answered with a RESET, which ends the receiver's close normally; the
     * sender's endpoint then shuts down without lingering.
     */
    @Test
    void withoutTimeWaitTheReceiversCloseStillEndsNormallyWhileTheSendersEndpointStaysOpen() throws Exception {
        int seeds = Integer.getInteger("swp.closeSeeds", 300);
        double loss = 0.2;
        SessionConfig config = SessionConfig.defaults();
        SessionConfig noTimeWait = config.toBuilder().timeWait(Duration.ZERO).build();
        java.util.List<String> failed = new java.util.ArrayList<>();
        long worstShutdown = 0;
        for (long seed = 1; seed <= seeds; seed++) {
            String why = "seed " + seed;
            try (SteppedEndpoints w = new SteppedEndpoints(seed)) {
                Pair p = sendThreeBytesAndClose(w, loss, noTimeWait, config, why);
                Endpoint alice = p.alice();
                Session a = p.a();
                Session b = p.b();
                assertTrue(w.runUntil(() -> b.state() != EngineState.ESTABLISHED, Duration.ofSeconds(60)),
                        "bob saw alice's FIN, " + why);
                long closeAt = w.now();
                CompletableFuture<CloseReason> bClosed = b.closeAsync();
                // As the demo does: alice's blocking close returned (her FIN acknowledged),
                // bob's close returned, and only then alice's endpoint shuts down.
                assertTrue(w.runUntil(() -> bClosed.isDone() && finSent(a), Duration.ofMinutes(2)), why);
                long took = w.now() - closeAt;
                if (bClosed.join() != CloseReason.NORMAL || took >= config.closeTimeoutNanos() / 2) {
                    failed.add(seed + ": bob " + bClosed.join() + " after " + Duration.ofNanos(took));
                }
                long shutdownAt = w.now();
                CompletableFuture<Void> aliceGone = alice.closeAsync();
                assertTrue(w.runUntil(aliceGone::isDone, Duration.ofMinutes(1)), why);
                worstShutdown = Math.max(worstShutdown, w.now() - shutdownAt);
            }
        }
        assertEquals(java.util.List.of(), failed, "rerun one: -Dswp.closeSeeds=N");
        // Nothing left to wait for: no session in TIME_WAIT, so no linger for a quiet inbox.
        assertTrue(worstShutdown < config.keepaliveIntervalNanos(), "the sender's endpoint lingered "
                + Duration.ofNanos(worstShutdown));
    }

    /** Alice's endpoint, her session and Bob's. */
    private record Pair(Endpoint alice, Session a, Session b) {
    }

    /**
     * Connects Alice to Bob over lossy links; Alice writes 3 bytes and starts closing, and
     * Bob reads them.
     */
    private static Pair sendThreeBytesAndClose(SteppedEndpoints w, double loss, SessionConfig aliceConfig,
            SessionConfig bobConfig, String why) throws IOException {
        Impairments lossy = Impairments.builder().latency(LATENCY).lossRate(loss).build();
        w.network().impair("alice", lossy);
        w.network().impair("bob", lossy);
        Endpoint alice = w.open("alice", EndpointConfig.withSessionDefaults(aliceConfig));
        Endpoint bob = w.open("bob", EndpointConfig.withSessionDefaults(bobConfig));
        CompletableFuture<Session> out = alice.connectAsync("bob", aliceConfig);
        CompletableFuture<Session> in = bob.acceptAsync();
        assertTrue(w.runUntil(() -> out.isDone() && in.isDone(), Duration.ofSeconds(30)), "handshake, " + why
                + ": " + out + " " + in);
        Session a = out.join();
        Session b = in.join();
        a.getOutputStream().write(new byte[] {1, 2, 3});
        a.closeAsync();
        assertTrue(w.runUntil(() -> available(b) == 3, Duration.ofSeconds(60)), why);
        assertEquals(3, b.getInputStream().readNBytes(3).length, why);
        return new Pair(alice, a, b);
    }

    private static int available(Session s) {
        try {
            return s.getInputStream().available();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return whether everything {@code s} sent, FIN included, is acknowledged: its blocking close would return */
    private static boolean finSent(Session s) {
        EngineState st = s.state();
        return st == EngineState.FIN_WAIT_2 || st == EngineState.TIME_WAIT || st == EngineState.CLOSED;
    }
}
