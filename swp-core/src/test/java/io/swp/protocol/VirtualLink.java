package io.swp.protocol;

import io.swp.SessionConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;
import java.util.random.RandomGenerator;

/**
 * A small virtual-time driver for two engines: A connects, B is created by
 * {@link Engine#accept} when A's first SYN arrives. Frames travel through a queue with
 * delivery times; a {@link FramePolicy} drops, duplicates or delays them by direction,
 * per-direction frame index or content. Time jumps to the next delivery or deadline, so
 * minutes of protocol time take microseconds. The full seeded simulator lives in swp-sim;
 * this one stays small enough to read in one sitting.
 */
final class VirtualLink {
    static final String A_INBOX = "a";
    static final String B_INBOX = "b";
    static final long NONCE_A = 0xA11CEL;
    static final long NONCE_B = 0xB0BL;
    static final long MS = 1_000_000L;
    static final long SECOND = 1_000 * MS;
    private static final int MAX_STEPS = 5_000_000;

    enum Direction { A_TO_B, B_TO_A }

    /** What happens to one frame: how many copies arrive, how late, and whether one byte is flipped. */
    record Fate(int copies, long extraDelay, boolean corrupt) {
        static final Fate DELIVER = new Fate(1, 0, false);
        static final Fate DROP = new Fate(0, 0, false);
        static final Fate DUPLICATE = new Fate(2, 0, false);
        static final Fate CORRUPT = new Fate(1, 0, true);

        static Fate delay(long nanos) {
            return new Fate(1, nanos, false);
        }
    }

    /** Decides each frame's fate. */
    @FunctionalInterface
    interface FramePolicy {
        /**
         * @param direction which way it goes
         * @param index its number among the frames sent that way, from 0
         * @param packet the frame, decoded
         * @param now the time it is sent
         */
        Fate fate(Direction direction, int index, Frame packet, long now);
    }

    /** B's session as its demux knows it. */
    private record Accepted(Engine engine) implements Demux.Routed {
    }

    /** A random source whose every draw is {@code nonce}: B's nonce is fixed for assertions. */
    private static RandomGenerator fixedNonce(long nonce) {
        return () -> nonce;
    }

    /** A frame as it was sent, for assertions. */
    record Sent(long at, Frame packet) {
    }

    private record InFlight(long deliverAt, long order, Direction direction, byte[] frame)
            implements Comparable<InFlight> {
        @Override
        public int compareTo(InFlight o) {
            int c = Long.compare(deliverAt, o.deliverAt);
            return c != 0 ? c : Long.compare(order, o.order);
        }
    }

    final SessionConfig configA;
    final SessionConfig configB;
    long now;
    final Engine a;
    Engine b;
    long latencyAToB = 5 * MS;
    long latencyBToA = 5 * MS;
    FramePolicy policy = (d, i, p, t) -> Fate.DELIVER;
    /** Runs on B's engine right after {@link Engine#accept} creates it. */
    java.util.function.Consumer<Engine> onAccept = e -> { };
    /** Runs before every step: the applications. */
    Runnable app = () -> { };
    /** A vanished side neither sends, receives nor runs timers. */
    boolean aVanished;
    boolean bVanished;
    /** When set, frames reaching B's inbox with no session there are answered by {@link Engine#resetFor}. */
    boolean bAnswersUnknownWithReset;
    /**
     * When set, every frame array either engine hands out, with a copy taken when it was
     * sent (see {@link #framesChangedAfterSending()}); off by default, since it copies
     * every frame of a test.
     */
    List<byte[][]> wire;
    final List<Sent> sentByA = new ArrayList<>();
    final List<Sent> sentByB = new ArrayList<>();
    final List<EngineEvent> eventsA = new ArrayList<>();
    final List<EngineEvent> eventsB = new ArrayList<>();
    final List<EngineState> statesA = new ArrayList<>();
    final List<EngineState> statesB = new ArrayList<>();
    private final PriorityQueue<InFlight> queue = new PriorityQueue<>();
    private final Demux<Accepted> bDemux;
    private long order;
    private int indexAToB;
    private int indexBToA;
    long stepsRun;

    VirtualLink(SessionConfig config) {
        this(config, config);
    }

    VirtualLink(SessionConfig configA, SessionConfig configB) {
        this.configA = configA;
        this.configB = configB;
        this.a = Engine.connect(configA.engineConfig(), A_INBOX, B_INBOX, NONCE_A, now);
        this.bDemux = new Demux<>(B_INBOX, configB.engineConfig(), 1, fixedNonce(NONCE_B), Accepted::new);
        bDemux.setCookieThreshold(Integer.MAX_VALUE); // these tests are about the stateful acceptor
        statesA.add(a.state());
    }

    /** Runs until both sides are established; fails the test if that does not happen within 60 s. */
    VirtualLink establish() {
        if (!runUntil(() -> b != null && a.state() == EngineState.ESTABLISHED
                && b.state() == EngineState.ESTABLISHED, 60 * SECOND)) {
            throw new AssertionError("handshake did not complete: A " + a.state()
                    + ", B " + (b == null ? "absent" : b.state()));
        }
        return this;
    }

    /**
     * Steps until the condition holds, virtual time passes {@code limit} from now, or
     * nothing is left to happen.
     *
     * @return whether the condition holds
     */
    boolean runUntil(BooleanSupplier condition, long limit) {
        long end = now + limit;
        while (!condition.getAsBoolean()) {
            if (!step(end)) {
                return condition.getAsBoolean();
            }
        }
        return true;
    }

    /** Runs for a span of virtual time. */
    void runFor(long span) {
        long end = now + span;
        while (step(end)) {
            // keep going
        }
        now = Math.max(now, end);
    }

