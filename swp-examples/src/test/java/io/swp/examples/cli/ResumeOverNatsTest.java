package io.swp.examples.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swp.SessionConfig;
import io.swp.file.FileTransfer;
import io.swp.nats.testing.NatsServerExtension;
import io.swp.nats.testing.NatsTestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interrupted transfers between {@code swp send} and {@code swp recv}, each in its own JVM,
 * over a real nats-server: the receiver killed with SIGKILL about half way and started
 * again, the sender killed and started again, the server down for longer than the
 * dead-peer bound, and the file changed between attempts. The file is 64 MiB here;
 * {@code -Dswp.resumeBytes=N} changes it ({@link ResumeOverNatsLargeTest} runs 512 MiB
 * with the benchmarks).
 */
@ExtendWith(NatsServerExtension.class)
class ResumeOverNatsTest {
    static final long CHECKPOINT = 4L << 20;
    /** What the receiver's session may hold that its application has not read yet. */
    static final long WINDOW = SessionConfig.defaults().windowBytes();
    /** What the sender's session may hold that the receiver has not acknowledged yet. */
    static final long SEND_BUFFER = SessionConfig.defaults().sendBufferBytes();
    private static final Duration DONE = Duration.ofSeconds(120);
    private static final Pattern RESUMED = Pattern.compile("resumed big\\.bin at (\\d+) of (\\d+)");
    private static final Pattern SENDER_INTERRUPTED = Pattern.compile("interrupted at (\\d+) of (\\d+) bytes");
    private static final Pattern SENDER_ACKNOWLEDGED = Pattern.compile("about (\\d+) acknowledged");
    private static final Pattern RECEIVER_KEPT = Pattern.compile("(\\d+) bytes kept to resume");

    @TempDir
    Path dir;
    Path src;
    Path out;
    Path file;
    long size;

    /** @return the size of the file sent */
    long fileBytes() {
        return Long.getLong("swp.resumeBytes", 64L << 20);
    }

    @BeforeEach
    void files() throws IOException {
        size = fileBytes();
        src = Files.createDirectories(dir.resolve("src"));
        out = Files.createDirectories(dir.resolve("out"));
        file = src.resolve("big.bin");
        Transfers.generateFile(file, size, 42);
    }

    String[] recv(NatsTestServer server, String inbox, String peerTimeout) {
        return new String[] {"recv", "--server", server.url(), "--as", inbox, "--out", out.toString(), "--count", "1",
            "--checkpoint", "4m", "--peer-timeout", peerTimeout};
    }

    String[] send(NatsTestServer server, String from, String to, String peerTimeout) {
        return new String[] {"send", "--server", server.url(), "--from", from, "--to", to, "--retry-for", "60s",
            "--peer-timeout", peerTimeout, file.toString()};
    }

