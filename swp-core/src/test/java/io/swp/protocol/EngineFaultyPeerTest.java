package io.swp.protocol;

import static io.swp.protocol.FrameCrafter.ACCEPTOR;
import static io.swp.protocol.FrameCrafter.ACCEPTOR_NONCE;
import static io.swp.protocol.FrameCrafter.CONFIG;
import static io.swp.protocol.FrameCrafter.MS;
import static io.swp.protocol.FrameCrafter.T0;
import static io.swp.protocol.FrameCrafter.assertSilent;
import static io.swp.protocol.FrameCrafter.assertStatsChange;
import static io.swp.protocol.FrameCrafter.events;
import static io.swp.protocol.FrameCrafter.feed;
import static io.swp.protocol.FrameCrafter.fromAcceptor;
import static io.swp.protocol.FrameCrafter.fromInitiator;
import static io.swp.protocol.FrameCrafter.syn;
import static io.swp.protocol.FrameCrafter.transmit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * A faulty or hostile peer, one crafted frame at a time (issue 10): frames that a
 * correct peer never sends, each fed to an engine in a chosen state, with exactly what
 * must come out. Each test here failed before the fix it names.
 */
class EngineFaultyPeerTest {
    private static final byte[] ABC = {'a', 'b', 'c'};

    /** @return {@code base} with another receive window in frames, bypassing the builder's checks */
    static EngineConfig withWindowFrames(EngineConfig base, int windowFrames) {
        return new EngineConfig(windowFrames, base.windowBytes(), base.sendBufferBytes(), base.maxPayloadBytes(),
                base.initialRtoNanos(), base.minRtoNanos(), base.maxRtoNanos(), base.ackEveryFrames(),
                base.ackDelayNanos(), base.keepaliveIntervalNanos(), base.deadPeerNanos(),
                base.unackedTimeoutNanos(), base.maxRetransmitsPerFrame(), base.connectTimeoutNanos(),
                base.timeWaitNanos(), base.closeTimeoutNanos(), base.unorderedQueueLimit());
    }

    /**
     * @return an acceptor with {@code config} (SYN_ACK sent at {@code T0 + 5 ms}) that got the
     *     initiator's ACK at {@code T0 + 15 ms}; nothing to send, its ESTABLISHED event drained
     */
    static Engine establishedAcceptor(EngineConfig config) {
        Engine e = Engine.accept(config, ACCEPTOR, syn(T0), ACCEPTOR_NONCE, T0 + 5 * MS);
        assertEquals(1, transmit(e, T0 + 5 * MS).size(), "the SYN_ACK");
        feed(e, fromInitiator(FrameKind.ACK).tsVal(T0 + 10 * MS).tsEcr(T0 + 5 * MS).build(), T0 + 15 * MS);
        assertEquals(List.of(), transmit(e, T0 + 15 * MS));
        assertEquals(EngineState.ESTABLISHED, e.state());
        assertEquals(List.of(EngineEvent.ESTABLISHED), events(e));
        return e;
    }

    /** Fault 6: the receive window in frames had no upper bound. */
    @Nested
    class WindowBound {
        private static final int MAX = EngineConfig.MAX_WINDOW_FRAMES;

        @Test
        void aWindowAboveTheMaximumIsRefusedByBothConfigurations() {
            assertThrows(IllegalArgumentException.class, () -> withWindowFrames(CONFIG, Integer.MAX_VALUE));
            assertThrows(IllegalArgumentException.class, () -> withWindowFrames(CONFIG, MAX + 1));
            assertThrows(IllegalArgumentException.class, () -> SessionConfig.builder().windowFrames(MAX + 1));
            assertEquals(MAX, SessionConfig.builder().windowFrames(MAX).build().engineConfig().windowFrames());
        }