    /**
     * One round: applications, transmissions, then a jump to the next event (not past
     * {@code end}) with deliveries and timers.
     *
     * @return false if nothing is left to happen before {@code end}
     */
    boolean step(long end) {
        if (++stepsRun > MAX_STEPS) {
            throw new AssertionError("driver ran " + MAX_STEPS + " steps: livelock? A " + a + ", B " + b);
        }
        app.run();
        flush();
        long next = Long.MAX_VALUE;
        if (!queue.isEmpty()) {
            next = queue.peek().deliverAt;
        }
        if (!aVanished) {
            next = Math.min(next, a.pollTimeout());
        }
        if (b != null && !bVanished) {
            next = Math.min(next, b.pollTimeout());
        }
        if (next == Long.MAX_VALUE || next > end) {
            return false;
        }
        now = Math.max(now, next);
        while (!queue.isEmpty() && queue.peek().deliverAt <= now) {
            deliver(queue.poll());
            // As the runtime does: after each input, send what it produced.
            flush();
        }
        if (!aVanished && a.pollTimeout() <= now) {
            a.handleTimeout(now);
            drainEvents(a, eventsA);
        }
        if (b != null && !bVanished && b.pollTimeout() <= now) {
            b.handleTimeout(now);
            drainEvents(b, eventsB);
        }
        recordStates();
        return true;
    }

    /** Sends everything both engines have to send now. */
    void flush() {
        if (!aVanished) {
            byte[] f;
            while ((f = a.pollTransmit(now)) != null) {
                enqueue(Direction.A_TO_B, f);
            }
            drainEvents(a, eventsA);
        }
        if (b != null && !bVanished) {
            byte[] f;
            while ((f = b.pollTransmit(now)) != null) {
                enqueue(Direction.B_TO_A, f);
            }
            drainEvents(b, eventsB);
        }
        recordStates();
    }

    /**
     * @return how many arrays handed to the network changed after they were sent: the
     *     network owns them from then on, and frames encoded in place share their array
     *     with the send buffer
     */
    long framesChangedAfterSending() {
        return wire.stream().filter(w -> !java.util.Arrays.equals(w[0], w[1])).count();
    }

    /** Puts a frame on the wire as if {@code from} had sent it (for stray-frame tests). */
    void inject(Direction direction, Frame p) {
        byte[] frame = FrameCodec.encode(p);
        long latency = direction == Direction.A_TO_B ? latencyAToB : latencyBToA;
        queue.add(new InFlight(now + latency, order++, direction, frame));
    }

    private void enqueue(Direction direction, byte[] frame) {
        if (wire != null) {
            wire.add(new byte[][] {frame, frame.clone()});
        }
        Frame p = decode(frame);
        boolean fromA = direction == Direction.A_TO_B;
        (fromA ? sentByA : sentByB).add(new Sent(now, p));
        int index = fromA ? indexAToB++ : indexBToA++;
        Fate fate = policy.fate(direction, index, p, now);
        long latency = fromA ? latencyAToB : latencyBToA;
        byte[] delivered = frame;
        if (fate.corrupt()) {
            delivered = frame.clone();
            delivered[Math.floorMod(index * 31 + 7, delivered.length)] ^= (byte) 0x5a;
        }
        for (int i = 0; i < fate.copies(); i++) {
            queue.add(new InFlight(now + latency + fate.extraDelay(), order++, direction, delivered));
        }
    }

    private void deliver(InFlight f) {
        if (f.direction == Direction.B_TO_A) {
            if (!aVanished) {
                a.handleFrame(f.frame, now);
                drainEvents(a, eventsA);
            }
            return;
        }
        if (bVanished) {
            return;
        }
        if (b == null) {
            // B's inbox routes like an endpoint until its session exists; from then on
            // this link talks to the engine directly, strays included.
            bDemux.setAccepting(!bAnswersUnknownWithReset);
            Demux.Outcome<Accepted> outcome = bDemux.route(decode(f.frame), now);
            if (outcome instanceof Demux.Accept<Accepted> a) {
                b = a.session().engine();
                onAccept.accept(b);
                statesB.add(b.state());
            } else if (outcome instanceof Demux.Reply<Accepted> r) {
                enqueue(Direction.B_TO_A, r.frame());
            }
            return;
        }
        b.handleFrame(f.frame, now);
        drainEvents(b, eventsB);
    }

    private void recordStates() {
        if (statesA.get(statesA.size() - 1) != a.state()) {
            statesA.add(a.state());
        }
        if (b != null && statesB.get(statesB.size() - 1) != b.state()) {
            statesB.add(b.state());
        }
    }

    private static void drainEvents(Engine e, List<EngineEvent> into) {
        EngineEvent ev;
        while ((ev = e.pollEvent()) != null) {
            into.add(ev);
        }
    }

    static Frame decode(byte[] frame) {
        try {
            return FrameCodec.decode(frame);
        } catch (MalformedFrameException e) {
            throw new AssertionError("engine produced an undecodable frame", e);
        }
    }

    /** @return the frames A sent with the given kind and sequence number, in order */
    List<Sent> sentByA(FrameKind kind, long seq) {
        List<Sent> out = new ArrayList<>();
        for (Sent s : sentByA) {
            if (s.packet().kind() == kind && s.packet().seq() == seq) {
                out.add(s);
            }
        }
        return out;
    }

    /** @return how many frames of a kind a side sent */
    static long count(List<Sent> sent, FrameKind kind) {
        return sent.stream().filter(s -> s.packet().kind() == kind).count();
    }
}
