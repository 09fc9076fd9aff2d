package io.swp.examples.cli;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ResumeOverNatsTest} with a 512 MiB file (or {@code -Dswp.resumeBytes}), run with
 * the benchmarks ({@code -Pbench}) since it takes minutes on 2 cores:
 * <pre>
 * ./mvnw -B -Pbench -pl swp-examples -am test -Dtest=ResumeOverNatsLargeTest -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
@Tag("benchmark")
@Timeout(value = 60, unit = TimeUnit.MINUTES) // the run length follows the size property
class ResumeOverNatsLargeTest extends ResumeOverNatsTest {
    @Override
    long fileBytes() {
        return Long.getLong("swp.resumeBytes", 512L << 20);
    }
}
