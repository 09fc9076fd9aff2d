package io.swp.protocol;

import static io.swp.protocol.FrameCrafter.ACCEPTOR;
import static io.swp.protocol.FrameCrafter.CONFIG;
import static io.swp.protocol.FrameCrafter.INITIATOR;
import static io.swp.protocol.FrameCrafter.MS;
import static io.swp.protocol.FrameCrafter.T0;
import static io.swp.protocol.FrameCrafter.fromInitiator;
import static io.swp.protocol.FrameCrafter.syn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The demux is pure: one frame in, one outcome out, with the session table and counters
 * as the only state. Its nonces come from a seeded random source, so every run is the same.
 */
class DemuxTest {
    private static final long SEED = 0x5EED_DE3L;

    /** A session as the demux keeps it: just its engine. */
    private record Session(Engine engine) implements Demux.Routed {
    }

    /** A demux with the stateful acceptor; the stateless default has its tests in DemuxRoutingTest. */
    private static Demux<Session> demux(int backlog) {
        Demux<Session> d = new Demux<>(ACCEPTOR, CONFIG, backlog, new SplittableRandom(SEED), Session::new);
        d.setCookieThreshold(Integer.MAX_VALUE);
        return d;
    }

    private static Session accepted(Demux.Outcome<Session> o) {
        return o instanceof Demux.Accept<Session> a ? a.session() : fail("expected Accept, got " + o);
    }

    private static Session delivered(Demux.Outcome<Session> o) {
        return o instanceof Demux.Deliver<Session> d ? d.session() : fail("expected Deliver, got " + o);
    }

    private static Demux.Reply<Session> replied(Demux.Outcome<Session> o) {
        return o instanceof Demux.Reply<Session> r ? r : fail("expected Reply, got " + o);
    }

    private static Demux.DropReason dropped(Demux.Outcome<Session> o) {
        return o instanceof Demux.Drop<Session> d ? d.reason() : fail("expected Drop, got " + o);
    }

    private static void assertCounters(Demux<Session> d, long routed, long resets, long refused, long opened,
                                       long dropped) {
        assertEquals(routed, d.framesRouted(), "framesRouted");
        assertEquals(resets, d.resetsSent(), "resetsSent");
        assertEquals(refused, d.synsRefused(), "synsRefused");
        assertEquals(opened, d.sessionsOpened(), "sessionsOpened");
        assertEquals(dropped, d.dropped(), "dropped");
    }

    @Test
    void aSynOpensASessionAndItsRepeatReachesTheSameSession() {
        Demux<Session> d = demux(4);
        Session s = accepted(d.route(syn(T0), T0));
        assertEquals(EngineState.SYN_RECEIVED, s.engine().state());
        assertEquals(INITIATOR, s.engine().remoteInbox());
        assertEquals(new SplittableRandom(SEED).nextLong(), s.engine().localNonce(), "the nonce is the seeded draw");
        assertSame(s, delivered(d.route(syn(T0), T0 + 5 * MS)), "a repeated SYN reaches the same session");
        Frame ack = fromInitiator(FrameKind.ACK).dstNonce(s.engine().localNonce()).tsVal(T0 + 10 * MS).build();
        assertSame(s, delivered(d.route(ack, T0 + 10 * MS)));
        assertCounters(d, 3, 0, 0, 1, 0);
    }

    @Test
    void aFrameForNoSessionIsAnsweredWithOneResetAndAResetIsNeverAnswered() {
        Demux<Session> d = demux(4);
        Frame stray = fromInitiator(FrameKind.DATA).dstNonce(0x0DD).seq(3).tsVal(T0).build();
        Demux.Reply<Session> reply = replied(d.route(stray, T0));
        assertEquals(INITIATOR, reply.inbox());
        assertEquals(VirtualLink.decode(Engine.resetFor(stray, ACCEPTOR)), VirtualLink.decode(reply.frame()));
        assertEquals(Demux.DropReason.UNKNOWN_RESET,
                dropped(d.route(fromInitiator(FrameKind.RESET).dstNonce(0x0DD).build(), T0)));
        assertCounters(d, 2, 1, 0, 0, 1);
    }

    @Test
    void aSynBeyondTheBacklogIsRefusedWithAReset() {
        Demux<Session> d = demux(1);
        accepted(d.route(syn(T0), T0));
        Frame other = fromInitiator(FrameKind.SYN).srcNonce(0x77).dstNonce(0).tsVal(T0).build();
        assertEquals(INITIATOR, replied(d.route(other, T0)).inbox());
        assertCounters(d, 2, 1, 1, 1, 0);
        assertEquals(1, d.sessionCount());
    }

    @Test
    void aFrameAddressedToAnotherInboxIsDroppedUnansweredEvenIfItMatchesASession() {
        Demux<Session> d = demux(4);
        Session s = accepted(d.route(syn(T0), T0));
        Frame misrouted = fromInitiator(FrameKind.ACK).to("elsewhere").dstNonce(s.engine().localNonce())
                .tsVal(T0 + 10 * MS).build();
        assertEquals(Demux.DropReason.WRONG_INBOX, dropped(d.route(misrouted, T0 + 10 * MS)));
        assertCounters(d, 2, 0, 0, 1, 1);
        assertEquals(EngineState.SYN_RECEIVED, s.engine().state(), "the session never saw it");
    }

    @Test
    void aFrameForNoSessionAddressedToAnotherInboxGetsNoReset() {
        Demux<Session> d = demux(4);
        // Answering it would send a RESET to whatever inbox the forger wrote as the sender.
        Frame forged = fromInitiator(FrameKind.DATA).to("elsewhere").dstNonce(0x0DD).seq(3).build();
        assertEquals(Demux.DropReason.WRONG_INBOX, dropped(d.route(forged, T0)));
        assertCounters(d, 1, 0, 0, 0, 1);
    }

    @Test
    void aSynAddressedToAnotherInboxOpensNothing() {
        Demux<Session> d = demux(4);
        assertEquals(Demux.DropReason.WRONG_INBOX,
                dropped(d.route(fromInitiator(FrameKind.SYN).to("elsewhere").dstNonce(0).tsVal(T0).build(), T0)));
        assertEquals(0, d.sessionCount());
        assertEquals(0, d.awaitingAcceptCount());
        assertCounters(d, 1, 0, 0, 0, 1);
    }
}
