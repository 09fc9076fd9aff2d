package io.swp.protocol;

import static io.swp.protocol.FrameCrafter.ACCEPTOR;
import static io.swp.protocol.FrameCrafter.ACCEPTOR_NONCE;
import static io.swp.protocol.FrameCrafter.CONFIG;
import static io.swp.protocol.FrameCrafter.INITIATOR;
import static io.swp.protocol.FrameCrafter.INITIATOR_NONCE;
import static io.swp.protocol.FrameCrafter.MS;
import static io.swp.protocol.FrameCrafter.T0;
import static io.swp.protocol.FrameCrafter.WINDOW_BYTES;
import static io.swp.protocol.FrameCrafter.WINDOW_FRAMES;
import static io.swp.protocol.FrameCrafter.assertSilent;
import static io.swp.protocol.FrameCrafter.assertStatsChange;
import static io.swp.protocol.FrameCrafter.events;
import static io.swp.protocol.FrameCrafter.feed;
import static io.swp.protocol.FrameCrafter.fromAcceptor;
import static io.swp.protocol.FrameCrafter.fromInitiator;
import static io.swp.protocol.FrameCrafter.syn;
import static io.swp.protocol.FrameCrafter.synAck;
import static io.swp.protocol.FrameCrafter.transmit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One hand-made frame into an engine in a chosen state, and exactly what comes out: the
 * reply frames, the state, the events and every counter. These are the branches of
 * {@link Engine#handleFrame(Frame, long)} that the two-engine tests only pass through by
 * chance (forged, stray, duplicate and late frames).
 */
class EngineSingleFrameTest {
    private static final byte[] ABC = {'a', 'b', 'c'};

    @Nested
    class StrayAcks {
        @Test
        void anAckWithTheWrongSourceNonceIsCountedAndIgnored() {
            Engine e = FrameCrafter.establishedInitiator();
            assertIgnoredAsStray(e, fromAcceptor(FrameKind.ACK).srcNonce(0x5EED).tsVal(T0 + 20 * MS).build(),
                    T0 + 30 * MS);
        }

        @Test
        void anAckWithTheWrongDestinationNonceIsCountedAndIgnored() {
            Engine e = FrameCrafter.establishedInitiator();
            assertIgnoredAsStray(e, fromAcceptor(FrameKind.ACK).dstNonce(0x5EED).tsVal(T0 + 20 * MS).build(),
                    T0 + 30 * MS);
        }

        @Test
        void anAckWithoutADestinationNonceIsCountedAndIgnored() {
            Engine e = FrameCrafter.establishedAcceptor();
            assertIgnoredAsStray(e, fromInitiator(FrameKind.ACK).dstNonce(0).tsVal(T0 + 20 * MS).build(),
                    T0 + 30 * MS);
        }

        /** Nothing at all changes, timers included: the frame is not from the peer. */
        private void assertIgnoredAsStray(Engine e, Frame stray, long now) {
            EngineStats before = e.stats();
            long timeout = e.pollTimeout();
            EngineState state = e.state();
            feed(e, stray, now);
            assertSilent(e, now);
            assertEquals(state, e.state());
            assertEquals(timeout, e.pollTimeout(), "no timer moved");
            assertStatsChange(before, e.stats(), "strayFramesDropped", 1);
        }

        @Test
        void anAckOfDataNeverSentIsDroppedWholeWindowIncluded() {
            Engine e = FrameCrafter.establishedInitiator();
            EngineStats before = e.stats();
            long now = T0 + 30 * MS;
            // Right nonces, but it acknowledges 5 frames where none was sent, and would shut the window.
            feed(e, fromAcceptor(FrameKind.ACK).ack(5).window(0, 0).tsVal(T0 + 20 * MS).tsEcr(T0 + 10 * MS).build(),
                    now);
            assertSilent(e, now);
            assertEquals(EngineState.ESTABLISHED, e.state());
            // From the peer as far as the nonces tell (so it counts as received), but nothing in it is taken.
            assertStatsChange(before, e.stats(), "framesReceived", 1, "strayFramesDropped", 1);
            assertEquals(WINDOW_FRAMES, e.stats().peerWindowFrames());
            assertEquals(WINDOW_BYTES, e.stats().peerWindowBytes());
        }

        @Test
        void anAckBeyondTheDataSentLeavesTheFrameInFlight() {
            Engine e = FrameCrafter.establishedInitiator();
            long now = T0 + 20 * MS;
            assertEquals(3, e.write(ABC, 0, 3, true, now));
            Frame data = fromInitiator(FrameKind.DATA).flags(Frame.FLAG_END_OF_MESSAGE).seq(0).payload(ABC)
                    .tsVal(now).tsEcr(T0 + 5 * MS).build();
            assertEquals(List.of(data), transmit(e, now));
            EngineStats before = e.stats();
            long retransmitAt = e.pollTimeout();
            // Frame 0 went out, so an ack of 2 claims one frame more than was ever sent.
            feed(e, fromAcceptor(FrameKind.ACK).ack(2).tsVal(T0 + 25 * MS).tsEcr(now).build(), T0 + 30 * MS);
            assertSilent(e, T0 + 30 * MS);
            assertStatsChange(before, e.stats(), "framesReceived", 1, "strayFramesDropped", 1);
            assertEquals(1, e.stats().inFlightFrames(), "frame 0 is still unacknowledged");
            assertEquals(retransmitAt, e.pollTimeout(), "its retransmission stays due");
        }
    }

    @Nested
    class DuplicateSyns {
        @Test
        void aDuplicateSynInSynReceivedIsAnsweredWithTheSameSynAck() {
            long acceptedAt = T0 + 5 * MS;
            Engine e = FrameCrafter.synReceived(acceptedAt);
            EngineStats before = e.stats();
            long now = T0 + 50 * MS;
            feed(e, syn(T0), now);
            // The same SYN_ACK, stamped with the time it goes out; the SYN's timestamp echoed as before.
            assertEquals(List.of(synAck(now, T0)), transmit(e, now));
            assertSilent(e, now);
            assertEquals(EngineState.SYN_RECEIVED, e.state());
            assertEquals(INITIATOR_NONCE, e.remoteNonce());
            assertStatsChange(before, e.stats(), "framesReceived", 1, "framesSent", 1);
        }

        @Test
        void aRetriedSynWithANewerTimestampGetsTheSynAckEchoingIt() {
            Engine e = FrameCrafter.synReceived(T0 + 5 * MS);
            long retriedAt = T0 + CONFIG.initialRtoNanos();
            long now = retriedAt + 5 * MS;
            feed(e, syn(retriedAt), now);
            assertEquals(List.of(synAck(now, retriedAt)), transmit(e, now));
            assertEquals(EngineState.SYN_RECEIVED, e.state());
        }

        @Test
        void aSynFromAnotherInitiatorIsStrayToAnAcceptorInSynReceived() {
            Engine e = FrameCrafter.synReceived(T0 + 5 * MS);
            EngineStats before = e.stats();
            long timeout = e.pollTimeout();
            feed(e, fromInitiator(FrameKind.SYN).srcNonce(0x0DD).dstNonce(0).tsVal(T0 + 20 * MS).build(),
                    T0 + 25 * MS);
            assertSilent(e, T0 + 25 * MS);
            assertEquals(EngineState.SYN_RECEIVED, e.state());
            assertEquals(timeout, e.pollTimeout());
            assertStatsChange(before, e.stats(), "strayFramesDropped", 1);
        }

        @Test
        void aDuplicateSynToAnEstablishedAcceptorIsCountedAndNotAnswered() {
            Engine e = FrameCrafter.establishedAcceptor();
            EngineStats before = e.stats();
            long now = T0 + 100 * MS;
            feed(e, syn(T0), now);
            assertSilent(e, now);
            assertEquals(EngineState.ESTABLISHED, e.state());
            assertStatsChange(before, e.stats(), "framesReceived", 1, "strayFramesDropped", 1);
        }

        @Test
        void aSynToAnInitiatorIsStrayAndItsOwnSynRetryStaysDue() {
            Engine e = FrameCrafter.synSent();
            EngineStats before = e.stats();
            long timeout = e.pollTimeout();
            Frame crossing = Frame.builder(FrameKind.SYN).from(ACCEPTOR).to(INITIATOR)
                    .srcNonce(0x0DD).window(WINDOW_FRAMES, WINDOW_BYTES).tsVal(T0).build();
            feed(e, crossing, T0 + 5 * MS);
            assertSilent(e, T0 + 5 * MS);
            assertEquals(EngineState.SYN_SENT, e.state());
            assertEquals(0, e.remoteNonce());
            assertEquals(timeout, e.pollTimeout());
            assertStatsChange(before, e.stats(), "strayFramesDropped", 1);
        }
    }

    @Nested
    class InSynSent {
        @Test
        void aResetEchoingTheSynIsConnectionRefused() {
            Engine e = FrameCrafter.synSent();
            // What an endpoint with no session and nobody accepting answers a SYN with.
            Frame reset = Frame.builder(FrameKind.RESET).from(ACCEPTOR).to(INITIATOR)
                    .srcNonce(0).dstNonce(INITIATOR_NONCE).tsEcr(T0).build();
            assertEquals(VirtualLink.decode(Engine.resetFor(syn(T0), ACCEPTOR)), reset, "the crafted RESET is the real one");
            EngineStats before = e.stats();
            feed(e, reset, T0 + 5 * MS);
            assertEquals(EngineState.CLOSED, e.state());
            assertEquals(CloseReason.RESET_BY_PEER, e.closeReason());
            assertEquals(List.of(EngineEvent.CLOSED), events(e));
            assertNull(e.pollTransmit(T0 + 5 * MS), "a RESET is never answered with a RESET");
            assertEquals(Long.MAX_VALUE, e.pollTimeout(), "no SYN retry, no timer at all");
            assertStatsChange(before, e.stats(), "framesReceived", 1);
        }

        @Test
        void aResetForAnotherSessionIsCountedAndIgnored() {
            Engine e = FrameCrafter.synSent();
            assertResetIgnored(e, Frame.builder(FrameKind.RESET).from(ACCEPTOR).to(INITIATOR)
                    .srcNonce(0).dstNonce(0x0DD).tsEcr(T0).build());
        }

        @Test
        void aResetClaimingANonceTheInitiatorNeverLearnedIsCountedAndIgnored() {
            Engine e = FrameCrafter.synSent();
            assertResetIgnored(e, fromAcceptor(FrameKind.RESET).tsEcr(T0).build());
        }

        private void assertResetIgnored(Engine e, Frame reset) {
            EngineStats before = e.stats();
            long timeout = e.pollTimeout();
            feed(e, reset, T0 + 5 * MS);
            assertSilent(e, T0 + 5 * MS);
            assertEquals(EngineState.SYN_SENT, e.state());
            assertNull(e.closeReason());
            assertEquals(timeout, e.pollTimeout(), "the SYN retry stays due");
            assertStatsChange(before, e.stats(), "strayFramesDropped", 1);
        }

        @Test
        void aSynAckWithoutTheAcceptorsNonceIsStray() {
            Engine e = FrameCrafter.synSent();
            EngineStats before = e.stats();
            feed(e, fromAcceptor(FrameKind.SYN_ACK).srcNonce(0).tsVal(T0 + 5 * MS).tsEcr(T0).build(), T0 + 10 * MS);
            assertSilent(e, T0 + 10 * MS);
            assertEquals(EngineState.SYN_SENT, e.state());
            assertStatsChange(before, e.stats(), "strayFramesDropped", 1);
        }

        @ParameterizedTest(name = "{0}")
        @EnumSource(value = FrameKind.class, names = {"ACK", "DATA", "FIN", "KEEPALIVE"})
        void anythingButASynAckOrResetIsStrayBeforeTheHandshake(FrameKind kind) {
            Engine e = FrameCrafter.synSent();
            EngineStats before = e.stats();
            feed(e, fromAcceptor(kind).tsVal(T0 + 5 * MS).tsEcr(T0).build(), T0 + 10 * MS);
            assertSilent(e, T0 + 10 * MS);
            assertEquals(EngineState.SYN_SENT, e.state());
            assertEquals(0, e.remoteNonce(), "the acceptor's nonce is not learned from it");
            assertStatsChange(before, e.stats(), "strayFramesDropped", 1);
        }
    }

    @Nested
    class Handshake {
        @Test
        void aDuplicateSynAckToAnEstablishedInitiatorRepeatsItsAckAtOnce() {
            Engine e = FrameCrafter.establishedInitiator();
            EngineStats before = e.stats();
            long now = T0 + 310 * MS;
            // The acceptor did not hear our ACK and retried its SYN_ACK.
            feed(e, synAck(T0 + 305 * MS, T0), now);
            assertEquals(List.of(fromInitiator(FrameKind.ACK).tsVal(now).tsEcr(T0 + 305 * MS).build()),
                    transmit(e, now));
            assertSilent(e, now);
            assertEquals(EngineState.ESTABLISHED, e.state());
            assertStatsChange(before, e.stats(), "framesReceived", 1, "framesSent", 1, "acksSent", 1);
        }

        @Test
        void dataInSynReceivedCompletesTheHandshakeAndIsTaken() {
            long acceptedAt = T0 + 5 * MS;
            Engine e = FrameCrafter.synReceived(acceptedAt);
            long now = T0 + 15 * MS;
            // The initiator's ACK was lost; its first DATA frame arrives instead.
            feed(e, fromInitiator(FrameKind.DATA).flags(Frame.FLAG_END_OF_MESSAGE).seq(0).payload(ABC)
                    .tsVal(T0 + 10 * MS).tsEcr(acceptedAt).build(), now);
            assertEquals(EngineState.ESTABLISHED, e.state());
            assertEquals(List.of(EngineEvent.ESTABLISHED), events(e));
            assertEquals(3, e.readableBytes());
            // One in-order frame: its acknowledgement waits for more, or the delayed-ACK timer.
            assertNull(e.pollTransmit(now));
            assertEquals(now + CONFIG.ackDelayNanos(), e.pollTimeout());
            assertEquals(10 * MS, e.stats().srttNanos(), "the SYN_ACK round trip is the first RTT sample");
        }

        @Test
        void aResetFromThePeerInSynReceivedEndsTheSession() {
            Engine e = FrameCrafter.synReceived(T0 + 5 * MS);
            feed(e, fromInitiator(FrameKind.RESET).tsVal(T0 + 10 * MS).tsEcr(T0 + 5 * MS).build(), T0 + 15 * MS);
            assertEquals(EngineState.CLOSED, e.state());
            assertEquals(CloseReason.RESET_BY_PEER, e.closeReason());
            assertEquals(List.of(EngineEvent.CLOSED), events(e));
            assertNull(e.pollTransmit(T0 + 15 * MS));
        }

        @Test
        void acceptRefusesAnythingButASynOpeningASession() {
            assertThrows(IllegalArgumentException.class,
                    () -> Engine.accept(CONFIG, ACCEPTOR, fromInitiator(FrameKind.ACK).build(), ACCEPTOR_NONCE, T0));
            assertThrows(IllegalArgumentException.class, () -> Engine.accept(CONFIG, ACCEPTOR,
                    fromInitiator(FrameKind.SYN).build(), ACCEPTOR_NONCE, T0), "a SYN naming a session already");
            assertThrows(IllegalArgumentException.class, () -> Engine.accept(CONFIG, ACCEPTOR,
                    fromInitiator(FrameKind.SYN).srcNonce(0).dstNonce(0).build(), ACCEPTOR_NONCE, T0),
                    "a SYN without the initiator's nonce");
        }
    }

    @Nested
    class Established {
        @Test
        void aKeepaliveIsAnsweredWithAnAckAtOnce() {
            Engine e = FrameCrafter.establishedAcceptor();
            EngineStats before = e.stats();
            long now = T0 + 100 * MS;
            feed(e, fromInitiator(FrameKind.KEEPALIVE).tsVal(now - 5 * MS).tsEcr(T0 + 5 * MS).build(), now);
            assertEquals(List.of(fromAcceptor(FrameKind.ACK).tsVal(now).tsEcr(now - 5 * MS).build()), transmit(e, now));
            assertSilent(e, now);
            assertStatsChange(before, e.stats(), "framesReceived", 1, "framesSent", 1, "acksSent", 1);
        }

        @Test
        void dataFarBeyondTheWindowIsDroppedAndAnsweredWithAnAck() {
            Engine e = FrameCrafter.establishedAcceptor();
            EngineStats before = e.stats();
            long now = T0 + 30 * MS;
            feed(e, fromInitiator(FrameKind.DATA).seq(WINDOW_FRAMES).payload(ABC).tsVal(T0 + 25 * MS)
                    .tsEcr(T0 + 5 * MS).build(), now);
            assertEquals(List.of(fromAcceptor(FrameKind.ACK).tsVal(now).tsEcr(T0 + 25 * MS).build()), transmit(e, now));
            assertEquals(0, e.readableBytes());
            assertStatsChange(before, e.stats(), "framesReceived", 1, "noRoomDropped", 1, "framesSent", 1,
                    "acksSent", 1);
        }

        @Test
        void dataBeyondThePeersFinBreaksTheRulesIsCountedAndAnsweredWithAnAck() {
            Engine e = FrameCrafter.establishedAcceptor();
            feed(e, fromInitiator(FrameKind.FIN).seq(0).tsVal(T0 + 20 * MS).tsEcr(T0 + 5 * MS).build(), T0 + 25 * MS);
            assertEquals(EngineState.CLOSE_WAIT, e.state());
            assertEquals(List.of(EngineEvent.PEER_FINISHED), events(e));
            assertEquals(List.of(fromAcceptor(FrameKind.ACK).ack(1).tsVal(T0 + 25 * MS).tsEcr(T0 + 20 * MS).build()),
                    transmit(e, T0 + 25 * MS), "the FIN is acknowledged at once");
            EngineStats before = e.stats();
            long now = T0 + 40 * MS;
            feed(e, fromInitiator(FrameKind.DATA).seq(1).payload(ABC).tsVal(T0 + 35 * MS).tsEcr(T0 + 5 * MS).build(),
                    now);
            // It acknowledges the FIN, and nothing past it; a FIN takes no room in the window.
            assertEquals(List.of(fromAcceptor(FrameKind.ACK).ack(1).tsVal(now).tsEcr(T0 + 35 * MS).build()),
                    transmit(e, now));
            assertSilent(e, now);
            assertEquals(EngineState.CLOSE_WAIT, e.state());
            assertStatsChange(before, e.stats(), "framesReceived", 1, "strayFramesDropped", 1, "framesSent", 1,
                    "acksSent", 1);
        }

        @Test
        void anythingReachingAClosedEngineIsStrayAndUnanswered() {
            Engine e = FrameCrafter.establishedInitiator();
            e.abort(T0 + 20 * MS);
            assertEquals(List.of(fromInitiator(FrameKind.RESET).tsVal(T0 + 20 * MS).tsEcr(T0 + 5 * MS).build()),
                    transmit(e, T0 + 20 * MS));
            assertEquals(List.of(EngineEvent.CLOSED), events(e));
            EngineStats before = e.stats();
            feed(e, fromAcceptor(FrameKind.KEEPALIVE).tsVal(T0 + 25 * MS).tsEcr(T0 + 10 * MS).build(), T0 + 30 * MS);
            feed(e, fromAcceptor(FrameKind.RESET).build(), T0 + 30 * MS);
            assertSilent(e, T0 + 30 * MS);
            assertEquals(CloseReason.ABORTED, e.closeReason());
            assertStatsChange(before, e.stats(), "strayFramesDropped", 2);
        }
    }

    @Nested
    class ResetsWhileClosing {
        /** @return an initiator that closed first: its FIN acknowledged, the peer's FIN acknowledged, in TIME_WAIT */
        private Engine inTimeWait() {
            Engine e = FrameCrafter.establishedInitiator();
            e.close(T0 + 20 * MS);
            assertEquals(List.of(fromInitiator(FrameKind.FIN).seq(0).tsVal(T0 + 20 * MS).tsEcr(T0 + 5 * MS).build()),
                    transmit(e, T0 + 20 * MS));
            feed(e, fromAcceptor(FrameKind.ACK).ack(1).tsVal(T0 + 25 * MS).tsEcr(T0 + 20 * MS).build(), T0 + 30 * MS);
            assertEquals(EngineState.FIN_WAIT_2, e.state());
            feed(e, fromAcceptor(FrameKind.FIN).seq(0).ack(1).tsVal(T0 + 26 * MS).tsEcr(T0 + 20 * MS).build(),
                    T0 + 31 * MS);
            assertEquals(EngineState.TIME_WAIT, e.state());
            assertEquals(List.of(fromInitiator(FrameKind.ACK).ack(1).tsVal(T0 + 31 * MS).tsEcr(T0 + 26 * MS).build()),
                    transmit(e, T0 + 31 * MS), "the peer's FIN is acknowledged at once");
            assertEquals(List.of(EngineEvent.OUTPUT_FINISHED, EngineEvent.PEER_FINISHED), events(e));
            return e;
        }

        @Test
        void aResetInTimeWaitIsCountedAndDoesNotTurnTheCloseIntoAFailure() {
            Engine e = inTimeWait();
            EngineStats before = e.stats();
            long timeWaitEnds = e.pollTimeout();
            feed(e, fromAcceptor(FrameKind.RESET).tsVal(T0 + 40 * MS).build(), T0 + 45 * MS);
            assertSilent(e, T0 + 45 * MS);
            assertEquals(EngineState.TIME_WAIT, e.state());
            assertEquals(timeWaitEnds, e.pollTimeout());
            assertStatsChange(before, e.stats(), "framesReceived", 1, "strayFramesDropped", 1);
            e.handleTimeout(timeWaitEnds);
            assertEquals(CloseReason.NORMAL, e.closeReason());
        }

        @Test
        void aResetInLastAckWithOnlyOurFinOutstandingIsANormalClose() {
            Engine e = FrameCrafter.establishedInitiator();
            // The peer closes first: its FIN arrives and is acknowledged; then we close.
            feed(e, fromAcceptor(FrameKind.FIN).seq(0).tsVal(T0 + 20 * MS).tsEcr(T0 + 10 * MS).build(), T0 + 25 * MS);
            assertEquals(EngineState.CLOSE_WAIT, e.state());
            assertEquals(List.of(fromInitiator(FrameKind.ACK).ack(1).tsVal(T0 + 25 * MS).tsEcr(T0 + 20 * MS).build()),
                    transmit(e, T0 + 25 * MS));
            e.close(T0 + 30 * MS);
            assertEquals(EngineState.LAST_ACK, e.state());
            byte[] fin = e.pollTransmit(T0 + 30 * MS);
            assertEquals(fromInitiator(FrameKind.FIN).seq(0).ack(1).tsVal(T0 + 30 * MS).tsEcr(T0 + 20 * MS).build(),
                    VirtualLink.decode(fin));
            assertNull(e.pollTransmit(T0 + 30 * MS));
            // The peer got our FIN and finished TIME_WAIT before its ACK reached us; it answers with a RESET.
            feed(e, VirtualLink.decode(Engine.resetFor(VirtualLink.decode(fin), ACCEPTOR)), T0 + 45 * MS);
            assertEquals(EngineState.CLOSED, e.state());
            assertEquals(CloseReason.NORMAL, e.closeReason());
            assertNull(e.pollTransmit(T0 + 45 * MS));
        }
    }
}
