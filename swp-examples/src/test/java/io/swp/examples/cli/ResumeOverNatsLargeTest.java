package io.swp.examples.cli;

import org.junit.jupiter.api.Tag;

/**
 * {@link ResumeOverNatsTest} with a 512 MiB file (or {@code -Dswp.resumeBytes}), run with
 * the benchmarks ({@code -Pbench}) since it takes minutes on 2 cores:
 * <pre>
 * ./mvnw -B -Pbench -pl swp-examples -am test -Dtest=ResumeOverNatsLargeTest -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
@Tag("benchmark")
class ResumeOverNatsLargeTest extends ResumeOverNatsTest {
    @Override
    long fileBytes() {
        return Long.getLong("swp.resumeBytes", 512L << 20);
    }
}
