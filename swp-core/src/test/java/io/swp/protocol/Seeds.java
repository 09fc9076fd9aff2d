package io.swp.protocol;

import java.util.Locale;
import java.util.stream.LongStream;

/**
 * The seeds of the seeded engine tests, each run as its own test case, and the command
 * that reruns one of them alone ({@code -Dswp.seed=N} narrows a range to that seed).
 */
final class Seeds {
    private Seeds() {
    }

    /** @return {@code first..last}, or only the seed given as {@code -Dswp.seed} */
    static LongStream range(long first, long last) {
        String single = System.getProperty("swp.seed");
        return single != null && !single.isBlank() ? LongStream.of(Long.parseLong(single.trim()))
                : LongStream.rangeClosed(first, last);
    }

    /** @return the one-line command that reruns {@code testClass#method} for {@code seed} alone */
    static String rerun(String testClass, String method, long seed) {
        return String.format(Locale.ROOT, "./mvnw -q -o -pl swp-core test -Dtest=%s#%s -Dswp.seed=%d"
                + " -Dsurefire.failIfNoSpecifiedTests=false", testClass, method, seed);
    }
}
