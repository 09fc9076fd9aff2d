package io.swp.protocol;

import static io.swp.protocol.VirtualLink.MS;
import static io.swp.protocol.VirtualLink.SECOND;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import io.swp.protocol.VirtualLink.Direction;
import io.swp.protocol.VirtualLink.Fate;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EngineHandshakeAndTransferTest {
    private static final SessionConfig CONFIG = SessionConfig.defaults();

    @Test
    void handshakeEstablishesBothSidesWithEachOthersNonces() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        assertEquals(VirtualLink.NONCE_B, link.a.remoteNonce());
        assertEquals(VirtualLink.NONCE_A, link.b.remoteNonce());
        assertEquals(List.of(EngineEvent.ESTABLISHED), link.eventsA);
        assertEquals(List.of(EngineEvent.ESTABLISHED), link.eventsB);
        assertEquals(0, link.a.stats().timeouts());
        assertEquals(1, link.a.stats().rttSamples(), "the SYN/SYN_ACK round trip is a sample");
        assertEquals(10 * MS, link.a.stats().srttNanos());
        Frame syn = link.sentByA.get(0).packet();
        assertEquals(FrameKind.SYN, syn.kind());
        assertEquals(0, syn.dstNonce());
        Frame synAck = link.sentByB.get(0).packet();
        assertEquals(FrameKind.SYN_ACK, synAck.kind());
        assertEquals(VirtualLink.NONCE_A, synAck.dstNonce());
        assertEquals(VirtualLink.NONCE_B, synAck.srcNonce());
    }

    @Test
    void lostSynIsRetriedAfterTheInitialRto() {
        VirtualLink link = new VirtualLink(CONFIG);
        link.policy = (d, i, p, t) -> d == Direction.A_TO_B && i == 0 ? Fate.DROP : Fate.DELIVER;
        link.establish();
        assertEquals(1, link.a.stats().timeouts());
        List<VirtualLink.Sent> syns = link.sentByA(FrameKind.SYN, 0);
        assertEquals(2, syns.size());
        assertEquals(CONFIG.initialRtoNanos(), syns.get(1).at() - syns.get(0).at());
        assertEquals(0, link.a.stats().rttSamples(), "Karn: no sample from a retried SYN");
    }

    @Test
    void lostSynAckIsRepeatedWhenTheSynIsRetried() {
        VirtualLink link = new VirtualLink(CONFIG);
        link.policy = (d, i, p, t) -> d == Direction.B_TO_A && i == 0 ? Fate.DROP : Fate.DELIVER;
        link.establish();
        assertTrue(VirtualLink.count(link.sentByB, FrameKind.SYN_ACK) >= 2);
        assertEquals(1, link.eventsA.size());
        assertEquals(1, link.eventsB.size());
    }

    @Test
    void lostFinalAckIsRecoveredByTheAcceptorsSynAckRetry() {
        VirtualLink link = new VirtualLink(CONFIG);
        link.policy = (d, i, p, t) -> d == Direction.A_TO_B && p.kind() == FrameKind.ACK && i == 1
                ? Fate.DROP : Fate.DELIVER;
        link.establish();
        assertTrue(VirtualLink.count(link.sentByB, FrameKind.SYN_ACK) >= 2,
                "the acceptor retried its SYN_ACK");
    }

    @Test
    void lostFinalAckIsRecoveredByTheFirstDataFrame() {
        VirtualLink link = new VirtualLink(CONFIG);
        link.policy = (d, i, p, t) -> d == Direction.A_TO_B && p.kind() == FrameKind.ACK && i == 1
                ? Fate.DROP : Fate.DELIVER;
        link.app = () -> {
            if (link.a.state() == EngineState.ESTABLISHED && link.a.sendBufferFree() == CONFIG.sendBufferBytes()
                    && link.a.stats().dataFramesSent() == 0) {
                link.a.write(new byte[] {1, 2, 3}, 0, 3, true, link.now);
            }
        };
        link.establish();
        assertEquals(1, VirtualLink.count(link.sentByB, FrameKind.SYN_ACK));
        assertEquals(3, link.b.readableBytes());
    }

    @Test
    void connectTimesOutWhenNobodyAnswers() {
        SessionConfig config = CONFIG.toBuilder().connectTimeout(Duration.ofSeconds(3))
                .initialRto(Duration.ofMillis(200)).build();
        VirtualLink link = new VirtualLink(config);
        link.bVanished = true;
        assertTrue(link.runUntil(() -> link.a.state() == EngineState.CLOSED, 10 * SECOND));
        assertEquals(CloseReason.CONNECT_TIMEOUT, link.a.closeReason());
        assertEquals(3 * SECOND, link.now);
        List<VirtualLink.Sent> syns = link.sentByA(FrameKind.SYN, 0);
        // 0, 0.2, 0.4, 0.6 s, then backing off: 1.0, 1.8, 2.8 s.
        assertEquals(7, syns.size(), "SYNs sent");
        long expected = config.initialRtoNanos();
        for (int i = 1; i < syns.size(); i++) {
            // The first LINEAR_TIMEOUTS timeouts keep the RTO (a lost SYN or SYN_ACK at heavy
            // loss is retried soon), then it doubles, but a SYN goes at least every keepalive
            // interval: the initiator alone repairs a lost handshake when the acceptor is
            // stateless.
            if (i > Engine.LINEAR_TIMEOUTS + 1) {
                expected = Math.min(Math.min(2 * expected, config.maxRtoNanos()), config.keepaliveIntervalNanos());
            }
            assertEquals(expected, syns.get(i).at() - syns.get(i - 1).at(), "gap before SYN " + i);
        }
        assertEquals(List.of(EngineEvent.CLOSED), link.eventsA);
    }

    @Test
    void connectingToAnInboxWithoutSessionFailsFastOnReset() {
        VirtualLink link = new VirtualLink(CONFIG);
        link.bAnswersUnknownWithReset = true;
        assertTrue(link.runUntil(() -> link.a.state() == EngineState.CLOSED, SECOND));
        assertEquals(CloseReason.RESET_BY_PEER, link.a.closeReason());
        assertEquals(10 * MS, link.now);
    }

    @Test
    void transfersAStreamInOrderExactlyOnceUnderLossDuplicationAndReordering() {
        long seed = 42;
        Random random = new Random(seed);
        SessionConfig config = CONFIG.toBuilder().maxPayloadBytes(1000).windowFrames(64).build();
        VirtualLink link = new VirtualLink(config);
        link.policy = (d, i, p, t) -> {
            double r = random.nextDouble();
            if (r < 0.10) {
                return Fate.DROP;
            }
            if (r < 0.15) {
                return Fate.DUPLICATE;
            }
            if (r < 0.25) {
                return Fate.delay(random.nextInt(20) * MS);
            }
            return Fate.DELIVER;
        };
        byte[] data = new byte[300_000];
        new Random(seed + 1).nextBytes(data);
        StreamPump.Writer writer = new StreamPump.Writer(link, true, data, 7_777);
        writer.closeWhenDone = true;
        StreamPump.Reader reader = new StreamPump.Reader(link, true);
        link.app = StreamPump.all(writer, reader);
        assertTrue(link.runUntil(() -> reader.eof, 600 * SECOND), "transfer did not finish, seed " + seed);
        assertArrayEquals(data, reader.received.toByteArray(), "seed " + seed);
        EngineStats a = link.a.stats();
        EngineStats b = link.b.stats();
        assertEquals(data.length, a.payloadBytesSent());
        assertEquals(data.length, b.payloadBytesReceived());
        assertTrue(a.retransmits() > 0, "loss was repaired");
        assertTrue(b.duplicatesDropped() > 0, "duplicates were discarded");
        assertTrue(a.fastRetransmits() > a.timeouts(), "SACK repairs most losses: " + a);
    }

    @Test
    void messageBoundariesSurviveCoalescingAndSplitting() {
        SessionConfig config = CONFIG.toBuilder().maxPayloadBytes(100).build();
        VirtualLink link = new VirtualLink(config).establish();
        byte[] big = new byte[250];
        link.a.write(new byte[] {1}, 0, 1, false, link.now);
        link.a.write(new byte[] {2}, 0, 1, true, link.now);
        link.a.write(new byte[] {3}, 0, 1, true, link.now);
        link.a.write(big, 0, big.length, true, link.now);
        link.a.write(new byte[0], 0, 0, true, link.now);
        link.runFor(SECOND);
        assertEquals(6, link.a.stats().dataFramesSent(), "[1,2] [3] [100] [100] [50] []");
        int[] sizes = {2, 1, 100, 100, 50, 0};
        boolean[] ends = {true, true, false, false, true, true};
        for (int i = 0; i < sizes.length; i++) {
            ReceivedChunk c = link.b.pollChunk(link.now);
            assertNotNull(c, "chunk " + i);
            assertEquals(sizes[i], c.data().length, "chunk " + i);
            assertEquals(ends[i], c.endOfMessage(), "chunk " + i);
        }
        assertEquals(null, link.b.pollChunk(link.now));
        assertFalse(link.b.isInputFinished());
    }

    @Test
    void writesStopAtTheSendBufferAndResumeAsAcksArrive() {
        SessionConfig config = CONFIG.toBuilder().sendBufferBytes(10_000).maxPayloadBytes(1000).build();
        VirtualLink link = new VirtualLink(config).establish();
        byte[] data = new byte[25_000];
        assertEquals(10_000, link.a.write(data, 0, data.length, true, link.now));
        assertEquals(0, link.a.sendBufferFree());
        assertEquals(0, link.a.write(data, 0, 1, false, link.now));
        link.runFor(SECOND);
        assertTrue(link.a.isSendBufferEmpty());
        assertEquals(10_000, link.a.sendBufferFree());
        assertEquals(10_000, link.b.readableBytes());
    }

    @Test
    void smallWritesCoalesceIntoFramesOfTheEffectivePayloadSize() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        link.a.setMaxPayload(100);
        assertEquals(100, link.a.maxPayload());
        for (int i = 0; i < 1000; i++) {
            assertEquals(1, link.a.write(new byte[] {(byte) i}, 0, 1, false, link.now));
        }
        link.runFor(SECOND);
        assertEquals(10, link.a.stats().dataFramesSent());
        assertEquals(1000, link.b.readableBytes());
        link.a.setMaxPayload(1_000_000_000);
        assertEquals(CONFIG.maxPayloadBytes(), link.a.maxPayload(), "never above the configured size");
    }

    @Test
    void tinyMessagesAreBoundedByTheSendBufferToo() {
        SessionConfig config = CONFIG.toBuilder().sendBufferBytes(64 * 100).build();
        VirtualLink link = new VirtualLink(config);
        int accepted = 0;
        while (accepted < 1000 && link.a.writeUnordered(new byte[0], link.now)) {
            accepted++;
        }
        assertEquals(100, accepted, "each queued frame is charged against the buffer");
    }
}
