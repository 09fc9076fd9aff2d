package io.swp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI contract that needs no server: exit codes, one-line errors, the demo. */
class SwpCliTest {

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SwpCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void noCommandIsAUsageError() {
        Run r = run();
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("swp: "), r.err());
    }

    @Test
    void unknownOptionIsAUsageErrorWithOneLineAndAHint() {
        Run r = run("send", "--bogus");
        assertEquals(2, r.code());
        String[] lines = r.err().strip().split("\n");
        assertEquals(2, lines.length, r.err());
        assertTrue(lines[0].startsWith("swp: "), lines[0]);
        assertTrue(lines[1].contains("swp send --help"), lines[1]);
    }

    @Test
    void badSizeAndLossAreUsageErrors() {
        assertEquals(2, run("demo", "--size", "lots").code());
        Run r = run("demo", "--loss", "1.5");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--loss"), r.err());
    }

    @Test
    void benchRunsMustBeAPositiveWholeNumber() {
        for (String bad : new String[] {"0", "-1", "-2147483648", "x", "1.5", "", "99999999999"}) {
            Run r = run("bench", "--server", "nats://127.0.0.1:1", "--runs", bad);
            assertEquals(2, r.code(), "--runs " + bad + ": " + r.err());
            String[] lines = r.err().strip().split("\n");
            assertEquals(2, lines.length, r.err());
            assertTrue(lines[0].startsWith("swp: ") && lines[0].contains("--runs"), lines[0]);
            assertTrue(lines[1].contains("swp bench --help"), lines[1]);
            assertEquals("", r.out(), "nothing measured for --runs " + bad);
        }
    }

    @Test
    void benchHelpDescribesRuns() {
        Run r = run("bench", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("--runs=N"), r.out());
        assertTrue(r.out().contains("median"), r.out());
    }

    @Test
    void missingFileAndDirectoryAreUsageErrors(@TempDir Path dir) {
        Run send = run("send", "--server", "nats://127.0.0.1:1", "--from", "a", "--to", "b",
                dir.resolve("missing.bin").toString());
        assertEquals(2, send.code(), send.err());
        assertTrue(send.err().contains("missing.bin"), send.err());
        Run recv = run("recv", "--server", "nats://127.0.0.1:1", "--as", "b", "--out",
                dir.resolve("nope").toString());
        assertEquals(2, recv.code(), recv.err());
    }

    @Test
    void wildcardInboxIsRejected(@TempDir Path dir) {
        Run r = run("recv", "--server", "nats://127.0.0.1:1", "--as", "bob.>", "--out", dir.toString());
        assertEquals(2, r.code(), r.err());
    }

    /** Checked before anything is measured, so the bench does not fail after minutes of rows. */
    @Test
    void benchWithAnUnreachableMonitorFailsAtOnceWithOneLine() {
        Run r = run("bench", "--server", "nats://127.0.0.1:1", "--monitor", "http://127.0.0.1:1");
        assertEquals(1, r.code(), r.err());
        assertEquals("", r.out(), "nothing measured");
        assertEquals(List.of("swp: cannot read http://127.0.0.1:1/varz (--monitor needs nats-server started with "
                + "-m PORT): cannot connect"), r.err().strip().lines().toList());
    }

    @Test
    void unreachableServerFailsWithExitOneAndOneLine(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("f.txt"), "hello");
        Run r = run("send", "--server", "nats://127.0.0.1:1", "--from", "a", "--to", "b", file.toString());
        assertEquals(1, r.code(), r.err());
        assertEquals("", r.out(), "no retries by default");
        assertEquals(1, r.err().strip().split("\n").length, r.err());
        assertTrue(r.err().startsWith("swp: "), r.err());
    }

    @Test
    void unreachableServerIsRetriedForRetryForThenFailsWithOneLine(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("f.txt"), "hello");
        long start = System.nanoTime();
        Run r = run("send", "--server", "nats://127.0.0.1:1", "--from", "a", "--to", "b", "--retry-for", "1500ms",
                file.toString());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(1, r.code(), r.err());
        assertEquals(1, r.err().strip().split("\n").length, r.err());
        assertTrue(r.err().startsWith("swp: gave up after retrying for 1.5s without progress: "), r.err());
        assertTrue(r.out().contains("; retrying in "), "each retry is announced: " + r.out());
        assertTrue(millis >= 1500, "kept trying for the whole time: " + millis + " ms");
    }

    @Test
    void recvOptionsAreChecked(@TempDir Path dir) {
        for (String[] bad : new String[][] {{"--parallel", "0"}, {"--parallel", "65"}, {"--idle-timeout", "soon"},
            {"--max-file-size", "0"}, {"--checkpoint", "lots"}, {"--peer-timeout", "10ms"}}) {
            Run r = run("recv", "--server", "nats://127.0.0.1:1", "--as", "b", "--out", dir.toString(), bad[0], bad[1]);
            assertEquals(2, r.code(), String.join(" ", bad) + ": " + r.err());
            assertTrue(r.err().startsWith("swp: ") && r.err().contains(bad[0]), r.err());
        }
        Run r = run("send", "--server", "nats://127.0.0.1:1", "--from", "a", "--to", "b", "--retry-for", "-5s",
                dir.toString());
        assertEquals(2, r.code(), r.err());
    }

    @Test
    void durationsParseWithUnits() {
        assertEquals(java.time.Duration.ZERO, Durations.parse("0"));
        assertEquals(java.time.Duration.ofSeconds(90), Durations.parse("90s"));
        assertEquals(java.time.Duration.ofSeconds(90), Durations.parse("90"));
        assertEquals(java.time.Duration.ofSeconds(90), Durations.parse("1m30s"));
        assertEquals(java.time.Duration.ofSeconds(90), Durations.parse("1.5m"));
        assertEquals(java.time.Duration.ofMinutes(5), Durations.parse("5m"));
        assertEquals(java.time.Duration.ofMillis(250), Durations.parse("250ms"));
        assertEquals(java.time.Duration.ofHours(2), Durations.parse("2h"));
        assertEquals(java.time.Duration.ofSeconds(90), Durations.parse("PT90S"));
        for (String bad : new String[] {"", "s", "5x", "-5s", "5 s", "1m-2s"}) {
            org.junit.jupiter.api.Assertions.assertThrows(picocli.CommandLine.TypeConversionException.class,
                    () -> Durations.parse(bad), bad);
        }
    }

    @Test
    void helpExitsZero() {
        for (String cmd : new String[] {"demo", "send", "recv", "bench"}) {
            Run r = run(cmd, "--help");
            assertEquals(0, r.code(), cmd);
            assertTrue(r.out().contains("Usage: swp " + cmd), r.out());
        }
    }

    @Test
    void demoMovesAFileThroughTheLossyInProcessNetworkAndVerifiesIt() {
        Run r = run("demo", "--size", "2m", "--loss", "0.05", "--seed", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("verified by the receiver"), r.out());
        assertTrue(r.out().matches("(?s).*blake2b-256  [0-9a-f]{64}.*"), r.out());
    }

    @Test
    void byteSizesParseWithBinarySuffixes() {
        assertEquals(4096, ByteSize.parse("4096"));
        assertEquals(64 * 1024, ByteSize.parse("64k"));
        assertEquals(256L << 20, ByteSize.parse("256m"));
        assertEquals(1L << 30, ByteSize.parse("1g"));
        assertEquals(1L << 30, ByteSize.parse("1GiB"));
        assertEquals(3L << 29, ByteSize.parse("1.5g"));
    }
}
