package io.swp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code swp publish} and {@code swp subscribe} argument errors: one line, exit code 2, no server needed. */
class FanoutCliTest {
    private static final String NO_SERVER = "nats://127.0.0.1:1";

    private static void assertUsage(SwpCliTest.Run r, String mentions) {
        assertEquals(2, r.code(), r.err());
        String[] lines = r.err().strip().split("\n");
        assertEquals(2, lines.length, r.err());
        assertTrue(lines[0].startsWith("swp: ") && lines[0].contains(mentions), lines[0]);
        assertTrue(lines[1].startsWith("Try 'swp "), lines[1]);
    }

    @Test
    void publishRejectsBadArguments(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("f.txt"), "x");
        assertUsage(SwpCliTest.run("publish", "--server", NO_SERVER, "--subject", "s", "--expect", "0", f.toString()),
                "--expect");
        assertUsage(SwpCliTest.run("publish", "--server", NO_SERVER, "--subject", "a b", f.toString()), "--subject");
        assertUsage(SwpCliTest.run("publish", "--server", NO_SERVER, "--subject", "s.>", f.toString()), "--subject");
        assertUsage(SwpCliTest.run("publish", "--server", NO_SERVER, "--subject", "s", "--loss", "2", f.toString()),
                "--loss");
        assertUsage(SwpCliTest.run("publish", "--server", NO_SERVER, "--subject", "s",
                dir.resolve("missing").toString()), "missing");
        assertUsage(SwpCliTest.run("publish", "--server", NO_SERVER, "--subject", "s"), "FILE");
        assertUsage(SwpCliTest.run("publish", "--server", NO_SERVER, "--subject", "s", f.toString(), f.toString()),
                "two files");
    }

    @Test
    void subscribeRejectsBadArguments(@TempDir Path dir) {
        assertUsage(SwpCliTest.run("subscribe", "--server", NO_SERVER, "--subject", "s", "--out",
                dir.resolve("nope").toString()), "nope");
        assertUsage(SwpCliTest.run("subscribe", "--server", NO_SERVER, "--subject", "s", "--out", dir.toString(),
                "--count", "0"), "--count");
        assertUsage(SwpCliTest.run("subscribe", "--server", NO_SERVER, "--subject", "*", "--out", dir.toString()),
                "--subject");
        assertUsage(SwpCliTest.run("subscribe", "--server", NO_SERVER, "--out", dir.toString()), "--subject");
    }

    @Test
    void anUnreachableServerIsOneLineAndExitCodeOne(@TempDir Path dir) {
        SwpCliTest.Run r = SwpCliTest.run("subscribe", "--server", NO_SERVER, "--subject", "s", "--out", dir.toString());
        assertEquals(1, r.code(), r.err());
        assertEquals(1, r.err().strip().split("\n").length, r.err());
        assertTrue(r.err().startsWith("swp: "), r.err());
    }
}
