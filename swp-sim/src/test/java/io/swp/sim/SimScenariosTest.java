package io.swp.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import io.swp.protocol.CloseReason;
import io.swp.protocol.EngineState;
import io.swp.protocol.MalformedFrameException;
import io.swp.protocol.Frame;
import io.swp.protocol.FrameCodec;
import io.swp.protocol.FrameKind;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Named situations a transport must survive, each in virtual time. */
class SimScenariosTest {
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1000 * MS;

    /** A small payload so that small transfers span many frames; fast dead-peer detection. */
    private static final SessionConfig SMALL_FRAMES = SessionConfig.builder()
            .maxPayloadBytes(1024)
            .windowFrames(64)
            .windowBytes(64 * KIB)
            .connectTimeout(Duration.ofSeconds(60))
            .build();

    /** One-way latency of the dead-peer scenarios. */
    private static final Duration LATENCY = Duration.ofMillis(10);

    private static final String RERUN_ALL = "./mvnw -q -o -pl swp-sim -am test -Dtest=SimScenariosTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false";

    private static String why(TransferResult r) {
        return SimRuns.explain(r, RERUN_ALL);
    }

    /** The seeds of the scenarios that run one test case per seed. */
    static LongStream twentySeeds() {
        return SimRuns.seeds(1, 20);
    }

    private static String rerun(String method, long seed) {
        return SimRuns.rerunCommand("SimScenariosTest", method, seed);
    }

    private static TransferResult assertClean(SimTransfer.Spec spec) {
        return assertClean(spec, RERUN_ALL);
    }

    private static TransferResult assertClean(SimTransfer.Spec spec, String rerun) {
        TransferResult r = SimTransfer.run(spec);
        String why = SimRuns.explain(r, rerun);
        assertTrue(!r.timedOut(), "hit the time limit" + why);
        assertTrue(r.delivered(), "data not delivered exactly" + why);
        assertEquals(spec.bytesToServer(), r.server().bytesRead(), why);
        assertEquals(spec.bytesToClient(), r.client().bytesRead(), why);
        assertEquals(CloseReason.NORMAL, r.client().closeReason(), "client" + why);
        assertEquals(CloseReason.NORMAL, r.server().closeReason(), "server" + why);
        return r;
    }

