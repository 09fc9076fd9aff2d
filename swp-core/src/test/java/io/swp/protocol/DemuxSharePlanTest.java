package io.swp.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Demux#plan} keeps its sort of the shareholders and its last grants, and visits
 * the shares only when either changed. Two demuxes fed the same random sessions, demand,
 * departures, clock and capacities, one of them sorting and setting every share at every
 * plan, must grant every session the same and list the same sessions to serve.
 */
class DemuxSharePlanTest {
    private static final String LOCAL = "local";
    private static final EngineConfig CONFIG = SessionConfig.defaults().engineConfig();
    private static final long MS = 1_000_000L;
    private static final long FRAME = 100;

    private record S(Engine engine) implements Demux.Routed {
    }

    static LongStream seeds() {
        return Seeds.range(1, 200);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void plansThatReuseTheirWorkGrantWhatFullPlansDo(long seed) throws Exception {
        Demux<S> reusing = new Demux<>(LOCAL, CONFIG, 64, new SplittableRandom(seed), S::new);
        Demux<S> full = new Demux<>(LOCAL, CONFIG, 64, new SplittableRandom(seed), S::new);
        full.classifyEveryPlan = true;
        List<S> rs = new ArrayList<>();
        List<S> fs = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(seed * 31 + 7);
        int peers = 0;
        long now = 0;
        int initial = 1 + r.nextInt(40);
        for (int i = 0; i < initial; i++) {
            rs.add(connect(reusing, peers, now));
            fs.add(connect(full, peers++, now));
        }
        int plans = 0;
        for (int step = 0; step < 400; step++) {
            now += r.nextInt(4) == 0 ? r.nextLong(30 * MS) : r.nextLong(2 * MS);
            int op = r.nextInt(12);
            String where = "seed " + seed + ", step " + step + ", op " + op;
            if (op <= 3 && !rs.isEmpty()) {
                int i = r.nextInt(rs.size());
                int bytes = r.nextInt(3) == 0 ? 0 : 1 + r.nextInt(50);
                assertInstanceOf(Demux.Deliver.class, reusing.route(frameFor(rs.get(i), bytes), now), where);
                assertInstanceOf(Demux.Deliver.class, full.route(frameFor(fs.get(i), bytes), now), where);
            } else if (op == 4 && !rs.isEmpty()) {
                int i = r.nextInt(rs.size());
                reusing.remove(rs.remove(i));
                full.remove(fs.remove(i));
            } else if (op == 5) {
                rs.add(connect(reusing, peers, now));
                fs.add(connect(full, peers++, now));
            } else {
                long n = rs.size() + 1;
                long frames = switch (r.nextInt(4)) {
                    case 0 -> Engine.UNKNOWN_CAPACITY;
                    case 1 -> r.nextLong(3 * n);
                    default -> r.nextLong(40 * n);
                };
                long bytes = switch (r.nextInt(4)) {
                    case 0 -> Engine.UNKNOWN_CAPACITY;
                    case 1 -> r.nextLong(3 * n * FRAME);
                    default -> r.nextLong(40 * n * FRAME);
                };
                reusing.plan(frames, bytes, FRAME, now);
                full.plan(frames, bytes, FRAME, now);
                plans++;
                where += ", plan(" + frames + ", " + bytes + ") at " + now;
                for (int i = 0; i < rs.size(); i++) {
                    assertArrayEquals(full.shareFor(fs.get(i)), reusing.shareFor(rs.get(i)), where + ", session " + i);
                }
                assertEquals(indices(full.regranted(), fs), indices(reusing.regranted(), rs), where + ": sessions to serve");
                assertEquals(full.rotatingPlans(), reusing.rotatingPlans(), where);
                assertTrue(reusing.shareDeadline() <= full.shareDeadline(),
                        where + ": a plan that reuses its sort may wake early, never late");
            }
        }
        assertTrue(plans > 50, "seed " + seed + " planned only " + plans + " times");
        assertEquals(plans, full.plansThatSetShares, "the full demux sets every share at every plan");
        assertTrue(reusing.plansThatSetShares < plans,
                "seed " + seed + ": every one of " + plans + " plans visited the shares");
    }

    private static List<Integer> indices(List<S> sessions, List<S> all) {
        List<Integer> out = new ArrayList<>();
        for (S s : sessions) {
            out.add(all.indexOf(s));
        }
        return out;
    }

    /** An established outgoing session of {@code d} to its own peer, made shareholder at {@code now}. */
    private static S connect(Demux<S> d, int peer, long now) throws Exception {
        String server = "peer" + peer;
        Demux<S> other = new Demux<>(server, CONFIG, 8, new SplittableRandom(peer + 100), S::new);
        S out = d.connect(server, CONFIG, now, S::new);
        Frame syn = FrameCodec.decode(out.engine().pollTransmit(now));
        Demux.Outcome<S> answer = other.route(syn, now);
        Frame synAck = FrameCodec.decode(((Demux.Reply<S>) answer).frame());
        d.route(synAck, now);
        out.engine().handleFrame(synAck, now);
        assertEquals(EngineState.ESTABLISHED, out.engine().state());
        d.refresh(out, now);
        return out;
    }

    /** Data of {@code bytes} from the peer of {@code s}, or a keepalive when 0. */
    private static Frame frameFor(S s, int bytes) {
        Engine e = s.engine();
        Frame.Builder b = Frame.builder(bytes == 0 ? FrameKind.KEEPALIVE : FrameKind.DATA).from(e.remoteInbox()).to(LOCAL)
                .srcNonce(e.remoteNonce()).dstNonce(e.localNonce()).window(64, 1 << 20);
        return bytes == 0 ? b.build() : b.seq(0).payload(new byte[bytes]).build();
    }
}
