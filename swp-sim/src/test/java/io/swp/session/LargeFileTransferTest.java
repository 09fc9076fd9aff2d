package io.swp.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
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
    @Timeout(value = 35, unit = TimeUnit.MINUTES) // above the forked JVM's 30 minutes, which explains itself
    void multiGigabyteFileWithSixtyFourMegabyteHeap() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-Xmx" + HEAP, "-cp", System.getProperty("java.class.path"),
                LargeFileMain.class.getName(), Long.toString(SIZE), work.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder output = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                System.out.println("[forked -Xmx" + HEAP + "] " + line);
                output.append(line).append('\n');
            }
        }
        if (!p.waitFor(30, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("forked transfer of " + SIZE + " bytes did not finish in 30 minutes");
        }
        assertEquals(0, p.exitValue(), "forked transfer of " + SIZE + " bytes with -Xmx" + HEAP + " failed:\n" + output);
    }
}
