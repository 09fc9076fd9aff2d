package io.swp.examples.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The {@code swp} command in its own JVM (the test's class path), so a test can kill it
 * with SIGKILL like a crash. Output goes to files next to each other in {@code dir}.
 */
final class CliProcess implements AutoCloseable {
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "swp-cli-reaper"));
    }

    private final String name;
    private final Process process;
    private final Path out;
    private final Path err;

    private CliProcess(String name, Process process, Path out, Path err) {
        this.name = name;
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /**
     * @param dir where the output files go
     * @param name names them (unique within {@code dir})
     * @param args the command line after {@code swp}
     * @return the running command
     */
    static CliProcess start(Path dir, String name, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-Dswp.noProgress=true");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(SwpCli.class.getName());
        cmd.addAll(List.of(args));
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        LIVE.add(p);
        return new CliProcess(name, p, out, err);
    }

    /** Kills it with SIGKILL, like a crash, and waits until it is gone. */
    void kill9() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LIVE.remove(process);
    }

    /**
     * @param timeout how long to wait
     * @return the exit code
     * @throws AssertionError if it did not exit in time (it is killed), with its output
     */
    int exitCode(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            kill9();
            throw new AssertionError(name + " did not exit within " + timeout + "\n" + output());
        }
        LIVE.remove(process);
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String out() {
        return read(out);
    }

    String err() {
        return read(err);
    }

    /** @return both outputs, labelled, for assertion messages */
    String output() {
        return "--- " + name + " stdout:\n" + out() + "--- " + name + " stderr:\n" + err();
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill9();
        }
    }
}
