package io.swp.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A multi-GiB file through a forked JVM with a 64 MiB heap holding both ends, proving
 * memory stays bounded whatever the file size. Slow (disk-bound), so it runs only in the
 * {@code large-files} profile: {@code ./mvnw -pl swp-sim -am verify -Plarge-files}
 * ({@code -Dswp.largeFileBytes=N} changes the size, default 4 GiB).
 */
@EnabledIfSystemProperty(named = "swp.largeFiles", matches = "true")
class LargeFileTransferTest {
    private static final long SIZE = Long.getLong("swp.largeFileBytes", 4L << 30);
    private static final String HEAP = System.getProperty("swp.largeFileHeap", "64m");

    @TempDir
    Path work;

    @Test
    void multiGigabyteFileWithSixtyFourMegabyteHeap() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-Xmx" + HEAP, "-cp", System.getProperty("java.class.path"),
                LargeFileMain.class.getName(), Long.toString(SIZE), work.toString());
        Process p = new ProcessBuilder(command).inheritIO().redirectErrorStream(true).start();
        if (!p.waitFor(30, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("forked transfer of " + SIZE + " bytes did not finish in 30 minutes");
        }
        assertEquals(0, p.exitValue(), "forked transfer failed: " + String.join(" ", command)
                .replace(System.getProperty("java.class.path"), "<test classpath>") + " (see output above)"
                + File.separator);
    }
}