    long partialBytes() throws IOException {
        try (Stream<Path> s = Files.list(out)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".part")).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).max().orElse(0);
        }
    }

    /** Waits until the receiver's partial holds {@code n} bytes, failing early if a process ends. */
    void awaitPartialAtLeast(long n, CliProcess... running) {
        await().atMost(DONE).pollInterval(Duration.ofMillis(2)).until(() -> {
            for (CliProcess p : running) {
                if (!p.isAlive()) {
                    throw new AssertionError("ended early:\n" + p.output());
                }
            }
            return partialBytes() >= n;
        });
    }

    static long first(Pattern p, String text) {
        Matcher m = p.matcher(text);
        if (!m.find()) {
            throw new AssertionError("no '" + p + "' in:\n" + text);
        }
        return Long.parseLong(m.group(1));
    }

    void assertArrived(byte[] expectedHashOf) throws IOException {
        assertEquals(-1, Files.mismatch(file, out.resolve("big.bin")), "byte-identical");
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(1, s.count(), "no partial or record left in " + out);
        }
    }

    @Test
    void theReceiverKilledHalfWayAndRestartedGetsTheRestOnly(NatsTestServer server) throws Exception {
        String[] recv = recv(server, "resume.bob", "3s");
        try (CliProcess r1 = CliProcess.start(dir, "recv1", recv);
             CliProcess s = CliProcess.start(dir, "send", send(server, "resume.alice", "resume.bob", "3s"))) {
            awaitPartialAtLeast(size / 2, r1, s);
            r1.kill9();
            long written = partialBytes();
            try (CliProcess r2 = CliProcess.start(dir, "recv2", recv)) {
                assertEquals(0, s.exitCode(DONE), s.output() + r2.output());
                assertEquals(0, r2.exitCode(DONE), r2.output());
                assertArrived(null);
                long resumed = first(RESUMED, s.out());
                long handed = first(SENDER_INTERRUPTED, s.out());
                long acknowledged = first(SENDER_ACKNOWLEDGED, s.out());
                System.out.printf("receiver kill -9: partial held %d bytes at the kill, resumed at %d (%d lost);"
                                + " the receiver had acknowledged %d (%d sent again), the sender had handed its session"
                                + " %d (%d)%n", written, resumed, written - resumed, acknowledged, acknowledged - resumed,
                        handed, handed - resumed);
                assertTrue(resumed > 0 && resumed <= written, resumed + " of " + written + "\n" + s.output());
                assertTrue(written - resumed <= CHECKPOINT, "lost at most one checkpoint interval: " + (written - resumed));
                assertTrue(acknowledged - resumed <= CHECKPOINT + WINDOW + FileTransfer.CHUNK_BYTES,
                        "of what had arrived, at most a checkpoint interval and a window is sent again: "
                                + (acknowledged - resumed));
                assertTrue(handed - resumed <= CHECKPOINT + WINDOW + SEND_BUFFER + FileTransfer.CHUNK_BYTES,
                        "and of what the sender had handed its session, that and its send buffer: "
                                + (handed - resumed));
                assertTrue(r2.out().contains("resuming big.bin from resume.alice at " + resumed), r2.output());
            }
        }
    }

    @Test
    void theSenderKilledHalfWayAndRestartedSendsTheRestOnly(NatsTestServer server) throws Exception {
        String[] send = send(server, "resume2.alice", "resume2.bob", "3s");
        try (CliProcess r = CliProcess.start(dir, "recv", recv(server, "resume2.bob", "3s"));
             CliProcess s1 = CliProcess.start(dir, "send1", send)) {
            awaitPartialAtLeast(size / 2, r, s1);
            s1.kill9();
            long written = partialBytes();
            try (CliProcess s2 = CliProcess.start(dir, "send2", send)) {
                assertEquals(0, s2.exitCode(DONE), s2.output() + r.output());
                assertEquals(0, r.exitCode(DONE), r.output());
                assertArrived(null);
                long resumed = first(RESUMED, s2.out());
                long kept = first(RECEIVER_KEPT, r.out());
                System.out.printf("sender kill -9: partial held %d bytes at the kill, receiver kept %d, resumed at %d%n",
                        written, kept, resumed);
                assertEquals(kept, resumed, "continued at exactly what the receiver had\n" + r.output());
                assertTrue(resumed >= written, "nothing the receiver had was sent again");
            }
        }
    }

    @Test
    void aServerRestartLongerThanTheDeadPeerBoundIsRiddenOut(NatsTestServer server) throws Exception {
        assumeTrue(server.controllable(), "needs a server the test can stop: " + server.description());
        try (CliProcess r = CliProcess.start(dir, "recv", recv(server, "resume3.bob", "2s"));
             CliProcess s = CliProcess.start(dir, "send", send(server, "resume3.alice", "resume3.bob", "2s"))) {
            awaitPartialAtLeast(size / 2, r, s);
            server.kill();
            try {
                // Down until both ends have declared their session dead (2 s without a word).
                await().atMost(DONE).until(() -> r.out().contains("interrupted") && s.out().contains("retrying"));
            } finally {
                server.restart();
            }
            assertEquals(0, s.exitCode(DONE), s.output() + r.output());
            assertEquals(0, r.exitCode(DONE), r.output());
            assertArrived(null);
            long resumed = first(RESUMED, s.out());
            assertTrue(resumed >= size / 2, "resumed at " + resumed + "\n" + s.output());
            assertTrue(r.out().contains("peer"), "the receiver's session failed as dead peer:\n" + r.output());
        }
    }

    @Test
    void aFileChangedBetweenAttemptsIsSentFromZeroWithTheReason(NatsTestServer server) throws Exception {
        String[] send = send(server, "resume4.alice", "resume4.bob", "3s");
        try (CliProcess r = CliProcess.start(dir, "recv", recv(server, "resume4.bob", "3s"));
             CliProcess s1 = CliProcess.start(dir, "send1", send)) {
            awaitPartialAtLeast(size / 2, r, s1);
            s1.kill9();
            Transfers.generateFile(file, size, 43);
            Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
            try (CliProcess s2 = CliProcess.start(dir, "send2", send)) {
                assertEquals(0, s2.exitCode(DONE), s2.output() + r.output());
                assertEquals(0, r.exitCode(DONE), r.output());
                assertArrived(null);
                String why = "partial big.bin is from another version of the file (modification time, first 64 KiB)"
                        + "; starting from 0";
                assertTrue(s2.out().contains(why), s2.output());
                assertTrue(r.out().contains(why), r.output());
                assertTrue(!RESUMED.matcher(s2.out()).find(), s2.output());
            }
        }
    }
}