        @Test
        void oneFrameAtTheFarEdgeOfTheLargestWindowAllocatesThatWindowAndNoMore() {
            EngineConfig config = withWindowFrames(CONFIG, MAX);
            Engine e = establishedAcceptor(config);
            assertEquals(16, e.receiveBufferForTest().ringCapacity(), "nothing allocated up front");
            long now = T0 + 30 * MS;
            feed(e, fromInitiator(FrameKind.DATA).seq(MAX - 1).payload(ABC).window(MAX, CONFIG.windowBytes())
                    .tsVal(T0 + 25 * MS).tsEcr(T0 + 5 * MS).build(), now);
            assertEquals(MAX, e.receiveBufferForTest().ringCapacity(), "a reference per frame of the window");
            assertEquals(List.of(fromAcceptor(FrameKind.ACK).sackRanges(new long[] {MAX - 1, MAX})
                    .window(MAX - 1, CONFIG.windowBytes() - 3).tsVal(now).tsEcr(T0 + 25 * MS).build()), transmit(e, now));
            EngineStats before = e.stats();
            feed(e, fromInitiator(FrameKind.DATA).seq(MAX).payload(ABC).window(MAX, CONFIG.windowBytes())
                    .tsVal(T0 + 26 * MS).tsEcr(T0 + 5 * MS).build(), now);
            assertEquals(MAX, e.receiveBufferForTest().ringCapacity(), "beyond the window: refused, nothing grows");
            assertEquals(1, transmit(e, now).size(), "answered with an ACK");
            assertStatsChange(before, e.stats(), "framesReceived", 1, "noRoomDropped", 1, "framesSent", 1,
                    "acksSent", 1);
        }

        @Test
        void aPeerAdvertisingAHugeWindowMakesThisSideAllocateNothing() {
            Engine e = FrameCrafter.establishedInitiator();
            long now = T0 + 20 * MS;
            feed(e, fromAcceptor(FrameKind.ACK).window(Integer.MAX_VALUE, Long.MAX_VALUE).tsVal(T0 + 15 * MS)
                    .tsEcr(T0 + 10 * MS).build(), now);
            assertEquals(Integer.MAX_VALUE, e.stats().peerWindowFrames());
            assertEquals(16, e.sendBufferForTest().ringCapacity(), "the send ring follows what is queued");
            byte[] data = new byte[40 * CONFIG.maxPayloadBytes()];
            assertEquals(data.length, e.write(data, 0, data.length, false, now));
            assertEquals(40, transmit(e, now).size());
            assertEquals(64, e.sendBufferForTest().ringCapacity(), "40 frames queued, not the peer's window");
            assertEquals(16, e.receiveBufferForTest().ringCapacity());
        }
    }

    /** Fault 7: the {@code to} field was never checked. */
    @Nested
    class WrongInbox {
        @Test
        void aFrameAddressedToAnotherInboxIsCountedAndIgnored() {
            Engine e = FrameCrafter.establishedAcceptor();
            EngineStats before = e.stats();
            long timeout = e.pollTimeout();
            long now = T0 + 30 * MS;
            // Right nonces, in order, but for another inbox: it must not be taken.
            feed(e, fromInitiator(FrameKind.DATA).to("elsewhere").seq(0).payload(ABC).tsVal(T0 + 25 * MS)
                    .tsEcr(T0 + 5 * MS).build(), now);
            assertSilent(e, now);
            assertEquals(0, e.readableBytes());
            assertEquals(timeout, e.pollTimeout(), "no timer moved");
            assertStatsChange(before, e.stats(), "strayFramesDropped", 1);
        }

        @Test
        void aResetAddressedToAnotherInboxDoesNotEndTheSession() {
            Engine e = FrameCrafter.establishedInitiator();
            EngineStats before = e.stats();
            feed(e, fromAcceptor(FrameKind.RESET).to("elsewhere").tsVal(T0 + 25 * MS).build(), T0 + 30 * MS);
            assertSilent(e, T0 + 30 * MS);
            assertEquals(EngineState.ESTABLISHED, e.state());
            assertStatsChange(before, e.stats(), "strayFramesDropped", 1);
        }
    }

    /** Fault 3: in SYN_RECEIVED, any frame with the right nonces established the session. */
    @Nested
    class BogusAckInSynReceived {
        @Test
        void anAckOfDataNeverSentDoesNotCompleteTheHandshake() {
            assertNotEstablishedBy(fromInitiator(FrameKind.ACK).ack(5).tsVal(T0 + 10 * MS).tsEcr(T0 + 5 * MS).build());
        }

        @Test
        void aSackOfDataNeverSentDoesNotCompleteTheHandshake() {
            assertNotEstablishedBy(fromInitiator(FrameKind.ACK).sackRanges(new long[] {3, 4}).tsVal(T0 + 10 * MS)
                    .tsEcr(T0 + 5 * MS).build());
        }

