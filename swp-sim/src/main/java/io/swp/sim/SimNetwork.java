package io.swp.sim;

import io.swp.Clock;
import io.swp.Network;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;

/**
 * A {@link Network} in virtual time. Frames sent to an inbox pass through that inbox's
 * {@link ImpairmentModel} and wait in an event queue until the driver moves the clock to
 * their arrival time ({@link #advanceTo(long)}) and calls {@link #deliverDue()}; handlers
 * run on the driver's thread. Nothing here sleeps or reads a real clock, so a long
 * transfer at heavy loss costs only the CPU time of its frames.
 *
 * <p>Each destination inbox is one direction of a link: {@link #impair(String, Impairments)}
 * sets what happens to frames sent to it. Frames are delivered in order of arrival time,
 * ties in order of sending. The whole run is a function of the seed and the order of
 * calls, so a single-threaded driver reproduces it exactly; {@link #traceHash()} condenses
 * every delivery (time, inbox, bytes) into one number to compare runs.
 *
 * <p>Like a NATS subject, an inbox may be bound several times (one-to-many delivery):
 * each binding then gets its own copy of every frame, and each copy passes through its
 * own model of the link's impairments (the same settings, an independent random
 * stream), as if every subscriber had its own last mile. The first binding of an inbox
 * uses the link's own model, so an inbox bound once behaves exactly as before.
 *
 * <p>Thread-safe as the SPI requires, but meant for one driving thread.
 */
public final class SimNetwork implements Network {
    /** Default largest frame: what a default NATS server carries (1 MiB). */
    public static final int DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;
    private static final long SEED_MIX = 0x9E3779B97F4A7C15L;
    private static final long HASH_PRIME = 0x100000001B3L;

    private final long seed;
    private final int maxFrameSize;
    private final Map<String, ImpairmentModel> links = new HashMap<>();
    private final Map<String, Impairments> specs = new HashMap<>();
    private final Map<String, List<Binding>> handlers = new HashMap<>();
    private final Map<String, Integer> bindingOrdinals = new HashMap<>();
    private final PriorityQueue<InFlight> queue = new PriorityQueue<>();
    private FrameFilter filter = (inbox, frame, now) -> false;
    private long now;
    private long sentCount;
    private long filteredCount;
    private long undeliverableCount;
    private long traceHash = 0xCBF29CE484222325L;
    private boolean closed;

    /** Decides, for tests, to drop particular frames before the impairments see them. */
    @FunctionalInterface
    public interface FrameFilter {
        /**
         * @param toInbox the destination
         * @param frame the encoded frame (do not modify)
         * @param now the virtual time
         * @return true to drop the frame
         */
        boolean drop(String toInbox, byte[] frame, long now);
    }

    /**
     * @param seed the seed of every link's random decisions
     */
    public SimNetwork(long seed) {
        this(seed, DEFAULT_MAX_FRAME_BYTES);
    }

    /**
     * @param seed the seed of every link's random decisions
     * @param maxFrameSize the largest frame this network carries
     */
    public SimNetwork(long seed, int maxFrameSize) {
        if (maxFrameSize < 1) {
            throw new IllegalArgumentException("maxFrameSize must be positive, got " + maxFrameSize);
        }
        this.seed = seed;
        this.maxFrameSize = maxFrameSize;
    }

    /**
     * Sets what happens to frames sent to {@code toInbox} from now on; black holes are
     * measured from the current virtual time. Replacing a link resets its counters.
     *
     * @param toInbox the destination inbox (one direction of a link)
     * @param impairments what the link does
     */
    public synchronized void impair(String toInbox, Impairments impairments) {
        Objects.requireNonNull(impairments, "impairments");
        links.put(toInbox, new ImpairmentModel(impairments, linkSeed(toInbox), now));
        specs.put(toInbox, impairments);
        for (Binding b : handlers.getOrDefault(toInbox, List.of())) {
            b.link = new ImpairmentModel(impairments, b.seed, now);
        }
    }

    /** @param f drops chosen frames before impairments apply; replaces any earlier filter */
    public synchronized void setFrameFilter(FrameFilter f) {
        this.filter = Objects.requireNonNull(f, "filter");
    }

    /** @return the virtual clock, for code that reads time through {@link Clock} */
    public Clock clock() {
        return this::now;
    }

    /** @return the current virtual time in nanoseconds */
    public synchronized long now() {
        return now;
    }

    /**
     * Moves the virtual clock forward (never back).
     *
     * @param t the new time
     */
    public synchronized void advanceTo(long t) {
        if (t > now) {
            now = t;
        }
    }

    /** @return the arrival time of the next queued frame, or {@code Long.MAX_VALUE} */
    public synchronized long nextDeliveryTime() {
        InFlight head = queue.peek();
        return head == null ? Long.MAX_VALUE : head.at;
    }

