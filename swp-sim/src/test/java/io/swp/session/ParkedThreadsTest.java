package io.swp.session;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import io.swp.sim.InMemoryNetwork;
import java.time.Duration;
import java.util.concurrent.locks.AbstractQueuedSynchronizer;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

/** The proof {@link ParkedThreads} gives is sharper than {@link Thread.State#WAITING}. */
class ParkedThreadsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @Test
    void aReaderBlockedInASessionIsParkedInReadAndNowhereElse() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            Thread reader = daemon(() -> {
                try {
                    p.client().getInputStream().read(new byte[16]);
                } catch (Exception e) {
                    // released by the close below
                }
            });
            ParkedThreads.awaitParkedIn(reader, "read", TIMEOUT);
            assertFalse(ParkedThreads.isParkedIn(reader, "write"), ParkedThreads.describe(reader));
            assertFalse(ParkedThreads.isParkedIn(reader, "receiveMessage"), ParkedThreads.describe(reader));
            p.client().abort();
            reader.join(TIMEOUT.toMillis());
            assertFalse(reader.isAlive(), "the reader was released");
        }
    }

    @Test
    void aThreadQueuedForALockIsWaitingButItsBlockerIsTheLockNotACondition() throws Exception {
        ReentrantLock lock = new ReentrantLock();
        lock.lock();
        try {
            Thread contender = daemon(() -> {
                lock.lock();
                lock.unlock();
            });
            await().atMost(TIMEOUT).until(lock::hasQueuedThreads);
            await().atMost(TIMEOUT).until(() -> contender.getState() == Thread.State.WAITING);
            Object blocker = LockSupport.getBlocker(contender);
            assertTrue(blocker instanceof AbstractQueuedSynchronizer, "blocked by the lock's synchronizer: " + blocker);
            assertFalse(blocker instanceof AbstractQueuedSynchronizer.ConditionObject, String.valueOf(blocker));
        } finally {
            lock.unlock();
        }
    }

    private static Thread daemon(Runnable r) {
        Thread t = new Thread(r, "parked-threads-test");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