        @Test
        void dataAcknowledgingDataNeverSentIsNotTakenAndDoesNotCompleteTheHandshake() {
            assertNotEstablishedBy(fromInitiator(FrameKind.DATA).seq(0).payload(ABC).ack(1).tsVal(T0 + 10 * MS)
                    .tsEcr(T0 + 5 * MS).build());
        }

        private void assertNotEstablishedBy(Frame bogus) {
            long acceptedAt = T0 + 5 * MS;
            Engine e = FrameCrafter.synReceived(acceptedAt);
            EngineStats before = e.stats();
            long timeout = e.pollTimeout();
            long now = T0 + 15 * MS;
            feed(e, bogus, now);
            assertSilent(e, now);
            assertEquals(EngineState.SYN_RECEIVED, e.state());
            assertEquals(0, e.readableBytes());
            assertEquals(timeout, e.pollTimeout(), "the SYN_ACK retry stays due");
            assertStatsChange(before, e.stats(), "framesReceived", 1, "strayFramesDropped", 1);
            // The real acknowledgement of the SYN_ACK still completes the handshake.
            feed(e, fromInitiator(FrameKind.ACK).tsVal(T0 + 11 * MS).tsEcr(acceptedAt).build(), T0 + 16 * MS);
            assertEquals(EngineState.ESTABLISHED, e.state());
            assertEquals(List.of(EngineEvent.ESTABLISHED), events(e));
        }
    }

    /** Incoming payloads were never checked against the local maximum. */
    @Nested
    class OversizedPayload {
        @Test
        void aPayloadAboveTheLocalMaximumIsDroppedBeforeAnythingIsBuffered() {
            Engine e = FrameCrafter.establishedAcceptor();
            EngineStats before = e.stats();
            long timeout = e.pollTimeout();
            long now = T0 + 30 * MS;
            // In order, right nonces, within the byte window, one byte too large.
            feed(e, fromInitiator(FrameKind.DATA).seq(0).payload(new byte[CONFIG.maxPayloadBytes() + 1])
                    .tsVal(T0 + 25 * MS).tsEcr(T0 + 5 * MS).build(), now);
            assertSilent(e, now);
            assertEquals(0, e.readableBytes());
            assertEquals(CONFIG.windowBytes(), e.stats().localWindowBytes());
            assertEquals(timeout, e.pollTimeout(), "no timer moved");
            assertStatsChange(before, e.stats(), "strayFramesDropped", 1);
        }

        @Test
        void aPayloadOfExactlyTheLocalMaximumIsTaken() {
            Engine e = FrameCrafter.establishedAcceptor();
            long now = T0 + 30 * MS;
            feed(e, fromInitiator(FrameKind.DATA).seq(0).payload(new byte[CONFIG.maxPayloadBytes()])
                    .tsVal(T0 + 25 * MS).tsEcr(T0 + 5 * MS).build(), now);
            assertEquals(CONFIG.maxPayloadBytes(), e.readableBytes());
        }

        @Test
        void anUnorderedMessageAboveTheLocalMaximumIsNotDelivered() {
            Engine e = FrameCrafter.establishedAcceptor();
            EngineStats before = e.stats();
            long now = T0 + 30 * MS;
            feed(e, fromInitiator(FrameKind.DATA).flags(Frame.FLAG_UNORDERED | Frame.FLAG_END_OF_MESSAGE).seq(0)
                    .payload(new byte[CONFIG.maxPayloadBytes() + 1]).tsVal(T0 + 25 * MS).tsEcr(T0 + 5 * MS).build(), now);
            assertSilent(e, now);
            assertTrue(e.pollUnordered() == null, "nothing delivered");
            assertStatsChange(before, e.stats(), "strayFramesDropped", 1);
        }
    }

    /** Fault 5: an echoed timestamp from the future poisoned loss detection. */
    @Nested
    class EchoFromTheFuture {
        private static final long FUTURE = T0 + 10_000 * MS;

        /** @return an established initiator that sent three one-message DATA frames (0, 1, 2) at {@code T0 + 20 ms} */
        private Engine withThreeFramesInFlight() {
            Engine e = FrameCrafter.establishedInitiator();
            long now = T0 + 20 * MS;
            for (int i = 0; i < 3; i++) {
                assertEquals(3, e.write(ABC, 0, 3, true, now));
            }
            assertEquals(3, transmit(e, now).size());
            return e;
        }

