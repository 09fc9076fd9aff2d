package io.swp.sim;

import io.swp.SessionConfig;
import io.swp.protocol.Engine;
import java.util.Locale;

/** Shared helpers of the simulation tests: the rerun command and failure messages. */
final class SimRuns {
    private SimRuns() {
    }

    /**
     * @param testClass the test to rerun
     * @param seed the seed
     * @param loss the loss rate
     * @param bytes the transfer size
     * @return the one-line command that reruns a single seed of a sweep
     */
    static String rerunCommand(String testClass, long seed, double loss, long bytes) {
        return String.format(Locale.ROOT, "./mvnw -q -o -pl swp-sim -am test -Dtest=%s "
                + "-Dsurefire.failIfNoSpecifiedTests=false -Dswp.seed=%d -Dswp.loss=%s -Dswp.bytes=%d",
                testClass, seed, loss, bytes);
    }

    /**
     * Whether io.swp.protocol.Engine has bodies yet. While its API lands ahead of its
     * implementation, simulation tests are skipped rather than failed.
     */
    static boolean engineImplemented() {
        try {
            Engine.connect(SessionConfig.defaults(), "probe.local", "probe.remote", 1, 0);
            return true;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    /** @return a failure message: what happened, and how to run it again */
    static String explain(TransferResult r, String rerun) {
        return "\n" + r.summary() + "\n  client stats " + r.client().stats() + "\n  server stats "
                + r.server().stats() + "\n  rerun: " + rerun + "\n";
    }
}
