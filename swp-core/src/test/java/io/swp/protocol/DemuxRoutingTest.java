package io.swp.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/** The routing state machine, one crafted frame at a time: every outcome and counter. */
class DemuxRoutingTest {
    private static final String LOCAL = "local";
    private static final EngineConfig CONFIG = SessionConfig.defaults().engineConfig();

    private record S(Engine engine) implements Demux.Routed {
    }

    /** A demux with a stateful acceptor: SYN cookies have tests of their own below. */
    private static Demux<S> demux(int backlog, RandomGenerator random) {
        Demux<S> d = new Demux<>(LOCAL, CONFIG, backlog, random, S::new);
        d.setCookieThreshold(Integer.MAX_VALUE);
        return d;
    }

    private static Frame syn(String from, long nonce) {
        return Frame.builder(FrameKind.SYN).from(from).to(LOCAL).srcNonce(nonce).window(64, 1 << 20).build();
    }

    private static Frame data(String from, long src, long dst) {
        return Frame.builder(FrameKind.DATA).from(from).to(LOCAL).srcNonce(src).dstNonce(dst).seq(0)
                .payload(new byte[] {1}).build();
    }

    private static Demux.Accept<S> accept(Demux.Outcome<S> o) {
        assertInstanceOf(Demux.Accept.class, o);
        return (Demux.Accept<S>) o;
    }

    private static Demux.Deliver<S> deliver(Demux.Outcome<S> o) {
        assertInstanceOf(Demux.Deliver.class, o);
        return (Demux.Deliver<S>) o;
    }

    private static Demux.Reply<S> reply(Demux.Outcome<S> o) {
        assertInstanceOf(Demux.Reply.class, o);
        return (Demux.Reply<S>) o;
    }

    private static Demux.Drop<S> drop(Demux.Outcome<S> o) {
        assertInstanceOf(Demux.Drop.class, o);
        return (Demux.Drop<S>) o;
    }

    @Test
    void aSynOpensAnIncomingSessionWithAFreshNonce() {
        Demux<S> d = demux(4, new SplittableRandom(1));
        Demux.Accept<S> a = accept(d.route(syn("peer", 77), 0));
        Engine e = a.session().engine();
        assertEquals(EngineState.SYN_RECEIVED, e.state());
        assertEquals("peer", e.remoteInbox());
        assertEquals(77, e.remoteNonce());
        assertNotEquals(0, e.localNonce());
        assertEquals(1, d.sessionCount());
        assertEquals(1, d.awaitingAcceptCount());
        assertEquals(1, d.sessionsOpened());
    }

    @Test
    void laterFramesFindTheSessionByOurNonceAndARepeatedSynByTheirs() {
        Demux<S> d = demux(4, new SplittableRandom(2));
        S s = accept(d.route(syn("peer", 77), 0)).session();
        long ours = s.engine().localNonce();
        assertSame(s, deliver(d.route(syn("peer", 77), 1)).session());
        assertSame(s, deliver(d.route(data("peer", 77, ours), 2)).session());
        // The same nonce from another inbox is another session: unknown here.
        reply(d.route(data("other", 77, ours), 3));
        assertEquals(1, d.sessionCount());
    }

    @Test
    void aFrameForNoSessionIsAnsweredWithOneResetThatMirrorsItsNonces() throws Exception {
        Demux<S> d = demux(4, new SplittableRandom(3));
        Demux.Reply<S> r = reply(d.route(data("stranger", 11, 12345), 0));
        assertEquals("stranger", r.inbox());
        Frame reset = FrameCodec.decode(r.frame());
        assertEquals(FrameKind.RESET, reset.kind());
        assertEquals(11, reset.dstNonce());
        assertEquals(12345, reset.srcNonce());
        assertEquals(LOCAL, reset.from());
        assertEquals(1, d.resetsSent());
        assertArrayEquals(Engine.resetFor(data("stranger", 11, 12345), LOCAL), r.frame());
    }

    @Test
    void aResetForNoSessionIsDroppedNeverAnswered() {
        Demux<S> d = demux(4, new SplittableRandom(4));
        Frame reset = Frame.builder(FrameKind.RESET).from("stranger").to(LOCAL).srcNonce(11).dstNonce(12345).build();
        Demux.Drop<S> drop = drop(d.route(reset, 0));
        assertEquals(Demux.DropReason.UNKNOWN_RESET, drop.reason());
        assertEquals(0, d.resetsSent());
        assertEquals(1, d.dropped());
    }