        @Test
        void aFutureEchoDoesNotDeclareTheFramesInFlightLost() {
            Engine e = withThreeFramesInFlight();
            EngineStats before = e.stats();
            long now = T0 + 25 * MS;
            // Frame 2 SACKed, sent at the same time as 0 and 1: no evidence against them,
            // unless an echo from the future claims the peer has seen much later frames.
            feed(e, fromAcceptor(FrameKind.ACK).sackRanges(new long[] {2, 3}).tsVal(T0 + 22 * MS).tsEcr(FUTURE).build(),
                    now);
            assertSilent(e, now);
            assertStatsChange(before, e.stats(), "framesReceived", 1, "acksReceived", 1);
        }

        @Test
        void aFutureEchoDoesNotMakeATimeoutResendEveryFrame() {
            Engine e = withThreeFramesInFlight();
            long now = T0 + 25 * MS;
            feed(e, fromAcceptor(FrameKind.ACK).tsVal(T0 + 22 * MS).tsEcr(FUTURE).build(), now);
            assertSilent(e, now);
            long rtoAt = e.pollTimeout();
            e.handleTimeout(rtoAt);
            // Nothing of ours is known to have arrived: the timer resends the oldest frame only.
            assertEquals(List.of(fromInitiator(FrameKind.DATA).flags(Frame.FLAG_END_OF_MESSAGE).seq(0).payload(ABC)
                    .tsVal(rtoAt).tsEcr(T0 + 22 * MS).build()), transmit(e, rtoAt));
            assertEquals(1, e.stats().retransmits());
            assertEquals(0, e.stats().rttSamples() - 1, "only the handshake's sample");
        }

        @Test
        void aValidEchoStillCountsAfterAFutureOne() {
            Engine e = withThreeFramesInFlight();
            feed(e, fromAcceptor(FrameKind.ACK).tsVal(T0 + 22 * MS).tsEcr(FUTURE).build(), T0 + 25 * MS);
            EngineStats before = e.stats();
            long now = T0 + 30 * MS;
            feed(e, fromAcceptor(FrameKind.ACK).ack(3).tsVal(T0 + 27 * MS).tsEcr(T0 + 20 * MS).build(), now);
            assertSilent(e, now);
            assertEquals(0, e.stats().inFlightFrames());
            assertEquals(before.rttSamples() + 1, e.stats().rttSamples(), "the frames' round trip is sampled");
        }
    }

    /** Fault 4: any frame with the right nonces, replayed duplicates included, reset the dead-peer timer. */
    @Nested
    class ReplaysAndLiveness {
        private final long deadPeer = CONFIG.deadPeerNanos();

        /** Asserts that {@code e} is still established just before {@code deadAt} and dead at it. */
        private void assertDeclaredDeadAt(Engine e, long deadAt) {
            e.handleTimeout(deadAt - 1);
            assertEquals(EngineState.ESTABLISHED, e.state(), "alive until " + deadAt);
            e.handleTimeout(deadAt);
            assertEquals(EngineState.CLOSED, e.state());
            assertEquals(CloseReason.PEER_DEAD, e.closeReason());
        }

        @Test
        void aReplayedAckDoesNotKeepASilentPeerAlive() {
            Engine e = FrameCrafter.establishedAcceptor();
            // The initiator's ACK that completed the handshake at T0 + 15 ms, replayed as captured.
            Frame replay = fromInitiator(FrameKind.ACK).tsVal(T0 + 10 * MS).tsEcr(T0 + 5 * MS).build();
            EngineStats before = e.stats();
            long now = T0 + 40_000 * MS;
            feed(e, replay, now);
            assertSilent(e, now);
            assertStatsChange(before, e.stats(), "framesReceived", 1);
            assertDeclaredDeadAt(e, T0 + 15 * MS + deadPeer);
        }

