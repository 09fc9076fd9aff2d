package io.swp.sim;

import io.swp.Network;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Network} inside one JVM, no server: the embedded default for the demo and for
 * tests with real {@code Session}s. Perfect (no loss, no reordering); wrap it in a
 * {@link LossyNetwork} for impairments.
 *
 * <p>Like NATS subjects: every binding of an inbox gets its own copy of each frame sent to
 * it; frames sent to an inbox nobody bound are dropped and counted. Each binding has a
 * bounded queue (frames and bytes, like a NATS subscription's pending limits) and one
 * delivery thread that calls the handler. {@link #send} never blocks: when a queue is
 * full the frame is dropped for that binding and counted
 * ({@link Network.InboxBinding#droppedFrames()}), and the free room is reported honestly
 * through {@link Network.InboxBinding#freeFrames()} / {@link Network.InboxBinding#freeBytes()}.
 */
public final class InMemoryNetwork implements Network {
    private static final Logger LOG = LoggerFactory.getLogger(InMemoryNetwork.class);

    private final int maxFrameSize;
    private final long queueLimitFrames;
    private final long queueLimitBytes;
    private final Map<String, List<Mailbox>> bindings = new ConcurrentHashMap<>();
    private final LongAdder undeliverable = new LongAdder();
    private volatile boolean closed;

    private InMemoryNetwork(Builder b) {
        this.maxFrameSize = b.maxFrameSize;
        this.queueLimitFrames = b.queueLimitFrames;
        this.queueLimitBytes = b.queueLimitBytes;
    }

    /** @return a network with the defaults of {@link Builder} */
    public static InMemoryNetwork create() {
        return builder().build();
    }

    /** @return a builder holding the defaults */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public InboxBinding bind(String inbox, FrameHandler handler) throws IOException {
        Objects.requireNonNull(inbox, "inbox");
        Objects.requireNonNull(handler, "handler");
        if (closed) {
            throw new IOException("in-memory network is closed");
        }
        Mailbox box = new Mailbox(inbox, handler);
        bindings.computeIfAbsent(inbox, k -> new CopyOnWriteArrayList<>()).add(box);
        box.thread.start();
        return box;
    }

    @Override
    public void send(String inbox, byte[] frame) throws IOException {
        Objects.requireNonNull(inbox, "inbox");
        Objects.requireNonNull(frame, "frame");
        if (closed) {
            throw new IOException("in-memory network is closed");
        }
        if (frame.length > maxFrameSize) {
            throw new IOException("frame of " + frame.length + " bytes exceeds maxFrameSize " + maxFrameSize);
        }
        List<Mailbox> boxes = bindings.get(inbox);
        if (boxes == null || boxes.isEmpty()) {
            undeliverable.increment();
            return;
        }
        for (Mailbox box : boxes) {
            // The handler owns what it receives, and the sender keeps its array.
            box.offer(frame.clone());
        }
    }

    @Override
    public int maxFrameSize() {
        return maxFrameSize;
    }

    /** @return frames sent to inboxes that nobody had bound */
    public long undeliverableFrames() {
        return undeliverable.sum();
    }

    /** Stops every delivery thread; queued frames are discarded. */
    @Override
    public void close() {
        closed = true;
        for (List<Mailbox> boxes : bindings.values()) {
            for (Mailbox box : boxes) {
                box.close();
            }
        }
        bindings.clear();
    }

    /** One binding: a bounded queue and the thread that delivers it. */
    private final class Mailbox implements InboxBinding {
        private final String inbox;
        private final FrameHandler handler;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition nonEmpty = lock.newCondition();
        private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
        private final AtomicLong queuedFrames = new AtomicLong();
        private final AtomicLong queuedBytes = new AtomicLong();
        private final LongAdder dropped = new LongAdder();
        private final Thread thread;
        private volatile boolean open = true;

        Mailbox(String inbox, FrameHandler handler) {
            this.inbox = inbox;
            this.handler = handler;
            this.thread = new Thread(this::deliver, "swp-inmem-" + inbox);
            this.thread.setDaemon(true);
        }

        void offer(byte[] frame) {
            // Counted before queuing, so the limits hold however many senders race.
            long frames = queuedFrames.incrementAndGet();
            long bytes = queuedBytes.addAndGet(frame.length);
            if (frames > queueLimitFrames || bytes > queueLimitBytes) {
                queuedFrames.decrementAndGet();
                queuedBytes.addAndGet(-frame.length);
                dropped.increment();
                return;
            }
            lock.lock();
            try {
                if (!open) {
                    queuedFrames.decrementAndGet();
                    queuedBytes.addAndGet(-frame.length);
                    return;
                }
                boolean wasEmpty = queue.isEmpty();
                queue.add(frame);
                if (wasEmpty) {
                    nonEmpty.signal();
                }
            } finally {
                lock.unlock();
            }
        }

        private void deliver() {
            ArrayDeque<byte[]> batch = new ArrayDeque<>();
            while (true) {
                lock.lock();
                try {
                    while (open && queue.isEmpty()) {
                        nonEmpty.awaitUninterruptibly();
                    }
                    if (!open) {
                        return;
                    }
                    batch.addAll(queue);
                    queue.clear();
                } finally {
                    lock.unlock();
                }
                byte[] frame;
                while ((frame = batch.poll()) != null) {
                    try {
                        handler.onFrame(frame);
                    } catch (RuntimeException e) {
                        LOG.warn("frame handler of {} threw", inbox, e);
                    }
                    queuedFrames.decrementAndGet();
                    queuedBytes.addAndGet(-frame.length);
                    if (!open) {
                        return;
                    }
                }
            }
        }

        @Override
        public String inbox() {
            return inbox;
        }

        @Override
        public long freeFrames() {
            return Math.max(0, queueLimitFrames - queuedFrames.get());
        }

        @Override
        public long freeBytes() {
            return Math.max(0, queueLimitBytes - queuedBytes.get());
        }

        @Override
        public long droppedFrames() {
            return dropped.sum();
        }

        @Override
        public void close() {
            lock.lock();
            try {
                open = false;
                queue.clear();
                nonEmpty.signalAll();
            } finally {
                lock.unlock();
            }
            List<Mailbox> boxes = bindings.get(inbox);
            if (boxes != null) {
                boxes.remove(this);
            }
        }
    }

    /** Configures an {@link InMemoryNetwork}; every setting documents its default. */
    public static final class Builder {
        private int maxFrameSize = 1024 * 1024;
        private long queueLimitFrames = 512 * 1024;
        private long queueLimitBytes = 64L * 1024 * 1024;

        private Builder() {
        }

        /**
         * Largest frame carried; larger sends fail. Default 1 MiB (NATS's default max payload).
         * @param v positive @return this
         */
        public Builder maxFrameSize(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("maxFrameSize must be positive, got " + v);
            }
            this.maxFrameSize = v;
            return this;
        }

        /**
         * Frames one binding may hold undelivered before it drops. Default 524288 (NATS's
         * default pending message limit).
         * @param v positive @return this
         */
        public Builder queueLimitFrames(long v) {
            if (v < 1) {
                throw new IllegalArgumentException("queueLimitFrames must be positive, got " + v);
            }
            this.queueLimitFrames = v;
            return this;
        }

        /**
         * Bytes one binding may hold undelivered before it drops. Default 64 MiB (NATS's
         * default pending byte limit).
         * @param v positive @return this
         */
        public Builder queueLimitBytes(long v) {
            if (v < 1) {
                throw new IllegalArgumentException("queueLimitBytes must be positive, got " + v);
            }
            this.queueLimitBytes = v;
            return this;
        }

        /** @return the network */
        public InMemoryNetwork build() {
            return new InMemoryNetwork(this);
        }
    }
}