    @Test
    void aSynWithoutANonceIsDropped() {
        Demux<S> d = demux(4, new SplittableRandom(5));
        Demux.Drop<S> drop = drop(d.route(syn("peer", 0), 0));
        assertEquals(Demux.DropReason.INVALID_SYN, drop.reason());
        assertEquals(0, d.sessionCount());
    }

    @Test
    void theBacklogCountsSessionsTheApplicationHasNotTakenAndRefusesBeyondIt() {
        Demux<S> d = demux(2, new SplittableRandom(6));
        S first = accept(d.route(syn("p", 1), 0)).session();
        accept(d.route(syn("p", 2), 0));
        Demux.Reply<S> refused = reply(d.route(syn("p", 3), 0));
        assertEquals("p", refused.inbox());
        assertEquals(1, d.synsRefused());
        d.accepted(first);
        assertEquals(1, d.awaitingAcceptCount());
        accept(d.route(syn("p", 4), 0));
        assertEquals(3, d.sessionCount());
    }

    @Test
    void aSessionThatGivesUpBeforeAcceptFreesItsBacklogSlot() {
        Demux<S> d = demux(1, new SplittableRandom(7));
        S s = accept(d.route(syn("p", 1), 0)).session();
        reply(d.route(syn("p", 2), 0));
        d.remove(s);
        assertEquals(0, d.sessionCount());
        assertEquals(0, d.awaitingAcceptCount());
        // Its nonces route nowhere now, and the slot is free.
        reply(d.route(data("p", 1, s.engine().localNonce()), 1));
        accept(d.route(syn("p", 2), 1));
    }

    @Test
    void whileNotAcceptingEverySynIsRefused() {
        Demux<S> d = demux(4, new SplittableRandom(8));
        d.setAccepting(false);
        reply(d.route(syn("p", 1), 0));
        assertEquals(1, d.synsRefused());
        d.setAccepting(true);
        accept(d.route(syn("p", 1), 0));
    }

    @Test
    void outgoingSessionsAreRoutedByTheirNonceAndDoNotCountAgainstTheBacklog() {
        Demux<S> d = demux(1, new SplittableRandom(9));
        S out = d.connect("server", CONFIG, 0, S::new);
        assertEquals(EngineState.SYN_SENT, out.engine().state());
        assertEquals(0, d.awaitingAcceptCount());
        long ours = out.engine().localNonce();
        assertSame(out, deliver(d.route(
                Frame.builder(FrameKind.SYN_ACK).from("server").to(LOCAL).srcNonce(5).dstNonce(ours).build(), 1))
                .session());
    }

    @Test
    void noncesAreNeverZeroAndNeverReusedWithTheSamePeer() {
        // A random source that repeats itself and sometimes says 0.
        long[] draws = {0, 42, 42, 0, 42, 43};
        int[] next = {0};
        RandomGenerator repeating = () -> draws[next[0]++ % draws.length];
        Demux<S> d = demux(8, repeating);
        Set<Long> seen = new HashSet<>();
        for (S s : List.of(d.connect("p", CONFIG, 0, S::new), d.connect("p", CONFIG, 0, S::new))) {
            assertNotEquals(0, s.engine().localNonce());
            assertEquals(true, seen.add(s.engine().localNonce()));
        }
        assertEquals(Set.of(42L, 43L), seen);
    }

    /**
     * Runs a three-way handshake between two demuxes, the server's stateless (its default);
     * returns {client's session, server's session}.
     */
    private static List<S> handshake(Demux<S> client, Demux<S> server, String serverInbox) throws Exception {
        S out = client.connect(serverInbox, CONFIG, 0, S::new);
        Frame syn = FrameCodec.decode(out.engine().pollTransmit(0));
        Frame synAck = FrameCodec.decode(reply(server.route(syn, 1)).frame());
        assertSame(out, deliver(client.route(synAck, 2)).session());
        out.engine().handleFrame(synAck, 2);
        Frame ack = FrameCodec.decode(out.engine().pollTransmit(2));
        Demux.Accept<S> proven = accept(server.route(ack, 3));
        S in = proven.session();
        in.engine().handleFrame(proven.deliver(), 3);
        assertEquals(EngineState.ESTABLISHED, out.engine().state());
        assertEquals(EngineState.ESTABLISHED, in.engine().state());
        client.refresh(out, 3);
        server.refresh(in, 3);
        return List.of(out, in);
    }

