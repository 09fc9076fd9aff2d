package io.swp.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.swp.SessionConfig;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Fuzz target 3, the demux: frames from several peers with nonces that match a session,
 * almost match, or match nothing, for this inbox or another, interleaved with connects,
 * accepts, removals and time, the sessions' engines fed what is delivered to them. After
 * every step no exception escaped, and the outcome is the one the routing rules give:
 * a frame for another inbox is dropped unanswered; a delivered frame reaches the session
 * its nonces name; a RESET is never answered and every answer is a RESET for the sender;
 * the counters, the table and the backlog agree with what happened.
 */
@Tag("fuzz")
class DemuxFuzzTest {
    private static final String LOCAL = "svc";
    private static final String[] PEERS = {"p1", "p2", "p3"};
    private static final EngineConfig CONFIG = SessionConfig.defaults().engineConfig();
    private static final long MS = 1_000_000L;
    private static final int MAX_STEPS = 300;

    /** A session as the demux keeps it. */
    private record Session(Engine engine) implements Demux.Routed {
    }

    /** One fuzz run: the demux, the sessions it should have, and what it should have counted. */
    private static final class Run {
        final FuzzData in;
        final int backlog;
        final Demux<Session> demux;
        final List<Session> registered = new ArrayList<>();
        final Set<Session> awaiting = new HashSet<>();
        long now = 1_000 * MS;
        long routed;
        long replies;
        long drops;
        long opened;
        long refused;

        Run(FuzzData in) {
            this.in = in;
            this.backlog = in.consumeInt(1, 4);
            SplittableRandom fallback = new SplittableRandom(in.consumeLong());
            // Nonces from a tiny set while the input lasts, so that collisions (0, a nonce in
            // use with that peer) are common; then random ones, so that a nonce is always found.
            RandomGenerator nonces = new RandomGenerator() {
                private int draws;

                @Override
                public long nextLong() {
                    return ++draws % 4 != 0 && !in.exhausted() ? in.consumeInt(0, 3) : fallback.nextLong();
                }
            };
            this.demux = new Demux<>(LOCAL, CONFIG, backlog, nonces, Session::new);
            // The model below follows the stateful acceptor and unlimited replies; SYN
            // cookies and the reply rate limit have their own tests in DemuxRoutingTest.
            demux.setCookieThreshold(Integer.MAX_VALUE);
            demux.setReplyRateLimit(Integer.MAX_VALUE, Integer.MAX_VALUE);
        }

        long nonce(boolean local) {
            if (!registered.isEmpty() && in.consumeBoolean()) {
                Engine e = registered.get(in.consumeInt(0, registered.size() - 1)).engine();
                return local ? e.localNonce() : e.remoteNonce();
            }
            return in.consumeBoolean() ? in.consumeInt(0, 3) : in.consumeLong();
        }

        Frame frame() {
            if (in.consumeInt(0, 7) == 0) {
                return FuzzFrames.arbitrary(in);
            }
            FrameKind kind = in.consumeBoolean() ? FrameKind.SYN : in.pick(FrameKind.values());
            return Frame.builder(kind).from(in.consumeInt(0, 7) == 0 ? FuzzFrames.inbox(in) : in.pick(PEERS))
                    .to(in.consumeInt(0, 5) == 0 ? in.pick(PEERS) : LOCAL)
                    .srcNonce(nonce(false)).dstNonce(in.consumeBoolean() ? 0 : nonce(true))
                    .seq(in.consumeInt(0, 3)).ack(in.consumeInt(0, 3))
                    .window(in.consumeInt(0, 2_000), in.consumeLong(0, 1 << 24))
                    .tsVal(now - in.consumeInt(0, 100) * MS).tsEcr(in.consumeLong())
                    .payload(in.consumeBytes(32)).build();
        }