        @Test
        void aReplayedDataFrameIsAnsweredButDoesNotKeepASilentPeerAlive() {
            Engine e = FrameCrafter.establishedAcceptor();
            Frame data = fromInitiator(FrameKind.DATA).seq(0).payload(ABC).tsVal(T0 + 12 * MS).tsEcr(T0 + 5 * MS)
                    .build();
            feed(e, data, T0 + 20 * MS);
            assertEquals(3, e.readableBytes());
            transmit(e, T0 + 20 * MS);
            e.handleTimeout(T0 + 25 * MS);
            assertEquals(1, transmit(e, T0 + 25 * MS).size(), "the delayed ACK");
            EngineStats before = e.stats();
            long now = T0 + 40_000 * MS;
            feed(e, data, now);
            // A duplicate is acknowledged at once (the peer may have lost our ACK) ...
            assertEquals(List.of(fromAcceptor(FrameKind.ACK).ack(1).window(FrameCrafter.WINDOW_FRAMES - 1,
                    CONFIG.windowBytes() - 3).tsVal(now).tsEcr(T0 + 12 * MS).build()), transmit(e, now));
            assertStatsChange(before, e.stats(), "framesReceived", 1, "duplicatesDropped", 1, "framesSent", 1,
                    "acksSent", 1);
            // ... but proves nothing about the peer: it was last heard from with the original.
            assertDeclaredDeadAt(e, T0 + 20 * MS + deadPeer);
        }

        @Test
        void aFrameWithANewerTimestampProvesThePeerAlive() {
            Engine e = FrameCrafter.establishedAcceptor();
            long now = T0 + 40_000 * MS;
            feed(e, fromInitiator(FrameKind.KEEPALIVE).tsVal(now - 5 * MS).tsEcr(T0 + 5 * MS).build(), now);
            assertDeclaredDeadAt(e, now + deadPeer);
        }

        @Test
        void anAnswerEchoingOurNewestSendProvesThePeerAliveEvenWithAnOldTimestamp() {
            Engine e = FrameCrafter.establishedAcceptor();
            long keepaliveAt = T0 + 15 * MS + CONFIG.keepaliveIntervalNanos();
            e.handleTimeout(keepaliveAt);
            assertEquals(List.of(fromAcceptor(FrameKind.KEEPALIVE).tsVal(keepaliveAt).tsEcr(T0 + 10 * MS).build()),
                    transmit(e, keepaliveAt));
            long now = keepaliveAt + 5 * MS;
            // The peer's clock did not move (it is no replay either: it echoes the keepalive).
            feed(e, fromInitiator(FrameKind.ACK).tsVal(T0 + 10 * MS).tsEcr(keepaliveAt).build(), now);
            assertDeclaredDeadAt(e, now + deadPeer);
        }
    }

    /** Fault 2: data held above a FIN that arrived later was delivered after it. */
    @Nested
    class DataPastTheFin {
        @Test
        void aFinBelowHeldDataEndsTheStreamAndTheDataIsNeverDelivered() {
            Engine e = FrameCrafter.establishedAcceptor();
            feed(e, fromInitiator(FrameKind.DATA).seq(0).payload(ABC).tsVal(T0 + 20 * MS).tsEcr(T0 + 5 * MS).build(),
                    T0 + 21 * MS);
            feed(e, fromInitiator(FrameKind.DATA).seq(2).payload(new byte[] {'x', 'y', 'z'}).tsVal(T0 + 22 * MS)
                    .tsEcr(T0 + 5 * MS).build(), T0 + 23 * MS);
            assertEquals(List.of(fromAcceptor(FrameKind.ACK).ack(1).sackRanges(new long[] {2, 3})
                    .window(FrameCrafter.WINDOW_FRAMES - 2, CONFIG.windowBytes() - 6).tsVal(T0 + 23 * MS)
                    .tsEcr(T0 + 22 * MS).build()), transmit(e, T0 + 23 * MS));
            EngineStats before = e.stats();
            long now = T0 + 30 * MS;
            // The peer's FIN says its stream ends before frame 2.
            feed(e, fromInitiator(FrameKind.FIN).seq(1).tsVal(T0 + 25 * MS).tsEcr(T0 + 5 * MS).build(), now);
            assertEquals(EngineState.CLOSE_WAIT, e.state());
            assertEquals(List.of(EngineEvent.PEER_FINISHED), events(e));
            assertEquals(List.of(fromAcceptor(FrameKind.ACK).ack(2).window(FrameCrafter.WINDOW_FRAMES - 1,
                    CONFIG.windowBytes() - 3).tsVal(now).tsEcr(T0 + 25 * MS).build()), transmit(e, now),
                    "the FIN acknowledged, frame 2 no longer SACKed");
            assertEquals(3, e.readableBytes(), "only the data before the FIN");
            assertStatsChange(before, e.stats(), "framesReceived", 1, "strayFramesDropped", 1, "framesSent", 1,
                    "acksSent", 1, "localWindowFrames", 1, "localWindowBytes", 3);
            byte[] out = new byte[10];
            assertEquals(3, e.read(out, 0, out.length, now));
            assertEquals(-1, e.read(out, 0, out.length, now));
            assertEquals(3, e.stats().payloadBytesReceived());
        }
    }