    @Test
    void capacityIsSharedAmongSessionsThatMayReceiveDataOnly() throws Exception {
        Demux<S> d = new Demux<>(LOCAL, CONFIG, 8, new SplittableRandom(10), S::new);
        List<S> established = new java.util.ArrayList<>();
        for (String server : List.of("a", "b", "c")) {
            Demux<S> peer = new Demux<>(server, CONFIG, 8, new SplittableRandom(server.hashCode()), S::new);
            established.add(handshake(d, peer, server).get(0));
        }
        // Handshakes in progress shrink nobody's share (they get one frame, for their first data).
        S halfOpen = d.connect("d", CONFIG, 0, S::new);
        d.refresh(halfOpen, 3);
        // Sessions that all want data split half of the room: a share taken back when more
        // turn active may still see what its peer sent under it.
        plan(d, 100, 1000, 10, 4);
        assertArrayEquals(new long[] {16, 166}, d.shareFor(established.get(0)));
        assertArrayEquals(new long[] {1, 10}, d.shareFor(halfOpen));
        // A session whose peer has finished gets nothing, and counts for nothing.
        S finished = established.get(1);
        finished.engine().handleFrame(Frame.builder(FrameKind.FIN).from(finished.engine().remoteInbox()).to(LOCAL)
                .srcNonce(finished.engine().remoteNonce()).dstNonce(finished.engine().localNonce()).seq(0)
                .window(64, 1 << 20).build(), 4);
        assertEquals(EngineState.CLOSE_WAIT, finished.engine().state());
        d.refresh(finished, 4);
        assertArrayEquals(new long[] {0, 0}, d.shareFor(finished));
        plan(d, 100, 1000, 10, 4);
        assertArrayEquals(new long[] {25, 250}, d.shareFor(established.get(0)));
        plan(d, Engine.UNKNOWN_CAPACITY, 1000, 10, 4);
        assertArrayEquals(new long[] {Engine.UNKNOWN_CAPACITY, 250}, d.shareFor(established.get(0)));
        d.remove(established.get(0));
        plan(d, 100, 1000, 10, 4);
        assertArrayEquals(new long[] {100, 1000}, d.shareFor(established.get(2)));
    }

    /**
     * Plans with {@code frames} and {@code bytes} free for data: adds the room the demux
     * keeps for one control frame per shareholder.
     */
    private static void plan(Demux<S> d, long frames, long bytes, long frameBytes, long now) {
        int n = d.shareholderCount();
        d.plan(frames < 0 ? frames : frames + n, bytes < 0 ? bytes : bytes + n * Demux.CONTROL_FRAME_BYTES,
                frameBytes, now);
    }