    /**
     * Delivers every frame due at the current time, including frames that handlers send
     * with no delay while this runs.
     *
     * @return how many frames were handed to handlers
     */
    public int deliverDue() {
        int delivered = 0;
        while (true) {
            InFlight next;
            Network.FrameHandler handler;
            synchronized (this) {
                next = queue.peek();
                if (closed || next == null || next.at > now) {
                    return delivered;
                }
                queue.poll();
                List<Binding> bound = handlers.get(next.inbox);
                if (next.target == null) {
                    handler = bound == null || bound.isEmpty() ? null : bound.get(0).handler;
                } else {
                    handler = bound != null && bound.contains(next.target) ? next.target.handler : null;
                }
                if (handler == null) {
                    undeliverableCount++;
                    continue;
                }
                traceHash = mix(mix(mix(traceHash, next.at), next.inbox.hashCode()), java.util.Arrays.hashCode(next.frame));
            }
            handler.onFrame(next.frame);
            delivered++;
        }
    }

    /**
     * Binds an inbox; binding one already bound adds a subscriber that gets its own copy
     * of every frame (see the class comment).
     */
    @Override
    public synchronized InboxBinding bind(String inbox, FrameHandler handler) {
        Objects.requireNonNull(inbox, "inbox");
        Objects.requireNonNull(handler, "handler");
        int ordinal = bindingOrdinals.merge(inbox, 1, Integer::sum) - 1;
        Binding b = new Binding(inbox, handler, mix(linkSeed(inbox), ordinal));
        b.link = new ImpairmentModel(specs.getOrDefault(inbox, Impairments.NONE), b.seed, now);
        handlers.computeIfAbsent(inbox, k -> new ArrayList<>()).add(b);
        return b;
    }

    /**
     * @param inbox an inbox
     * @return how many bindings it has
     */
    public synchronized int bindingCount(String inbox) {
        return handlers.getOrDefault(inbox, List.of()).size();
    }

    @Override
    public synchronized void send(String inbox, byte[] frame) throws java.io.IOException {
        Objects.requireNonNull(inbox, "inbox");
        Objects.requireNonNull(frame, "frame");
        if (closed) {
            throw new java.io.IOException("simulated network is closed");
        }
        if (frame.length > maxFrameSize) {
            throw new java.io.IOException("frame of " + frame.length + " bytes exceeds " + maxFrameSize);
        }
        if (filter.drop(inbox, frame, now)) {
            filteredCount++;
            return;
        }
        ImpairmentModel link = links.computeIfAbsent(inbox,
                k -> new ImpairmentModel(Impairments.NONE, linkSeed(k), now));
        List<Binding> bound = handlers.get(inbox);
        if (bound == null || bound.size() <= 1) {
            // Delivered to whoever is bound when it arrives, as before fan-out existed.
            link.offer(frame, now, (copy, at) -> queue.add(new InFlight(at, sentCount++, inbox, copy, null)));
            return;
        }
        for (int i = 0; i < bound.size(); i++) {
            Binding b = bound.get(i);
            ImpairmentModel model = i == 0 ? link : b.link;
            model.offer(frame, now, (copy, at) -> queue.add(new InFlight(at, sentCount++, inbox, copy, b)));
        }
    }

    @Override
    public int maxFrameSize() {
        return maxFrameSize;
    }

    @Override
    public synchronized void close() {
        closed = true;
        queue.clear();
        handlers.clear();
    }

    /**
     * @param toInbox a destination inbox
     * @return what its link did so far (zeros if nothing was sent there)
     */
    public synchronized LinkStats linkStats(String toInbox) {
        ImpairmentModel m = links.get(toInbox);
        return m == null ? new ImpairmentModel(Impairments.NONE, 0, 0).stats() : m.stats();
    }

    /** @return frames dropped by the {@link FrameFilter} */
    public synchronized long filteredCount() {
        return filteredCount;
    }

    /** @return frames that arrived at an inbox nobody had bound */
    public synchronized long undeliverableCount() {
        return undeliverableCount;
    }

    /** @return a hash of every delivery so far: equal runs have equal hashes */
    public synchronized long traceHash() {
        return traceHash;
    }

    private long linkSeed(String inbox) {
        return mix(seed * SEED_MIX, inbox.hashCode());
    }

    private static long mix(long h, long v) {
        long x = (h ^ v) * HASH_PRIME;
        x ^= x >>> 29;
        return x * SEED_MIX;
    }

    /** One binding; {@code link} models its own copy of frames when the inbox has several. */
    private final class Binding implements InboxBinding {
        final String inbox;
        final FrameHandler handler;
        final long seed;
        ImpairmentModel link;

        Binding(String inbox, FrameHandler handler, long seed) {
            this.inbox = inbox;
            this.handler = handler;
            this.seed = seed;
        }

        @Override
        public String inbox() {
            return inbox;
        }

        @Override
        public void close() {
            synchronized (SimNetwork.this) {
                List<Binding> bound = handlers.get(inbox);
                if (bound != null) {
                    bound.remove(this);
                    if (bound.isEmpty()) {
                        handlers.remove(inbox);
                    }
                }
            }
        }
    }

    /** A frame on its way; {@code target} null means the inbox's first binding at arrival. */
    private record InFlight(long at, long order, String inbox, byte[] frame, Binding target)
            implements Comparable<InFlight> {
        @Override
        public int compareTo(InFlight o) {
            int c = Long.compare(at, o.at);
            return c != 0 ? c : Long.compare(order, o.order);
        }
    }
}
