package io.swp;

import io.swp.fanout.FanoutTransmit;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thin runtime shared by {@link Publisher} and {@link Subscription}: one loop thread
 * drives one pure state machine. Network handlers only queue frames (bounded in bytes;
 * beyond it they are dropped and counted, as a transport would); the loop feeds them and
 * due timers to the state machine under the object's lock, then sends what it produced
 * outside the lock. Application threads call the state machine under the same lock and
 * wake the loop; they wait on {@link #changed}, which the loop signals after each step.
 */
abstract class FanoutLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FanoutLoop.class);
    /** Most bytes of arrived frames waiting for the loop. */
    static final long MAX_INBOUND_BYTES = 64L * 1024 * 1024;
    /** Most frames sent per step before the loop looks at arrivals again. */
    private static final int SEND_BATCH = 256;
    /** Longest the loop sleeps without a deadline, to notice a close it was not woken for. */
    private static final long MAX_SLEEP_NANOS = TimeUnit.SECONDS.toNanos(1);

    final ReentrantLock lock = new ReentrantLock();
    /** Signalled after every loop step and on failure or close. */
    final Condition changed = lock.newCondition();
    private final Condition wake = lock.newCondition();
    private final ConcurrentLinkedQueue<byte[]> inbound = new ConcurrentLinkedQueue<>();
    private final AtomicLong inboundBytes = new AtomicLong();
    private final AtomicLong inboundDropped = new AtomicLong();
    private final AtomicLong sendFailures = new AtomicLong();
    final Network network;
    final Clock clock;
    private final Thread thread;
    private boolean wakeRequested;
    volatile boolean closed;
    /** What stopped the loop, or null. */
    volatile Throwable failure;

    FanoutLoop(Network network, Clock clock, String threadName) {
        this.network = network;
        this.clock = clock;
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Network handler: queues the frame for the loop. */
    final void onFrame(byte[] frame) {
        if (inboundBytes.addAndGet(frame.length) > MAX_INBOUND_BYTES) {
            inboundBytes.addAndGet(-frame.length);
            inboundDropped.incrementAndGet();
            return;
        }
        inbound.add(frame);
        wakeLoop();
    }

    /** Asks the loop for a step soon; call after changing the state machine. */
    final void wakeLoop() {
        lock.lock();
        try {
            wakeRequested = true;
            wake.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Stops this object; never throws. */
    @Override
    public abstract void close();

    /** @return frames dropped because the loop fell behind */
    long inboundDropped() {
        return inboundDropped.get();
    }

    /** @return frames the network refused to send */
    long sendFailures() {
        return sendFailures.get();
    }

    // The state machine, called under the lock by the loop.
    abstract void handleFrame(byte[] frame, long now);

    abstract long pollTimeout();

    abstract void handleTimeout(long now);

    abstract FanoutTransmit pollTransmit(long now);

    /** After each step, under the lock: take events. */
    abstract void afterStep(long now);

    /**
     * Waits on {@link #changed} until {@code deadline} (a {@link Clock} time).
     *
     * @throws IOException if the loop failed or this object was closed
     */
    final void await(long deadline, String what) throws IOException {
        checkOpen();
        long left = deadline - clock.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("timed out waiting for " + what);
        }
        try {
            changed.awaitNanos(left);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for " + what);
        }
        checkOpen();
    }

    final void checkOpen() throws IOException {
        Throwable f = failure;
        if (f != null) {
            throw new IOException("the loop failed: " + f, f);
        }
        if (closed) {
            throw new IOException("closed");
        }
    }

    static long deadline(Clock clock, java.time.Duration timeout) {
        long nanos = timeout.toNanos();
        long now = clock.nanoTime();
        return nanos >= Long.MAX_VALUE - now ? Long.MAX_VALUE : now + nanos;
    }

    private void run() {
        List<FanoutTransmit> out = new ArrayList<>();
        try {
            while (!closed) {
                boolean more;
                lock.lock();
                try {
                    long now = clock.nanoTime();
                    byte[] f;
                    while ((f = inbound.poll()) != null) {
                        inboundBytes.addAndGet(-f.length);
                        handleFrame(f, now);
                    }
                    if (pollTimeout() <= now) {
                        handleTimeout(now);
                    }
                    FanoutTransmit t;
                    while (out.size() < SEND_BATCH && (t = pollTransmit(now)) != null) {
                        out.add(t);
                    }
                    afterStep(now);
                    changed.signalAll();
                    more = out.size() == SEND_BATCH;
                    if (out.isEmpty() && inbound.isEmpty() && !wakeRequested && !closed) {
                        long wait = Math.min(pollTimeout() - clock.nanoTime(), MAX_SLEEP_NANOS);
                        if (wait > 0) {
                            wake.awaitNanos(wait);
                        }
                    }
                    wakeRequested = false;
                } finally {
                    lock.unlock();
                }
                for (FanoutTransmit t : out) {
                    try {
                        network.send(t.to(), t.frame());
                    } catch (IOException e) {
                        // Fire and forget, like a lost frame: the protocol repairs or times out.
                        if (sendFailures.incrementAndGet() == 1) {
                            LOG.warn("send to {} failed: {}", t.to(), e.toString());
                        }
                    }
                }
                out.clear();
                if (more) {
                    Thread.yield();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            LOG.error("fan-out loop failed", e);
            failure = e;
        } finally {
            lock.lock();
            try {
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Stops the loop thread and waits for it briefly. */
    void stopLoop() {
        closed = true;
        wakeLoop();
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (Thread.currentThread() != thread) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
