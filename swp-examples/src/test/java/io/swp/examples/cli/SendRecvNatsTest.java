package io.swp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.nats.testing.NatsServerExtension;
import io.swp.nats.testing.NatsTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code swp send} and {@code swp recv} against a real nats-server. */
@ExtendWith(NatsServerExtension.class)
class SendRecvNatsTest {

    @Test
    void twoFilesArriveVerifiedUnderTheirNames(NatsTestServer server, @TempDir Path dir) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Path out = Files.createDirectories(dir.resolve("out"));
        Path a = src.resolve("a.bin");
        Path b = src.resolve("b.bin");
        Transfers.generateFile(a, 3_000_000, 1);
        Transfers.generateFile(b, 12_345, 2);

        CompletableFuture<SwpCliTest.Run> recv = CompletableFuture.supplyAsync(() -> SwpCliTest.run(
                "recv", "--server", server.url(), "--as", "cli.bob", "--from", "cli.alice",
                "--out", out.toString(), "--count", "2", "--loss", "0.05"));
        // The receiver subscribes asynchronously; the sender's SYN is retried until it does.
        SwpCliTest.Run send = SwpCliTest.run("send", "--server", server.url(), "--from", "cli.alice",
                "--to", "cli.bob", "--loss", "0.05", a.toString(), b.toString());
        SwpCliTest.Run got = recv.get(60, TimeUnit.SECONDS);

        assertEquals(0, send.code(), send.err());
        assertEquals(0, got.code(), got.err());
        assertEquals(2, got.out().strip().split("\n").length, got.out());
        assertTrue(got.out().contains("verified"), got.out());
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(out.resolve("a.bin")));
        assertArrayEquals(Files.readAllBytes(b), Files.readAllBytes(out.resolve("b.bin")));
    }

    @Test
    void anExistingFileIsNotOverwrittenAndTheSenderFails(NatsTestServer server, @TempDir Path dir) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Path out = Files.createDirectories(dir.resolve("out"));
        Path a = src.resolve("same.txt");
        Files.writeString(a, "new content");
        Files.writeString(out.resolve("same.txt"), "old content");

        CompletableFuture<SwpCliTest.Run> recv = CompletableFuture.supplyAsync(() -> SwpCliTest.run(
                "recv", "--server", server.url(), "--as", "cli.carol", "--out", out.toString()));
        SwpCliTest.Run send = SwpCliTest.run("send", "--server", server.url(), "--from", "cli.dave",
                "--to", "cli.carol", a.toString());
        SwpCliTest.Run got = recv.get(60, TimeUnit.SECONDS);

        assertEquals(1, send.code(), send.out() + send.err());
        assertEquals(1, got.code(), got.out() + got.err());
        assertEquals("old content", Files.readString(out.resolve("same.txt")));
    }
}