    /** {@code n} established outgoing sessions of {@code d}, each with its own peer inbox. */
    private static List<S> establish(Demux<S> d, int n) throws Exception {
        List<S> out = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            String server = "peer" + i;
            Demux<S> peer = new Demux<>(server, CONFIG, 8, new SplittableRandom(i + 100), S::new);
            out.add(handshake(d, peer, server).get(0));
        }
        return out;
    }

    private static Frame dataFor(S s, long seq, int bytes) {
        Engine e = s.engine();
        return Frame.builder(FrameKind.DATA).from(e.remoteInbox()).to(LOCAL).srcNonce(e.remoteNonce())
                .dstNonce(e.localNonce()).seq(seq).payload(new byte[bytes]).window(64, 1 << 20).build();
    }

    private static Frame keepaliveFor(S s) {
        Engine e = s.engine();
        return Frame.builder(FrameKind.KEEPALIVE).from(e.remoteInbox()).to(LOCAL).srcNonce(e.remoteNonce())
                .dstNonce(e.localNonce()).window(64, 1 << 20).build();
    }

    private static long[] totals(Demux<S> d, List<S> sessions) {
        long frames = 0;
        long bytes = 0;
        for (S s : sessions) {
            long[] g = d.shareFor(s);
            frames += g[0];
            bytes += g[1];
        }
        return new long[] {frames, bytes};
    }

    @Test
    void aShareThatShrinksALittleAtATimeIsToldOnceItHasHalved() throws Exception {
        Demux<S> d = new Demux<>(LOCAL, CONFIG, 8, new SplittableRandom(15), S::new);
        List<S> sessions = establish(d, 2);
        plan(d, 100, 100_000, 10, 4);
        assertArrayEquals(new long[] {25, 25_000}, d.shareFor(sessions.get(0)));
        assertTrue(d.regranted().contains(sessions.get(0)), "a first grant is told");
        // Each step takes less than half of the previous grant, and is not told...
        for (long free : new long[] {90, 80, 70, 60}) {
            plan(d, free, 100_000, 10, 4);
            assertTrue(d.regranted().isEmpty(), "told at " + free + " free: " + d.shareFor(sessions.get(0))[0]);
        }
        assertArrayEquals(new long[] {15, 25_000}, d.shareFor(sessions.get(0)));
        // ...but once the grant is below half of what the peer was told (25), it is.
        plan(d, 48, 100_000, 10, 4);
        assertArrayEquals(new long[] {12, 25_000}, d.shareFor(sessions.get(0)));
        assertTrue(d.regranted().contains(sessions.get(0)), "a grant halved step by step was never told");
        // And measured from there on: 12 -> 7 is not yet half.
        plan(d, 28, 100_000, 10, 4);
        assertTrue(d.regranted().isEmpty());
    }

    @Test
    void silentSessionsGiveTheirShareBackAndDataEarnsItAgain() throws Exception {
        Demux<S> d = new Demux<>(LOCAL, CONFIG, 8, new SplittableRandom(12), S::new);
        List<S> sessions = establish(d, 10);
        long ms = 1_000_000L;
        // New sessions are presumed to want data: an even split of half the room.
        plan(d, 100, 1000, 10, 4);
        assertArrayEquals(new long[] {5, 50}, d.shareFor(sessions.get(0)));
        // One honest transfer, nine silent sessions: the silent ones keep a frame each.
        long t = 4 + Demux.DEFAULT_SHARE_IDLE_NANOS + ms;
        assertTrue(d.route(dataFor(sessions.get(0), 0, 5), t) instanceof Demux.Deliver);
        plan(d, 100, 1000, 10, t);
        assertArrayEquals(new long[] {91, 910}, d.shareFor(sessions.get(0)));
        assertArrayEquals(new long[] {1, 10}, d.shareFor(sessions.get(9)));
        assertTrue(d.regranted().contains(sessions.get(0)), "a grown share is told to the peer");
        assertArrayEquals(new long[] {100, 1000}, totals(d, sessions), "never more than is free");
        assertEquals(t + Demux.DEFAULT_SHARE_IDLE_NANOS, d.shareDeadline(), "wakes when the transfer may go idle");
        // A keepalive to a session with an open grant is liveness, not demand.
        assertTrue(d.route(keepaliveFor(sessions.get(9)), t) instanceof Demux.Deliver);
        plan(d, 100, 1000, 10, t);
        assertArrayEquals(new long[] {1, 10}, d.shareFor(sessions.get(9)));
        // The transfer stops: after the idle time everyone is idle again, and splits evenly.
        long later = t + Demux.DEFAULT_SHARE_IDLE_NANOS;
        plan(d, 100, 1000, 10, later);
        assertArrayEquals(new long[] {10, 100}, d.shareFor(sessions.get(0)));
        assertEquals(Long.MAX_VALUE, d.shareDeadline());
    }

    @Test
    void fewerFreeFramesThanSessionsRotateOneFrameGrantsThroughEveryone() throws Exception {
        Demux<S> d = new Demux<>(LOCAL, CONFIG, 8, new SplittableRandom(13), S::new);
        d.setShareTiming(1_000_000_000L, 1_000_000L);
        List<S> sessions = establish(d, 40);
        java.util.Set<S> served = new java.util.HashSet<>();
        for (int slot = 0; slot < 8; slot++) {
            long now = 10 + slot * 1_000_000L;
            plan(d, 10, 10 * 100, 100, now);
            long[] total = totals(d, sessions);
            assertEquals(5, total[0], "half the free frames are granted, the rest is slack for frames in flight");
            assertEquals(500, total[1]);
            for (S s : sessions) {
                long[] g = d.shareFor(s);
                assertTrue((g[0] == 1 && g[1] == 100) || (g[0] == 0 && g[1] == 0), "whole frames or nothing");
                if (g[0] == 1) {
                    served.add(s);
                }
            }
            assertEquals((slot + 1) * 1_000_000L, d.shareDeadline(), "wakes at the next slot");
        }
        assertEquals(40, served.size(), "every session held a grant within n / holders slots");
        assertTrue(d.rotatingPlans() >= 8);
    }

    @Test
    void aClosedSessionsWindowProbeEarnsItDemandAndALivenessKeepaliveDoesNot() throws Exception {
        Demux<S> d = new Demux<>(LOCAL, CONFIG, 8, new SplittableRandom(14), S::new);
        d.setShareTiming(1_000_000L, 1_000_000_000L);
        List<S> sessions = establish(d, 20);
        long now = 50_000_000L;
        plan(d, 4, 400, 100, now); // all idle, 4 frames for 20 sessions: nobody holds a grant
        for (S s : sessions) {
            assertArrayEquals(new long[] {0, 0}, d.shareFor(s), "idle grants below a frame each do not rotate");
        }
        assertEquals(Long.MAX_VALUE, d.shareDeadline(), "nothing to rotate, nothing to wake for");
        S closed = sessions.get(7);
        // A liveness keepalive from a peer with nothing to send is not demand.
        assertTrue(d.route(keepaliveFor(closed), now + 1) instanceof Demux.Deliver);
        plan(d, 4, 400, 100, now + 1);
        assertArrayEquals(new long[] {0, 0}, d.shareFor(closed), "a liveness keepalive earned a share");
        assertTrue(d.regranted().isEmpty());
        // A window probe (data waits at the peer) is.
        assertTrue(d.route(keepaliveFor(closed).toBuilder().flags(Frame.FLAG_WANTS_WINDOW).build(), now + 1)
                instanceof Demux.Deliver);
        plan(d, 4, 400, 100, now + 1);
        // Now the only active session: the idle floor (4 / 4 = 1 slot for 19) cannot give
        // every idle session a frame, so it gives none, and the active one gets everything.
        assertArrayEquals(new long[] {4, 400}, d.shareFor(closed));
        assertTrue(d.regranted().contains(closed));
        assertTrue(totals(d, sessions)[0] <= 4);
    }

    @Test
    void sessionLimitsRefuseSynsAndConnectsInAllAndPerPeer() {
        Demux<S> d = demux(100, new SplittableRandom(11));
        d.setSessionLimits(3, 2);
        accept(d.route(syn("p", 1), 0));
        accept(d.route(syn("p", 2), 0));
        reply(d.route(syn("p", 3), 0));
        assertEquals(1, d.synsRefused());
        Demux.SessionLimitException e = org.junit.jupiter.api.Assertions.assertThrows(
                Demux.SessionLimitException.class, () -> d.connect("p", CONFIG, 0, S::new));
        assertTrue(e.getMessage().contains("with p"), e.getMessage());
        S q = d.connect("q", CONFIG, 0, S::new);
        reply(d.route(syn("r", 1), 0));
        org.junit.jupiter.api.Assertions.assertThrows(Demux.SessionLimitException.class,
                () -> d.connect("r", CONFIG, 0, S::new));
        d.remove(q);
        accept(d.route(syn("r", 1), 0));
    }

    @Test
    void aFromThatIsNotAPlainSubjectIsNeitherRoutedNorAnswered() {
        Demux<S> d = demux(8, new SplittableRandom(12));
        for (String from : List.of("", "a..b", ".a", "a.", "a.*", "a.>", "a b", "a\tb", "a\u2028b")) {
            assertEquals(Demux.DropReason.INVALID_FROM, drop(d.route(syn(from, 1), 0)).reason(), from);
            assertEquals(Demux.DropReason.INVALID_FROM, drop(d.route(data(from, 1, 99), 0)).reason(), from);
        }
        assertEquals(0, d.sessionCount());
        assertEquals(0, d.resetsSent());
        accept(d.route(syn("files.alice-1_x", 1), 0));
    }

    @Test
    void repliesToUnknownPeersAreRateLimited() {
        Demux<S> d = demux(8, new SplittableRandom(13));
        d.setReplyRateLimit(10, 3);
        d.setAccepting(false);
        long ms = 1_000_000L;
        for (int i = 0; i < 3; i++) {
            reply(d.route(data("victim", 1, 1000 + i), 0));
        }
        assertEquals(Demux.DropReason.RATE_LIMITED, drop(d.route(data("victim", 1, 2000), 0)).reason());
        assertEquals(Demux.DropReason.RATE_LIMITED, drop(d.route(syn("victim", 5), 0)).reason(),
                "while not accepting, refused SYNs count too");
        // 10 per second: one token per 100 ms.
        assertEquals(Demux.DropReason.RATE_LIMITED, drop(d.route(data("victim", 1, 2001), 99 * ms)).reason());
        reply(d.route(data("victim", 1, 2002), 100 * ms));
        assertEquals(3 + 1, d.resetsSent());
        assertEquals(3, d.repliesRateLimited());
    }

    private static Frame ackFor(Frame synAck, String from, long nonce) {
        return Frame.builder(FrameKind.ACK).from(from).to(LOCAL).srcNonce(nonce).dstNonce(synAck.srcNonce())
                .window(64, 1 << 20).tsEcr(synAck.tsVal()).build();
    }

    @Test
    void underACookieThresholdASynCostsOneReplyAndNoState() throws Exception {
        Demux<S> d = new Demux<>(LOCAL, CONFIG, 8, new SplittableRandom(14), S::new);
        d.setCookieThreshold(0);
        Demux.Reply<S> r = reply(d.route(syn("peer", 77), 1_000));
        Frame synAck = FrameCodec.decode(r.frame());
        assertEquals(FrameKind.SYN_ACK, synAck.kind());
        assertEquals("peer", r.inbox());
        assertEquals(77, synAck.dstNonce());
        assertNotEquals(0, synAck.srcNonce());
        assertEquals(0, d.sessionCount());
        assertEquals(0, d.awaitingAcceptCount());
        // A repeated SYN gets the same cookie, still without state.
        assertEquals(synAck.srcNonce(), FrameCodec.decode(reply(d.route(syn("peer", 77), 2_000)).frame()).srcNonce());
        assertEquals(0, d.sessionCount());
        // The initiator's ACK names the cookie: proof that it receives at "peer".
        Demux.Accept<S> a = accept(d.route(ackFor(synAck, "peer", 77), 3_000));
        Engine e = a.session().engine();
        assertEquals(synAck.srcNonce(), e.localNonce());
        assertEquals(77, e.remoteNonce());
        e.handleFrame(a.deliver(), 3_000);
        assertEquals(EngineState.ESTABLISHED, e.state());
        assertEquals(1, d.cookieSessions());
        assertSame(a.session(), deliver(d.route(data("peer", 77, e.localNonce()), 4_000)).session());
    }

    @Test
    void aCookieProvesNothingForAnotherPeerNonceOrTimeAndDataCanCompleteTheHandshake() throws Exception {
        Demux<S> d = new Demux<>(LOCAL, CONFIG, 8, new SplittableRandom(15), S::new);
        d.setCookieThreshold(0);
        Frame synAck = FrameCodec.decode(reply(d.route(syn("peer", 77), 0)).frame());
        long cookie = synAck.srcNonce();
        // Another initiator nonce, another inbox, a guessed nonce: answered as unknown.
        reply(d.route(data("peer", 78, cookie), 1));
        reply(d.route(data("other", 77, cookie), 1));
        reply(d.route(data("peer", 77, cookie + 1), 1));
        // Two epochs later the cookie has expired.
        reply(d.route(data("peer", 77, cookie), 2 * Demux.COOKIE_EPOCH_NANOS + 1));
        assertEquals(0, d.sessionCount());
        // Within its epoch, DATA (the ACK was lost) opens the session and is delivered.
        Demux.Accept<S> a = accept(d.route(data("peer", 77, cookie), Demux.COOKIE_EPOCH_NANOS + 5));
        a.session().engine().handleFrame(a.deliver(), Demux.COOKIE_EPOCH_NANOS + 5);
        assertEquals(EngineState.ESTABLISHED, a.session().engine().state());
        assertEquals(1, a.session().engine().readableBytes());
    }

    @Test
    void byDefaultEverySynIsAnsweredStatelesslyWithOneSynAck() {
        Demux<S> d = new Demux<>(LOCAL, CONFIG, 4, new SplittableRandom(16), S::new);
        for (int i = 1; i <= 3; i++) {
            Frame synAck = decodeUnchecked(reply(d.route(syn("p", i), 0)).frame());
            assertEquals(FrameKind.SYN_ACK, synAck.kind());
        }
        assertEquals(0, d.sessionCount());
        assertEquals(0, d.awaitingAcceptCount());
    }

    private static Frame decodeUnchecked(byte[] b) {
        try {
            return FrameCodec.decode(b);
        } catch (MalformedFrameException e) {
            throw new AssertionError(e);
        }
    }
}
