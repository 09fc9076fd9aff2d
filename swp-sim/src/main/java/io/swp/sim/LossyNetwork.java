package io.swp.sim;

import io.swp.Clock;
import io.swp.Network;
import java.io.IOException;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A decorator that applies {@link Impairments} in real time to any {@link Network}: to
 * frames this side sends (outbound) and, optionally, to frames its bindings receive
 * (inbound). Loss, duplication, reordering and corruption are decided when a frame
 * passes; delayed copies are handed on by a single scheduler thread, in order of their
 * arrival time. Decisions are seeded, so a single-threaded sender sees the same pattern
 * of losses on every run with the same seed (delays follow the real clock).
 *
 * <p>Frames that would arrive at once, with nothing delayed ahead of them, pass through
 * on the caller's thread. A delayed send that fails is logged and counted, since
 * {@link Network#send} is fire and forget anyway.
 *
 * <p>Black holes are measured from the moment the decorator is built.
 */
public final class LossyNetwork implements Network {
    private static final Logger LOG = LoggerFactory.getLogger(LossyNetwork.class);
    private static final long INBOUND_SEED_SALT = 0x9E3779B97F4A7C15L;

    private final Network delegate;
    private final boolean closeDelegate;
    private final ImpairmentModel outbound;
    private final ImpairmentModel inbound;
    private final boolean inboundImpaired;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final PriorityQueue<Scheduled> pending = new PriorityQueue<>();
    private final Thread scheduler;
    private long scheduledCount;
    private boolean dispatching;
    private boolean closed;
    private long delayedSendFailures;

    private LossyNetwork(Builder b) {
        this.delegate = b.delegate;
        this.closeDelegate = b.closeDelegate;
        long origin = Clock.SYSTEM.nanoTime();
        this.outbound = new ImpairmentModel(b.outbound, b.seed, origin);
        this.inbound = new ImpairmentModel(b.inbound, b.seed ^ INBOUND_SEED_SALT, origin);
        this.inboundImpaired = b.inbound != Impairments.NONE;
        this.scheduler = new Thread(this::runScheduler, "swp-lossy-network");
        this.scheduler.setDaemon(true);
        this.scheduler.start();
    }

    /**
     * @param delegate the network to impair
     * @return a builder; by default nothing is impaired, the seed is 1 and closing the
     *     decorator closes the delegate
     */
    public static Builder builder(Network delegate) {
        return new Builder(delegate);
    }

    /**
     * @param delegate the network to impair
     * @param outbound what happens to frames this side sends
     * @param seed the seed of every random decision
     * @return a decorator that closes {@code delegate} when it is closed
     */
    public static LossyNetwork wrap(Network delegate, Impairments outbound, long seed) {
        return builder(delegate).outbound(outbound).seed(seed).build();
    }

    @Override
    public InboxBinding bind(String inbox, FrameHandler handler) throws IOException {
        Objects.requireNonNull(handler, "handler");
        if (!inboundImpaired) {
            return delegate.bind(inbox, handler);
        }
        return delegate.bind(inbox, frame -> {
            Batch batch = new Batch();
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                inbound.offer(frame, Clock.SYSTEM.nanoTime(),
                        (copy, at) -> dispatch(at, () -> handler.onFrame(copy), batch));
            } finally {
                lock.unlock();
            }
            try {
                batch.run();
            } catch (IOException e) {
                throw new IllegalStateException("a frame handler cannot throw IOException", e);
            }
        });
    }

    @Override
    public void send(String inbox, byte[] frame) throws IOException {
        Objects.requireNonNull(inbox, "inbox");
        Objects.requireNonNull(frame, "frame");
        Batch batch = new Batch();
        lock.lock();
        try {
            if (closed) {
                throw new IOException("lossy network is closed");
            }
            outbound.offer(frame, Clock.SYSTEM.nanoTime(),
                    (copy, at) -> dispatch(at, () -> delegate.send(inbox, copy), batch));
        } finally {
            lock.unlock();
        }
        batch.run();
    }

    @Override
    public int maxFrameSize() {
        return delegate.maxFrameSize();
    }

    /** @return what the outbound impairments did so far */
    public LinkStats outboundStats() {
        lock.lock();
        try {
            return outbound.stats();
        } finally {
            lock.unlock();
        }
    }

    /** @return what the inbound impairments did so far */
    public LinkStats inboundStats() {
        lock.lock();
        try {
            return inbound.stats();
        } finally {
            lock.unlock();
        }
    }

    /** @return delayed frames the delegate refused to send, or whose handler threw */
    public long delayedSendFailures() {
        lock.lock();
        try {
            return delayedSendFailures;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops the scheduler, discarding frames still delayed, and closes the delegate if
     * the builder said so.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            pending.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (closeDelegate) {
            delegate.close();
        }
    }

    /**
     * Queues a copy for the scheduler, or, when it may go out now and nothing is delayed
     * ahead of it, puts it in the caller's batch, run after the lock is released (so a
     * handler that sends from inside {@code onFrame} cannot deadlock).
     */
    private void dispatch(long at, Delivery action, Batch batch) {
        if (!dispatching && pending.isEmpty() && at <= Clock.SYSTEM.nanoTime()) {
            batch.add(action);
            return;
        }
        pending.add(new Scheduled(at, scheduledCount++, action));
        changed.signalAll();
    }

    /** The copies of one frame that go out on the caller's thread, at most two. */
    private static final class Batch {
        private Delivery first;
        private Delivery second;

        void add(Delivery r) {
            if (first == null) {
                first = r;
            } else {
                second = r;
            }
        }

        void run() throws IOException {
            if (first != null) {
                first.run();
            }
            if (second != null) {
                second.run();
            }
        }
    }

    /** One delayed hand-over: a send to the delegate or a call of a frame handler. */
    @FunctionalInterface
    private interface Delivery {
        void run() throws IOException;
    }

    private void runScheduler() {
        lock.lock();
        try {
            while (!closed) {
                Scheduled next = pending.peek();
                if (next == null) {
                    changed.awaitUninterruptibly();
                    continue;
                }
                long wait = next.at - Clock.SYSTEM.nanoTime();
                if (wait > 0) {
                    changed.awaitNanos(wait);
                    continue;
                }
                pending.poll();
                dispatching = true;
                lock.unlock();
                boolean failed = false;
                try {
                    next.action.run();
                } catch (IOException | RuntimeException e) {
                    failed = true;
                    LOG.debug("delayed delivery failed: {}", e.toString());
                } finally {
                    lock.lock();
                    dispatching = false;
                }
                if (failed) {
                    delayedSendFailures++;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    private record Scheduled(long at, long order, Delivery action) implements Comparable<Scheduled> {
        @Override
        public int compareTo(Scheduled o) {
            int c = Long.compare(at, o.at);
            return c != 0 ? c : Long.compare(order, o.order);
        }
    }

    /** Configures a {@link LossyNetwork}. */
    public static final class Builder {
        private final Network delegate;
        private Impairments outbound = Impairments.NONE;
        private Impairments inbound = Impairments.NONE;
        private long seed = 1;
        private boolean closeDelegate = true;

        private Builder(Network delegate) {
            this.delegate = Objects.requireNonNull(delegate, "delegate");
        }

        /** What happens to frames this side sends. Default {@link Impairments#NONE}. @param i impairments @return this */
        public Builder outbound(Impairments i) { this.outbound = Objects.requireNonNull(i); return this; }

        /** What happens to frames this side's bindings receive. Default {@link Impairments#NONE}. @param i impairments @return this */
        public Builder inbound(Impairments i) { this.inbound = Objects.requireNonNull(i); return this; }

        /** The seed of every random decision. Default 1. @param s the seed @return this */
        public Builder seed(long s) { this.seed = s; return this; }

        /**
         * Whether {@link LossyNetwork#close()} also closes the delegate. Default true; set
         * false when several decorators share one delegate.
         * @param c whether to close it @return this
         */
        public Builder closeDelegate(boolean c) { this.closeDelegate = c; return this; }

        /** @return the decorator, its scheduler thread started */
        public LossyNetwork build() {
            return new LossyNetwork(this);
        }
    }
}
