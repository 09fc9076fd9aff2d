package io.swp.protocol;

import static io.swp.protocol.VirtualLink.MS;
import static io.swp.protocol.VirtualLink.SECOND;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import io.swp.protocol.VirtualLink.Direction;
import io.swp.protocol.VirtualLink.Fate;
import io.swp.protocol.VirtualLink.Sent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EngineRecoveryTest {
    private static final SessionConfig CONFIG = SessionConfig.builder()
            .maxPayloadBytes(1000).windowFrames(128).build();

    private static byte[] randomBytes(int n, long seed) {
        byte[] data = new byte[n];
        new Random(seed).nextBytes(data);
        return data;
    }

    /** Sends {@code data} from A to B and waits until B has read all of it. */
    private static StreamPump.Reader transfer(VirtualLink link, byte[] data) {
        StreamPump.Writer writer = new StreamPump.Writer(link, true, data, data.length);
        StreamPump.Reader reader = new StreamPump.Reader(link, true);
        link.app = StreamPump.all(writer, reader);
        assertTrue(link.runUntil(() -> reader.received.size() == data.length, 300 * SECOND),
                "received " + reader.received.size() + " of " + data.length);
        assertArrayEquals(data, reader.received.toByteArray());
        return reader;
    }

    /** Drops the first transmission of DATA frame {@code seq} from A. */
    private static VirtualLink.FramePolicy dropFirst(long seq) {
        AtomicBoolean done = new AtomicBoolean();
        return (d, i, p, t) -> d == Direction.A_TO_B && p.kind() == FrameKind.DATA && p.seq() == seq
                && !done.getAndSet(true) ? Fate.DROP : Fate.DELIVER;
    }

    @Test
    void aSingleLossResendsOnlyThatFrameAndBeforeTheRto() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        link.policy = dropFirst(10);
        transfer(link, randomBytes(100 * 1000, 1));
        EngineStats a = link.a.stats();
        assertEquals(1, a.retransmits(), a.toString());
        assertEquals(1, a.fastRetransmits(), a.toString());
        assertEquals(0, a.timeouts(), a.toString());
        assertEquals(100, a.dataFramesSent());
        List<Sent> sends = link.sentByA(FrameKind.DATA, 10);
        assertEquals(2, sends.size());
        long repairDelay = sends.get(1).at() - sends.get(0).at();
        assertTrue(repairDelay < a.rtoNanos(), "repaired after " + repairDelay + " ns, RTO " + a.rtoNanos());
        assertEquals(1, link.b.stats().payloadBytesReceived() / (100 * 1000));
    }

    @Test
    void aLostTailFrameIsRepairedByATailLossProbeBeforeTheRto() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        link.policy = dropFirst(4);
        transfer(link, randomBytes(5 * 1000, 2));
        EngineStats a = link.a.stats();
        assertEquals(1, a.retransmits(), a.toString());
        // The probe went out first: the retransmission timer never fired.
        assertEquals(1, a.tailLossProbes(), a.toString());
        assertEquals(0, a.timeouts(), a.toString());
        assertEquals(0, a.fastRetransmits(), a.toString());
        assertEquals(2, link.sentByA(FrameKind.DATA, 4).size());
    }

    @Test
    void aBurstLossAfterATimeoutIsResentOnceThePathAnswers() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        // Everything A sends in a 30 ms outage is lost: the window's worth goes, then comes back.
        long start = link.now;
        link.policy = (d, i, p, t) -> d == Direction.A_TO_B && t < start + 30 * MS ? Fate.DROP : Fate.DELIVER;
        transfer(link, randomBytes(50 * 1000, 3));
        EngineStats a = link.a.stats();
        assertTrue(a.timeouts() + a.tailLossProbes() >= 1, a.toString());
        // Each frame is sent until one copy gets through, and no more: the copies sent in
        // the outage (the originals, and a probe that went out before it ended) plus one.
        long sends = 0;
        for (long seq = 0; seq < 50; seq++) {
            List<Sent> copies = link.sentByA(FrameKind.DATA, seq);
            long lost = copies.stream().filter(s -> s.at() < start + 30 * MS).count();
            assertEquals(lost + 1, copies.size(), "frame " + seq + ": " + copies + " " + a);
            sends += copies.size();
        }
        assertEquals(sends - 50, a.retransmits(), a.toString());
        assertTrue(a.retransmits() <= 50 + a.timeouts() + a.tailLossProbes(), a.toString());
    }

    @Test
    void rttEstimateConvergesToTheSimulatedRoundTrip() {
        VirtualLink link = new VirtualLink(CONFIG);
        link.latencyAToB = 17 * MS;
        link.latencyBToA = 23 * MS;
        link.establish();
        transfer(link, randomBytes(2_000 * 1000, 4));
        EngineStats a = link.a.stats();
        long rtt = 40 * MS;
        assertTrue(a.rttSamples() > 50, a.toString());
        assertTrue(Math.abs(a.srttNanos() - rtt) <= rtt / 5, "srtt " + a.srttNanos() + " vs " + rtt);
        assertTrue(a.rtoNanos() >= a.srttNanos() && a.rtoNanos() >= CONFIG.minRtoNanos());
    }

    @Test
    void karnsRuleTakesNoSampleFromARetransmittedFrame() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        assertEquals(1, link.a.stats().rttSamples());
        long srttBefore = link.a.stats().srttNanos();
        link.policy = dropFirst(0);
        transfer(link, new byte[10]);
        EngineStats a = link.a.stats();
        assertEquals(1, a.retransmits());
        assertEquals(1, a.rttSamples(), "the ack of the retransmitted frame yielded no sample");
        assertEquals(srttBefore, a.srttNanos());
    }

    @Test
    void rtoStaysForThreeTimeoutsThenBacksOffByDoublingUpToTheCeiling() {
        SessionConfig config = CONFIG.toBuilder().maxRto(Duration.ofMillis(400)).build();
        VirtualLink link = new VirtualLink(config).establish();
        link.bVanished = true;
        link.a.write(new byte[10], 0, 10, true, link.now);
        link.runFor(5 * SECOND);
        List<Sent> all = link.sentByA(FrameKind.DATA, 0);
        EngineStats a = link.a.stats();
        // At most two tail-loss probes go out, among the first timeouts (nothing ever
        // answers them), and the first three timeouts keep the RTO; from then on only the
        // timer resends, doubling its wait each time up to the ceiling.
        int probes = (int) a.tailLossProbes();
        assertTrue(probes <= 2, "probes: " + probes);
        assertTrue(all.size() > probes + 9, "sends: " + all.size());
        long firstResend = all.get(1).at() - all.get(0).at();
        assertTrue(firstResend >= config.minRtoNanos() / 2 && firstResend < config.maxRtoNanos(),
                "first resend " + firstResend);
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < all.size(); i++) {
            gaps.add(all.get(i).at() - all.get(i - 1).at());
        }
        // From the end back, the gaps double up to the ceiling; the run starts at gap k.
        int k = gaps.size() - 1;
        while (k > 0 && gaps.get(k).equals(Math.min(2 * gaps.get(k - 1), config.maxRtoNanos()))) {
            k--;
        }
        assertTrue(gaps.size() - k >= 4, "a doubling run of at least three steps: gaps " + gaps);
        // Before it (probes in between) nothing backed off: the RTO, then twice it where a
        // probe split a gap, is at most half the run's first gap; and the three linear
        // timeouts and the one that first doubled all came before the run.
        for (int i = 0; i < k; i++) {
            assertTrue(2 * gaps.get(i) <= gaps.get(k), "no backoff before the fourth timeout: gaps " + gaps);
        }
        assertTrue(k - probes >= 4, "three timeouts at the same RTO first: gaps " + gaps);
        assertEquals(config.maxRtoNanos(), gaps.get(gaps.size() - 1));
        assertEquals(all.size() - 1 - probes, a.timeouts());
        assertEquals(all.size() - 1, a.retransmits());
        assertEquals(config.maxRtoNanos(), a.rtoNanos());
    }

    @Test
    void backoffIsUndoneByTheNextNewAcknowledgement() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        long rtoBefore = link.a.stats().rtoNanos();
        AtomicBoolean outage = new AtomicBoolean(true);
        link.policy = (d, i, p, t) -> outage.get() && d == Direction.A_TO_B ? Fate.DROP : Fate.DELIVER;
        link.a.write(new byte[10], 0, 10, true, link.now);
        // Three timeouts keep the RTO, the next three double it each.
        link.runUntil(() -> link.a.stats().timeouts() >= 6, 60 * SECOND);
        assertTrue(link.a.stats().rtoNanos() >= 8 * rtoBefore || link.a.stats().rtoNanos() == CONFIG.maxRtoNanos());
        outage.set(false);
        assertTrue(link.runUntil(() -> link.a.isSendBufferEmpty(), 60 * SECOND));
        assertTrue(link.a.stats().rtoNanos() < 2 * rtoBefore, link.a.stats().toString());
    }

    @Test
    void delayedAcksStayNearOnePerAckEveryFramesOnALosslessBulkTransfer() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        long acksBefore = link.b.stats().acksSent();
        transfer(link, randomBytes(4_000 * 1000, 5));
        long dataFrames = link.a.stats().dataFramesSent();
        long acks = link.b.stats().acksSent() - acksBefore;
        int perAck = CONFIG.engineConfig().inOrderFramesPerAck();
        long bound = dataFrames / perAck + dataFrames / 50 + 5;
        assertTrue(acks <= bound, acks + " acks for " + dataFrames + " frames, bound " + bound);
        assertTrue(acks >= dataFrames / perAck / 2, "acks were sent: " + acks);
        assertEquals(0, link.a.stats().retransmits());
    }

    /** Seeds 1..12, each with 2 % more loss than the one before. */
    static Stream<Arguments> seededLossRates() {
        return Seeds.range(1, 12).mapToObj(seed -> {
            double loss = 0.02 * seed;
            return Arguments.of(seed, Named.of(String.format(Locale.ROOT, "%.0f %%", loss * 100), loss));
        });
    }

    @ParameterizedTest(name = "seed {0}, loss {1}")
    @MethodSource("seededLossRates")
    void manySeededLossRatesDeliverExactly(long seed, double loss) {
        Random random = new Random(seed);
        VirtualLink link = new VirtualLink(CONFIG);
        link.policy = (d, i, p, t) -> random.nextDouble() < loss ? Fate.DROP
                : Fate.delay(random.nextInt(3) * MS);
        link.establish();
        byte[] data = randomBytes(200 * 1000, seed);
        StreamPump.Writer writer = new StreamPump.Writer(link, true, data, 50_000);
        StreamPump.Reader reader = new StreamPump.Reader(link, true);
        link.app = StreamPump.all(writer, reader);
        String rerun = "\n  rerun: " + Seeds.rerun("EngineRecoveryTest", "manySeededLossRatesDeliverExactly", seed);
        assertTrue(link.runUntil(() -> reader.received.size() == data.length, 3_600 * SECOND),
                "seed " + seed + " loss " + loss + ": " + link.a.stats() + rerun);
        assertArrayEquals(data, reader.received.toByteArray(), "seed " + seed + " loss " + loss + rerun);
    }

    @Test
    void reorderingWithoutLossRaisesTheThresholdAndStopsSpuriousRetransmits() {
        long seed = 9;
        Random random = new Random(seed);
        VirtualLink link = new VirtualLink(CONFIG);
        // Up to 3 ms of jitter on a 10 ms round trip: deep reordering, no loss at all.
        link.policy = (d, i, p, t) -> Fate.delay(random.nextInt(4) * MS);
        link.establish();
        transfer(link, randomBytes(1_000 * 1000, seed));
        SendBuffer send = link.a.sendBufferForTest();
        EngineStats a = link.a.stats();
        assertTrue(send.spuriousRetransmits() > 0, "spurious retransmissions were detected: " + a);
        assertEquals(a.retransmits(), send.spuriousRetransmits(), "every retransmission was spurious");
        assertTrue(send.reorderingThreshold() > SendBuffer.DUP_THRESH, "threshold " + send.reorderingThreshold());
        // Once adapted, the rest of the transfer is clean: most frames go exactly once.
        assertTrue(a.retransmits() < a.dataFramesSent() / 10, "seed " + seed + ": " + a);
        long late = link.sentByA.stream().filter(s -> s.at() > link.now / 2 && s.packet().kind() == FrameKind.DATA)
                .map(s -> s.packet().seq()).distinct().count();
        long lateSends = link.sentByA.stream().filter(s -> s.at() > link.now / 2
                && s.packet().kind() == FrameKind.DATA).count();
        assertTrue(lateSends - late <= 2, "second half retransmitted " + (lateSends - late) + " frames");
    }

    @Test
    void heavyLossStillConvergesOnTheRoundTrip() {
        Random random = new Random(11);
        VirtualLink link = new VirtualLink(CONFIG);
        link.policy = (d, i, p, t) -> random.nextDouble() < 0.3 ? Fate.DROP : Fate.DELIVER;
        link.establish();
        transfer(link, randomBytes(300 * 1000, 11));
        long rtt = link.latencyAToB + link.latencyBToA;
        EngineStats a = link.a.stats();
        assertTrue(Math.abs(a.srttNanos() - rtt) <= rtt / 5, "srtt " + a.srttNanos() + " at 30% loss: " + a);
    }
}
