package io.swp.sim;

import java.util.Locale;
import java.util.stream.LongStream;

/** Shared helpers of the simulation tests: the rerun command and failure messages. */
final class SimRuns {
    private SimRuns() {
    }

    /**
     * @param testClass the test to rerun
     * @param seed the seed
     * @param loss the loss rate
     * @param burst the mean loss burst length (1: independent loss)
     * @param bytes the transfer size
     * @return the one-line command that reruns a single seed of a sweep
     */
    static String rerunCommand(String testClass, long seed, double loss, double burst, long bytes) {
        return String.format(Locale.ROOT, "./mvnw -q -o -pl swp-sim -am test -Dtest=%s "
                + "-Dsurefire.failIfNoSpecifiedTests=false -Dswp.seed=%d -Dswp.loss=%s -Dswp.burst=%s -Dswp.bytes=%d",
                testClass, seed, loss, burst, bytes);
    }

    /**
     * The seeds of a scenario that runs one test case per seed.
     *
     * @return {@code first..last}, or only the seed given as {@code -Dswp.seed}
     */
    static LongStream seeds(long first, long last) {
        String single = System.getProperty("swp.seed");
        return single != null && !single.isBlank() ? LongStream.of(Long.parseLong(single.trim()))
                : LongStream.rangeClosed(first, last);
    }

    /** @return the one-line command that reruns {@code testClass#method} for {@code seed} alone */
    static String rerunCommand(String testClass, String method, long seed) {
        return String.format(Locale.ROOT, "./mvnw -q -o -pl swp-sim -am test -Dtest=%s#%s "
                + "-Dsurefire.failIfNoSpecifiedTests=false -Dswp.seed=%d", testClass, method, seed);
    }

    /** @return a failure message: what happened, and how to run it again */
    static String explain(TransferResult r, String rerun) {
        return "\n" + r.summary() + "\n  client stats " + r.client().stats() + "\n  server stats "
                + r.server().stats() + "\n  rerun: " + rerun + "\n";
    }
}