    /** Unordered frames bypassed the receive window. */
    @Nested
    class UnorderedBeyondTheWindow {
        private Frame unordered(long seq, long tsVal) {
            return fromInitiator(FrameKind.DATA).flags(Frame.FLAG_UNORDERED | Frame.FLAG_END_OF_MESSAGE).seq(seq)
                    .payload(new byte[] {(byte) seq, 'b', 'c'}).tsVal(tsVal).tsEcr(T0 + 5 * MS).build();
        }

        @Test
        void unorderedMessagesNotTakenFillTheWindowInFramesAndTheNextIsRefused() {
            EngineConfig config = withWindowFrames(CONFIG, 4);
            Engine e = establishedAcceptor(config);
            for (int seq = 0; seq < 4; seq++) {
                feed(e, unordered(seq, T0 + 20 * MS + seq), T0 + 21 * MS);
            }
            transmit(e, T0 + 21 * MS);
            assertEquals(0, e.stats().localWindowFrames(), "four messages wait: the window is closed");
            EngineStats before = e.stats();
            long now = T0 + 30 * MS;
            feed(e, unordered(4, T0 + 25 * MS), now);
            assertEquals(List.of(fromAcceptor(FrameKind.ACK).ack(4).window(0, CONFIG.windowBytes() - 12).tsVal(now)
                    .tsEcr(T0 + 25 * MS).build()), transmit(e, now), "refused: not acknowledged");
            assertStatsChange(before, e.stats(), "framesReceived", 1, "noRoomDropped", 1, "framesSent", 1,
                    "acksSent", 1);
            for (int seq = 0; seq < 4; seq++) {
                assertEquals(seq, e.pollUnordered()[0]);
            }
            assertTrue(e.pollUnordered() == null, "message 4 was not delivered");
            assertEquals(List.of(fromAcceptor(FrameKind.ACK).ack(4).window(4, CONFIG.windowBytes()).tsVal(now)
                    .tsEcr(T0 + 25 * MS).build()), transmit(e, now), "taking them reopens the window at once");
            feed(e, unordered(4, T0 + 35 * MS), T0 + 40 * MS);
            assertEquals(4, e.pollUnordered()[0], "its retransmission is taken");
        }

        @Test
        void unorderedMessagesNotTakenFillTheWindowInBytes() {
            EngineConfig base = withWindowFrames(CONFIG, 64);
            EngineConfig config = new EngineConfig(base.windowFrames(), 8, base.sendBufferBytes(),
                    base.maxPayloadBytes(), base.initialRtoNanos(), base.minRtoNanos(), base.maxRtoNanos(),
                    base.ackEveryFrames(), base.ackDelayNanos(), base.keepaliveIntervalNanos(), base.deadPeerNanos(),
                    base.unackedTimeoutNanos(), base.maxRetransmitsPerFrame(), base.connectTimeoutNanos(),
                    base.timeWaitNanos(), base.closeTimeoutNanos(), base.unorderedQueueLimit());
            Engine e = establishedAcceptor(config);
            feed(e, unordered(0, T0 + 20 * MS), T0 + 21 * MS);
            feed(e, unordered(1, T0 + 21 * MS), T0 + 22 * MS);
            assertEquals(2, e.stats().localWindowBytes());
            assertEquals(List.of(), transmit(e, T0 + 22 * MS), "their acknowledgement is delayed");
            EngineStats before = e.stats();
            long now = T0 + 23 * MS;
            feed(e, unordered(2, T0 + 22 * MS), now);
            assertEquals(List.of(fromAcceptor(FrameKind.ACK).ack(2).window(62, 2).tsVal(now).tsEcr(T0 + 22 * MS)
                    .build()), transmit(e, now), "three bytes do not fit in two: refused");
            assertStatsChange(before, e.stats(), "framesReceived", 1, "noRoomDropped", 1, "framesSent", 1,
                    "acksSent", 1);
            assertEquals(0, e.pollUnordered()[0]);
            assertEquals(1, e.pollUnordered()[0]);
            assertTrue(e.pollUnordered() == null, "message 2 was not delivered");
        }
    }