    /**
     * One test case per seed, then one across them: some seed's bursts must have hit the
     * handshake (checked only when the whole range ran, not for one seed rerun alone).
     */
    @TestFactory
    Stream<DynamicTest> gilbertElliottBurstsOfThirtyPercentDuringTheHandshake() {
        Impairments bursty = Impairments.builder()
                // Stepping per 5 ms too: a per-frame chain would keep one burst over a
                // handshake retried with backoff for tens of seconds.
                .gilbertElliott(Impairments.GilbertElliott.of(0.3, 4, Duration.ofMillis(5)))
                .latency(Duration.ofMillis(10))
                .build();
        long[] seeds = twentySeeds().toArray();
        AtomicInteger clean = new AtomicInteger();
        AtomicInteger slowHandshakes = new AtomicInteger();
        Stream<DynamicTest> perSeed = LongStream.of(seeds).mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed, () -> {
            String rerun = rerun("gilbertElliottBurstsOfThirtyPercentDuringTheHandshake", seed);
            TransferResult r = assertClean(SimTransfer.Spec.builder(seed).config(SMALL_FRAMES)
                    .bytesToServer(64 * KIB).impairBoth(bursty).build(), rerun);
            assertTrue(r.toServer().droppedBurst() + r.toClient().droppedBurst() > 0, SimRuns.explain(r, rerun));
            clean.incrementAndGet();
            // A clean handshake takes one round trip (20 ms); a lost SYN or SYN-ACK costs an RTO.
            if (r.client().establishedAtNanos() > 100 * MS) {
                slowHandshakes.incrementAndGet();
            }
        }));
        if (seeds.length == 1) {
            return perSeed;
        }
        return Stream.concat(perSeed, Stream.of(DynamicTest.dynamicTest("some seed lost a handshake frame",
                () -> assertTrue(slowHandshakes.get() > 0, "no seed lost a handshake frame: the bursts never hit"
                        + " the handshake (" + clean.get() + " of " + seeds.length + " seeds ran clean)"))));
    }

    @Test
    void blackHoleForTwoSecondsEveryFiveSeconds() {
        Impairments link = Impairments.builder()
                .latency(Duration.ofMillis(10))
                .bandwidth(2_000_000, 256 * KIB)
                .blackHole(Impairments.BlackHole.every(Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .build();
        SessionConfig config = SessionConfig.builder().windowBytes(64 * KIB).build();
        TransferResult r = assertClean(SimTransfer.Spec.builder(3).config(config)
                .bytesToServer(4 * MIB).impairBoth(link).build());
        // 4 MiB at 2 Mbit/s is 16.8 s of sending, so the transfer crosses several black holes.
        assertTrue(r.toServer().droppedByBlackHole() > 0 && r.toClient().droppedByBlackHole() > 0, why(r));
        assertTrue(r.lastByteAtNanos() > 17 * SECOND, why(r));
    }

    @Test
    void longFatPathOf750msRoundTrip() {
        Impairments half = Impairments.builder().latency(Duration.ofMillis(375)).lossRate(0.01).build();
        TransferResult r = assertClean(SimTransfer.Spec.builder(5).bytesToServer(2 * MIB).impairBoth(half).build());
        double srtt = r.client().stats().srttNanos();
        assertEquals(750 * MS, srtt, 0.2 * 750 * MS, "srtt" + why(r));
    }

    @Test
    void dropListKillsFramesTwoToSeven() {
        Impairments kill = Impairments.builder().dropFrames(2, 7).latency(Duration.ofMillis(5)).build();
        TransferResult r = assertClean(SimTransfer.Spec.builder(7).config(SMALL_FRAMES).bytesToServer(64 * KIB)
                .impairBoth(kill).build());
        assertEquals(6, r.toServer().droppedByIndex(), why(r));
        assertEquals(6, r.toClient().droppedByIndex(), why(r));
        assertTrue(r.client().stats().retransmits() >= 6, why(r));
    }

    @Test
    void handshakeSurvivesLosingSynSynAckAndFinalAck() {
        // Toward the server, frame 1 is the SYN and frame 2 the first retransmitted SYN or
        // the final ACK; toward the client, frame 1 is the SYN-ACK.
        TransferResult r = assertClean(SimTransfer.Spec.builder(11).config(SMALL_FRAMES).bytesToServer(16 * KIB)
                .toServer(Impairments.builder().dropFrames(1, 2).latency(Duration.ofMillis(5)).build())
                .toClient(Impairments.builder().dropFrames(1, 1).latency(Duration.ofMillis(5)).build())
                .build());
        assertTrue(r.client().establishedAtNanos() >= SMALL_FRAMES.initialRtoNanos(), why(r));
    }

    @Test
    void handshakeSurvivesLosingEveryFirstFrameOfEachKind() {
        Map<String, Integer> seen = new HashMap<>();
        SimNetwork.FrameFilter firstOfEachKind = (inbox, frame, now) -> {
            FrameKind kind = kindOf(frame);
            return kind != null && seen.merge(inbox + kind, 1, Integer::sum) == 1;
        };
        TransferResult r = assertClean(SimTransfer.Spec.builder(12).config(SMALL_FRAMES).bytesToServer(16 * KIB)
                .frameFilter(firstOfEachKind).impairBoth(Impairments.builder().latency(Duration.ofMillis(5)).build())
                .build());
        assertTrue(seen.containsKey(SimTransfer.SERVER_INBOX + FrameKind.SYN), why(r));
        assertTrue(seen.containsKey(SimTransfer.CLIENT_INBOX + FrameKind.SYN_ACK), why(r));
    }

    private static FrameKind kindOf(byte[] frame) {
        try {
            return FrameCodec.decode(frame).kind();
        } catch (MalformedFrameException e) {
            return null;
        }
    }

    @Test
    void finLossIsRecovered() {
        int[] finsDropped = {0};
        SimNetwork.FrameFilter dropFirstFins = (inbox, frame, now) -> {
            if (kindOf(frame) == FrameKind.FIN && finsDropped[0] < 4) {
                finsDropped[0]++;
                return true;
            }
            return false;
        };
        TransferResult r = assertClean(SimTransfer.Spec.builder(13).config(SMALL_FRAMES).bytesToServer(32 * KIB)
                .frameFilter(dropFirstFins).impairBoth(Impairments.builder().latency(Duration.ofMillis(5)).build())
                .build());
        assertEquals(4, finsDropped[0], "both sides' FINs were dropped twice each" + why(r));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("twentySeeds")
    void bothSidesCloseAtOnce(long seed) {
        Impairments link = Impairments.builder().latency(Duration.ofMillis(10)).lossRate(0.1).build();
        String rerun = rerun("bothSidesCloseAtOnce", seed);
        TransferResult r = assertClean(SimTransfer.Spec.builder(seed).config(SMALL_FRAMES).bytesToServer(0)
                .closeBothAt(Duration.ofSeconds(1)).impairBoth(link).build(), rerun);
        assertTrue(r.client().closedAtNanos() >= SECOND && r.server().closedAtNanos() >= SECOND,
                SimRuns.explain(r, rerun));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("twentySeeds")
    void bothSidesSendAndFinishTogether(long seed) {
        Impairments link = Impairments.builder().latency(Duration.ofMillis(10)).lossRate(0.05)
                .reorder(0.05, Duration.ofMillis(5)).build();
        assertClean(SimTransfer.Spec.builder(seed).config(SMALL_FRAMES).bytesToServer(64 * KIB)
                .bytesToClient(64 * KIB).impairBoth(link).build(), rerun("bothSidesSendAndFinishTogether", seed));
    }

    private static SessionConfig fastDeadPeer(SessionConfig base) {
        return base.toBuilder().keepaliveInterval(Duration.ofSeconds(1)).failedKeepalivesBeforeClose(5).build();
    }

    @Test
    void receiverVanishingMidTransferIsDetectedWithinTheKeepaliveBound() {
        SessionConfig config = fastDeadPeer(SMALL_FRAMES);
        TransferResult r = SimTransfer.run(SimTransfer.Spec.builder(17).config(config).bytesToServer(MIB)
                .impairBoth(Impairments.builder().latency(LATENCY).build())
                .vanishAfterServerRead(SimTransfer.Side.SERVER, 128 * KIB).build());
        assertPeerDeadWithinBound(r, r.client(), r.server().vanishedAtNanos(), config);
    }

    @Test
    void senderVanishingMidTransferIsDetectedWithinTheKeepaliveBound() {
        SessionConfig config = fastDeadPeer(SMALL_FRAMES);
        TransferResult r = SimTransfer.run(SimTransfer.Spec.builder(18).config(config).bytesToServer(MIB)
                .impairBoth(Impairments.builder().latency(LATENCY).lossRate(0.05).build())
                .vanishAfterServerRead(SimTransfer.Side.CLIENT, 128 * KIB).build());
        assertPeerDeadWithinBound(r, r.server(), r.client().vanishedAtNanos(), config);
    }

    private static void assertPeerDeadWithinBound(TransferResult r, TransferResult.Outcome survivor, long vanishedAt,
                                                  SessionConfig config) {
        String why = why(r);
        assertTrue(vanishedAt > 0, "the peer never vanished" + why);
        assertEquals(EngineState.CLOSED, survivor.state(), why);
        assertEquals(CloseReason.PEER_DEAD, survivor.closeReason(), why);
        long detectedAfter = survivor.closedAtNanos() - vanishedAt;
        // Frames the peer sent just before it vanished still arrive one latency later.
        long bound = config.deadPeerNanos() + LATENCY.toNanos();
        assertTrue(detectedAfter <= bound, "detected " + Duration.ofNanos(detectedAfter)
                + " after vanishing, bound " + Duration.ofNanos(bound) + why);
        assertTrue(detectedAfter >= config.deadPeerNanos() / 2, "declared dead too early: "
                + Duration.ofNanos(detectedAfter) + why);
    }

    @Test
    void slowReaderStallsTheSenderWithoutOverflowOrDeadlock() {
        long rate = 64 * KIB;
        TransferResult r = assertClean(SimTransfer.Spec.builder(19).config(SMALL_FRAMES).bytesToServer(512 * KIB)
                .serverReadRate(rate).impairBoth(Impairments.builder().latency(Duration.ofMillis(10)).build()).build());
        String why = why(r);
        // Reading 512 KiB at 64 KiB/s takes 8 s; the window lets at most 64 KiB run ahead.
        assertTrue(r.lastByteAtNanos() >= 7 * SECOND, why);
        assertTrue(r.server().maxReadableBytes() <= SMALL_FRAMES.windowBytes(), why);
        assertTrue(r.server().maxBufferedBytes() <= SMALL_FRAMES.windowBytes(), why);
        assertTrue(r.client().maxInFlightBytes() <= SMALL_FRAMES.windowBytes(), why);
        assertTrue(r.server().maxReadableBytes() >= SMALL_FRAMES.windowBytes() / 2, "the reader never fell behind" + why);
    }

    @Test
    void zeroWindowThatReopens() {
        // The client closes as soon as it has written everything: its close timeout must
        // outlast the reader's pause, or the close gives up (as Session.close() would).
        SessionConfig config = fastDeadPeer(SMALL_FRAMES).toBuilder().closeTimeout(Duration.ofMinutes(2)).build();
        TransferResult r = assertClean(SimTransfer.Spec.builder(23).config(config).bytesToServer(256 * KIB)
                .impairBoth(Impairments.builder().latency(Duration.ofMillis(10)).lossRate(0.05).build())
                .pauseReading(SimTransfer.Side.SERVER, Duration.ZERO, Duration.ofSeconds(30)).build());
        String why = why(r);
        // Paused far longer than the dead-peer bound (5 s): probes keep the session alive.
        assertTrue(r.lastByteAtNanos() >= 30 * SECOND, why);
        assertTrue(r.client().stats().keepalivesSent() > 0, "no zero-window probes" + why);
        assertTrue(r.server().maxBufferedBytes() <= config.windowBytes(), why);
    }

    @Test
    void zeroWindowWhosePeerVanishesGivesUpWithinTheKeepaliveBound() {
        SessionConfig config = fastDeadPeer(SMALL_FRAMES);
        TransferResult r = SimTransfer.run(SimTransfer.Spec.builder(29).config(config).bytesToServer(256 * KIB)
                .impairBoth(Impairments.builder().latency(LATENCY).build())
                .pauseReading(SimTransfer.Side.SERVER, Duration.ZERO, Duration.ofHours(1))
                .vanishAt(SimTransfer.Side.SERVER, Duration.ofSeconds(10)).build());
        assertTrue(r.client().stats().keepalivesSent() > 0, "no zero-window probes" + why(r));
        assertPeerDeadWithinBound(r, r.client(), r.server().vanishedAtNanos(), config);
    }

    @ParameterizedTest(name = "one-way latency {0} ms")
    @ValueSource(longs = {5, 25, 100})
    void rttEstimateConvergesOnALosslessLink(long latencyMs) {
        TransferResult r = assertClean(SimTransfer.Spec.builder(31).bytesToServer(4 * MIB)
                .impairBoth(Impairments.builder().latency(Duration.ofMillis(latencyMs)).build()).build());
        long rtt = 2 * latencyMs * MS;
        assertEquals(rtt, r.client().stats().srttNanos(), 0.2 * rtt, "client srtt at RTT " + rtt / MS + " ms" + why(r));
    }

    @Test
    void tenMebibytesAtTwentyPercentLoss() {
        Impairments link = Impairments.builder().lossRate(0.2).latency(Duration.ofMillis(10)).build();
        TransferResult r = assertClean(SimTransfer.Spec.builder(37).bytesToServer(10 * MIB).impairBoth(link).build());
        // Wall time is reported, not asserted: speed is the benchmark's business.
        System.out.printf("10 MiB at 20%% loss: %d ms wall, %s virtual%n", r.wallNanos() / MS,
                Duration.ofNanos(r.lastByteAtNanos()));
    }

    @Test
    void oneWayLossOnTheDataPathOrOnTheAckPath() {
        Impairments lossy = Impairments.builder().lossRate(0.3).latency(Duration.ofMillis(10)).build();
        Impairments clean = Impairments.builder().latency(Duration.ofMillis(10)).build();
        TransferResult dataLoss = assertClean(SimTransfer.Spec.builder(41).config(SMALL_FRAMES).bytesToServer(256 * KIB)
                .toServer(lossy).toClient(clean).build());
        assertEquals(0, dataLoss.toClient().dropped(), why(dataLoss));
        assertTrue(dataLoss.client().stats().retransmits() > 0, why(dataLoss));
        TransferResult ackLoss = assertClean(SimTransfer.Spec.builder(43).config(SMALL_FRAMES).bytesToServer(256 * KIB)
                .toServer(clean).toClient(lossy).build());
        assertEquals(0, ackLoss.toServer().dropped(), why(ackLoss));
        assertTrue(ackLoss.toClient().dropped() > 0, why(ackLoss));
    }

    @Test
    void windowLargerThanTheBottleneckQueueSurvivesTailDrops() {
        // 10 Mbit/s with a 64 KiB queue, and a 1 MiB window: without congestion control
        // the sender overruns the queue and the link tail-drops; the data must still arrive.
        Impairments narrow = Impairments.builder().bandwidth(10_000_000, 64 * KIB).latency(Duration.ofMillis(10)).build();
        SessionConfig config = SessionConfig.builder().windowBytes(MIB).build();
        TransferResult r = assertClean(SimTransfer.Spec.builder(47).config(config).bytesToServer(4 * MIB)
                .impairBoth(narrow).build());
        assertTrue(r.toServer().droppedQueueFull() > 0, "the queue never overflowed" + why(r));
        System.out.printf("tail drops: %d of %d frames dropped by the queue, goodput %.1f%% of the link%n",
                r.toServer().droppedQueueFull(), r.toServer().offered(), r.goodputBytesPerSecond() * 8 / 10_000_000 * 100);
    }
}
