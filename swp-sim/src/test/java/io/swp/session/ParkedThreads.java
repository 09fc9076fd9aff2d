package io.swp.session;

import static org.awaitility.Awaitility.await;

import io.swp.Session;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.locks.AbstractQueuedSynchronizer;
import java.util.concurrent.locks.LockSupport;

/**
 * Proof that a thread is blocked in a {@link Session} call waiting for the session to
 * change, not merely {@link Thread.State#WAITING}: a thread queued for a contended lock
 * is WAITING too. A thread in {@code Condition.await} has an
 * {@link AbstractQueuedSynchronizer.ConditionObject} as its {@link LockSupport#getBlocker
 * blocker} (one waiting for the lock itself has the lock's synchronizer), and its stack
 * runs from the expected Session method down to that {@code await}.
 */
final class ParkedThreads {
    private static final String SESSION = Session.class.getName();
    private static final String CONDITION_OBJECT = AbstractQueuedSynchronizer.ConditionObject.class.getName();
    private static final int FRAMES_SHOWN = 16;

    private ParkedThreads() {
    }

    /**
     * Waits until {@code thread} is parked on a condition inside {@code Session.method}
     * (or the method of that name of one of Session's nested classes, e.g. its streams).
     */
    static void awaitParkedIn(Thread thread, String method, Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(5)).untilAsserted(() -> assertParkedIn(thread, method));
    }

    /** Fails, describing where the thread is, unless it is parked on a condition inside {@code Session.method}. */
    static void assertParkedIn(Thread thread, String method) {
        if (!isParkedIn(thread, method)) {
            throw new AssertionError("expected " + thread.getName() + " parked on a Condition in " + SESSION + "."
                    + method + ", but it is " + describe(thread));
        }
    }

    /**
     * The stack is sampled before and after the blocker and must not change in between, so
     * all three observations describe one and the same wait.
     */
    static boolean isParkedIn(Thread thread, String method) {
        StackTraceElement[] before = thread.getStackTrace();
        boolean waiting = thread.getState() == Thread.State.WAITING;
        Object blocker = LockSupport.getBlocker(thread);
        StackTraceElement[] after = thread.getStackTrace();
        return waiting
                && blocker instanceof AbstractQueuedSynchronizer.ConditionObject
                && Arrays.equals(before, after)
                && awaitsConditionBelow(after, method);
    }

    /** @return whether the stack shows ConditionObject.await* called from inside Session.method */
    private static boolean awaitsConditionBelow(StackTraceElement[] stack, String method) {
        int await = -1;
        for (int i = 0; i < stack.length; i++) {
            StackTraceElement f = stack[i];
            if (await < 0 && f.getClassName().equals(CONDITION_OBJECT) && f.getMethodName().startsWith("await")) {
                await = i;
            }
            if (await >= 0 && isSession(f.getClassName()) && f.getMethodName().equals(method)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isSession(String className) {
        return className.equals(SESSION) || className.startsWith(SESSION + "$");
    }

    /** @return the thread's state, blocker and top stack frames, for failure messages */
    static String describe(Thread thread) {
        Object blocker = LockSupport.getBlocker(thread);
        StackTraceElement[] stack = thread.getStackTrace();
        StringBuilder b = new StringBuilder().append(thread.getState()).append(", blocker ")
                .append(blocker == null ? "none" : blocker.getClass().getName() + "@"
                        + Integer.toHexString(System.identityHashCode(blocker)));
        for (int i = 0; i < Math.min(FRAMES_SHOWN, stack.length); i++) {
            b.append("\n\tat ").append(stack[i]);
        }
        if (stack.length > FRAMES_SHOWN) {
            b.append("\n\t… ").append(stack.length - FRAMES_SHOWN).append(" more");
        }
        return b.toString();
    }
}