    /** Fault 1: after a timeout, a SACKed left edge was never resent (RFC 2018 §8). */
    @Nested
    class RenegingPeer {
        @Test
        void aTimeoutResendsTheOldestFrameEvenIfItWasSacked() {
            Engine e = FrameCrafter.establishedInitiator();
            assertEquals(0, CONFIG.unackedTimeoutNanos(), "no unacked timeout");
            assertEquals(0, CONFIG.maxRetransmitsPerFrame(), "no retransmission limit");
            long sentAt = T0 + 20 * MS;
            assertEquals(3, e.write(ABC, 0, 3, true, sentAt));
            assertEquals(3, e.write(ABC, 0, 3, true, sentAt));
            assertEquals(2, transmit(e, sentAt).size(), "frames 0 and 1");
            // The peer holds frame 1 above a hole at 0 ...
            feed(e, fromAcceptor(FrameKind.ACK).sackRanges(new long[] {1, 2}).tsVal(T0 + 22 * MS).tsEcr(sentAt)
                    .build(), T0 + 25 * MS);
            assertSilent(e, T0 + 25 * MS);
            // ... then acknowledges frame 0 and nothing more: it has dropped frame 1.
            long renegedAt = T0 + 26 * MS;
            feed(e, fromAcceptor(FrameKind.ACK).ack(1).tsVal(T0 + 23 * MS).tsEcr(sentAt).build(), renegedAt);
            assertSilent(e, renegedAt);
            assertEquals(1, e.stats().inFlightFrames());
            EngineStats before = e.stats();
            long rtoAt = e.pollTimeout();
            assertEquals(true, rtoAt < renegedAt + CONFIG.keepaliveIntervalNanos(), "the retransmission timer");
            e.handleTimeout(rtoAt);
            assertEquals(List.of(fromInitiator(FrameKind.DATA).flags(Frame.FLAG_END_OF_MESSAGE).seq(1).payload(ABC)
                    .tsVal(rtoAt).tsEcr(T0 + 23 * MS).build()), transmit(e, rtoAt), "the SACKed left edge, resent");
            assertStatsChange(before, e.stats(), "timeouts", 1, "retransmits", 1, "framesSent", 1, "rtoNanos",
                    e.stats().rtoNanos() - before.rtoNanos());
            // The peer takes it this time, and the session moves on.
            feed(e, fromAcceptor(FrameKind.ACK).ack(2).tsVal(rtoAt + 3 * MS).tsEcr(rtoAt).build(), rtoAt + 5 * MS);
            assertEquals(0, e.stats().inFlightFrames());
            assertTrue(e.isSendBufferEmpty());
        }

        @Test
        void afterRenegingTheScoreboardStaysConsistentAndTheOldestGoesFirst() {
            Engine e = FrameCrafter.establishedInitiator();
            long sentAt = T0 + 20 * MS;
            for (int i = 0; i < 3; i++) {
                assertEquals(3, e.write(ABC, 0, 3, true, sentAt));
            }
            assertEquals(3, transmit(e, sentAt).size(), "frames 0, 1 and 2");
            feed(e, fromAcceptor(FrameKind.ACK).sackRanges(new long[] {1, 2}).tsVal(T0 + 22 * MS).tsEcr(sentAt)
                    .build(), T0 + 25 * MS);
            feed(e, fromAcceptor(FrameKind.ACK).ack(1).tsVal(T0 + 23 * MS).tsEcr(sentAt).build(), T0 + 26 * MS);
            long rtoAt = e.pollTimeout();
            e.handleTimeout(rtoAt);
            // The peer was heard from after the frames went out but has echoed nothing newer
            // than them, so the timer resends the oldest only; the rest follows the next ACK.
            List<Frame> resent = transmit(e, rtoAt);
            assertEquals(List.of(1L), resent.stream().map(Frame::seq).toList());
            e.sendBufferForTest().checkInvariants();
            assertEquals(2, e.stats().inFlightFrames());
        }
    }

