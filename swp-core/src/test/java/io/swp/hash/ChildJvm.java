package io.swp.hash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a probe's {@code main} in a child JVM on this test's class path: what libsodium does
 * at load (fall back, choose its code) happens once per JVM, so each setting needs its own.
 */
final class ChildJvm {
    /** What the child printed; it exited with 0. */
    record Output(List<String> lines, String stderr) {
    }

    private ChildJvm() {
    }

    /**
     * @param dir where to keep the child's output
     * @param main the probe
     * @param jvmOptions options before the class name, e.g. system properties
     * @param args the probe's arguments
     * @return its output, once it has exited with status 0 (asserted, within a minute)
     */
    static Output run(Path dir, Class<?> main, List<String> jvmOptions, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("-Dorg.slf4j.simpleLogger.logFile=System.err");
        command.addAll(jvmOptions);
        command.add(main.getName());
        command.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "out-", ".txt");
        Path err = Files.createTempFile(dir, "err-", ".txt");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child JVM did not finish: " + command);
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), stderr);
        return new Output(Files.readString(out, StandardCharsets.UTF_8).lines().toList(), stderr);
    }
}