        void route() {
            Frame f = frame();
            Demux.Outcome<Session> outcome = demux.route(f, now);
            routed++;
            if (!f.to().equals(LOCAL)) {
                assertTrue(outcome instanceof Demux.Drop<Session> d && d.reason() == Demux.DropReason.WRONG_INBOX,
                        "a frame for another inbox was not dropped: " + outcome);
            }
            if (outcome instanceof Demux.Deliver<Session> d) {
                Session s = d.session();
                assertTrue(registered.contains(s), "delivered to a session not in the table");
                Engine e = s.engine();
                assertEquals(f.from(), e.remoteInbox(), "delivered to another peer's session");
                if (f.dstNonce() != 0) {
                    assertEquals(f.dstNonce(), e.localNonce(), "delivered to a session its nonce does not name");
                } else {
                    assertEquals(FrameKind.SYN, f.kind(), "only a repeated SYN is routed without our nonce");
                    assertTrue(!e.isInitiator() && e.remoteNonce() == f.srcNonce(), "a SYN delivered to the wrong session");
                }
                e.handleFrame(f, now);
                drain(s);
            } else if (outcome instanceof Demux.Accept<Session> a) {
                Session s = a.session();
                assertTrue(f.kind() == FrameKind.SYN && f.dstNonce() == 0 && f.srcNonce() != 0, "accepted " + f);
                assertEquals(EngineState.SYN_RECEIVED, s.engine().state());
                assertEquals(f.from(), s.engine().remoteInbox());
                assertEquals(f.srcNonce(), s.engine().remoteNonce());
                assertTrue(awaiting.size() < backlog, "accepted beyond the backlog");
                registered.add(s);
                awaiting.add(s);
                opened++;
                drain(s);
            } else if (outcome instanceof Demux.Reply<Session> r) {
                replies++;
                assertNotEquals(FrameKind.RESET, f.kind(), "a RESET was answered");
                assertEquals(f.from(), r.inbox());
                Frame reset;
                try {
                    reset = FrameCodec.decode(r.frame());
                } catch (MalformedFrameException e) {
                    throw new AssertionError("the answer does not decode", e);
                }
                assertEquals(FrameKind.RESET, reset.kind());
                assertEquals(LOCAL, reset.from());
                assertEquals(f.from(), reset.to());
                assertEquals(f.dstNonce(), reset.srcNonce());
                assertEquals(f.srcNonce(), reset.dstNonce());
                if (f.kind() == FrameKind.SYN && f.dstNonce() == 0) {
                    refused++;
                }
            } else if (outcome instanceof Demux.Drop<Session> d) {
                drops++;
                switch (d.reason()) {
                    case WRONG_INBOX -> assertNotEquals(LOCAL, f.to());
                    case UNKNOWN_RESET -> assertEquals(FrameKind.RESET, f.kind());
                    case INVALID_SYN -> assertEquals(FrameKind.SYN, f.kind());
                    case INVALID_FROM -> assertTrue(!Demux.isPlainSubject(f.from()), "dropped a plain from: " + f);
                    default -> fail("unknown drop reason " + d.reason());
                }
            } else {
                fail("unknown outcome " + outcome);
            }
        }

        void drain(Session s) {
            while (s.engine().pollTransmit(now) != null) {
                // sent into the void
            }
            while (s.engine().pollEvent() != null) {
                // drained
            }
        }

        void step() {
            switch (in.consumeInt(0, 9)) {
                case 0 -> {
                    Session s = demux.connect(in.pick(PEERS), CONFIG, now, Session::new);
                    assertNotEquals(0, s.engine().localNonce());
                    registered.add(s);
                    opened++;
                    drain(s);
                }
                case 1 -> {
                    if (!registered.isEmpty()) {
                        Session s = registered.get(in.consumeInt(0, registered.size() - 1));
                        demux.accepted(s);
                        awaiting.remove(s);
                    }
                }
                case 2 -> {
                    if (!registered.isEmpty()) {
                        Session s = registered.remove(in.consumeInt(0, registered.size() - 1));
                        demux.remove(s);
                        awaiting.remove(s);
                    }
                }
                case 3 -> {
                    now += in.consumeLong(0, 20_000 * MS);
                    for (Session s : new ArrayList<>(registered)) {
                        s.engine().handleTimeout(now);
                        drain(s);
                        if (s.engine().state() == EngineState.CLOSED) {
                            registered.remove(s);
                            demux.remove(s);
                            awaiting.remove(s);
                        }
                    }
                }
                case 4 -> demux.setAccepting(in.consumeInt(0, 3) != 0);
                default -> route();
            }
            checkInvariants();
        }

        void checkInvariants() {
            assertEquals(routed, demux.framesRouted(), "framesRouted");
            assertEquals(replies, demux.resetsSent(), "resetsSent");
            assertEquals(drops, demux.dropped(), "dropped");
            assertEquals(opened, demux.sessionsOpened(), "sessionsOpened");
            assertEquals(refused, demux.synsRefused(), "synsRefused");
            assertEquals(registered.size(), demux.sessionCount(), "sessionCount");
            assertEquals(awaiting.size(), demux.awaitingAcceptCount(), "awaitingAcceptCount");
            assertTrue(demux.awaitingAcceptCount() <= backlog, "backlog exceeded");
            Set<String> keys = new HashSet<>();
            for (Session s : registered) {
                Engine e = s.engine();
                assertTrue(keys.add(e.remoteInbox() + "#" + e.localNonce()), "two sessions with one nonce and peer");
                assertNotEquals(0, e.localNonce());
            }
            if (!registered.isEmpty() && in.consumeInt(0, 3) == 0) {
                // Every registered session is found by its own nonce.
                Session s = registered.get(in.consumeInt(0, registered.size() - 1));
                Frame probe = Frame.builder(FrameKind.KEEPALIVE).from(s.engine().remoteInbox()).to(LOCAL)
                        .srcNonce(s.engine().remoteNonce()).dstNonce(s.engine().localNonce()).tsVal(now).build();
                Demux.Outcome<Session> o = demux.route(probe, now);
                routed++;
                assertTrue(o instanceof Demux.Deliver<Session> d && d.session() == s, "session not found: " + o);
                assertSame(s, ((Demux.Deliver<Session>) o).session());
            }
        }
    }

    static void fuzz(FuzzData in) {
        Run run = new Run(in);
        for (int i = 0; i < MAX_STEPS && !in.exhausted(); i++) {
            run.step();
        }
    }

    @FuzzTest
    void demux(FuzzedDataProvider data) {
        fuzz(FuzzData.of(data));
    }

    @Test
    void seededInputs() {
        SeededFuzzing.run("demux", 0xDE3B0L, 1_500, DemuxFuzzTest::fuzz);
    }
}