    /** The receiver enforced its configured window, not the smaller one it advertised. */
    @Nested
    class AdvertisedWindow {
        private static final byte[] KB = new byte[1000];

        /**
         * @return an established acceptor that has just advertised {@code frames} frames and
         *     {@code bytes} bytes (a share of the transport's buffer), well past its handshake
         */
        private Engine advertising(long frames, long bytes, long now) {
            Engine e = FrameCrafter.establishedAcceptor();
            e.setTransportCapacity(frames, bytes);
            feed(e, fromInitiator(FrameKind.KEEPALIVE).tsVal(now - MS).build(), now);
            List<Frame> out = transmit(e, now);
            assertEquals(1, out.size());
            assertEquals(frames, out.get(0).windowFrames());
            assertEquals(bytes, out.get(0).windowBytes());
            return e;
        }

        private Frame data(long seq, int flags, long now) {
            return fromInitiator(FrameKind.DATA).flags(flags).seq(seq).payload(KB).tsVal(now).build();
        }

        @Test
        void inOrderOutOfOrderAndUnorderedDataBeyondTheAdvertisedFramesAreDroppedAndCounted() {
            long now = T0 + 10_000 * MS;
            Engine e = advertising(2, 1 << 20, now);
            feed(e, data(0, 0, now), now);
            feed(e, data(1, 0, now), now);
            assertEquals(2000, e.readableBytes(), "within the advertised 2 frames");
            EngineStats before = e.stats();
            feed(e, data(2, 0, now), now); // in order
            feed(e, data(7, 0, now), now); // out of order
            feed(e, data(2, Frame.FLAG_UNORDERED | Frame.FLAG_END_OF_MESSAGE, now), now); // unordered
            assertEquals(2000, e.readableBytes());
            assertEquals(null, e.pollUnordered());
            assertEquals(3, e.stats().noRoomDropped() - before.noRoomDropped());
            // Reading makes room below what was advertised, without a new advertisement.
            e.read(new byte[2000], 0, 2000, now);
            feed(e, data(2, 0, now), now);
            assertEquals(1000, e.readableBytes());
        }

        @Test
        void dataBeyondTheAdvertisedBytesIsDroppedAndCounted() {
            long now = T0 + 10_000 * MS;
            Engine e = advertising(64, 1500, now);
            feed(e, data(0, 0, now), now);
            EngineStats before = e.stats();
            feed(e, data(1, 0, now), now);
            feed(e, data(3, 0, now), now);
            assertEquals(1000, e.readableBytes());
            assertEquals(2, e.stats().noRoomDropped() - before.noRoomDropped());
        }

        @Test
        void aShareCutToLessThanHalfIsToldAtOnceEvenInFewFrames() {
            long now = T0 + 10_000 * MS;
            Engine e = advertising(3, 1 << 20, now);
            e.setTransportCapacity(1, 1 << 20);
            List<Frame> out = transmit(e, now);
            assertEquals(1, out.size(), "3 -> 1 frames must be told: " + out);
            assertEquals(1, out.get(0).windowFrames());
            // Half taken is not yet more than half: 2 -> 1 waits for the next frame out.
            Engine f = advertising(2, 1 << 20, now);
            f.setTransportCapacity(1, 1 << 20);
            assertEquals(List.of(), transmit(f, now));
        }

        @Test
        void framesSentUnderALargerEarlierAdvertisementAreTakenForAnRto() {
            Engine e = FrameCrafter.establishedAcceptor(); // advertised the whole window in its SYN_ACK
            long now = T0 + 20 * MS;
            e.setTransportCapacity(1, 1 << 20);
            feed(e, fromInitiator(FrameKind.KEEPALIVE).tsVal(now - MS).build(), now);
            assertEquals(1, transmit(e, now).get(0).windowFrames());
            // In flight before the peer heard of the smaller window: still taken.
            for (int seq = 0; seq < 5; seq++) {
                feed(e, data(seq, 0, now), now);
            }
            assertEquals(5000, e.readableBytes());
            assertEquals(0, e.stats().noRoomDropped());
        }
    }
}
