package io.swp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.Endpoint;
import io.swp.Session;
import io.swp.nats.NatsNetwork;
import io.swp.nats.testing.NatsServerExtension;
import io.swp.nats.testing.NatsTestServer;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
    void anExistingFileIsRefusedWithOneLineAndTheReceiverGoesOnWaiting(NatsTestServer server, @TempDir Path dir)
            throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Path out = Files.createDirectories(dir.resolve("out"));
        Path a = src.resolve("same.txt");
        Files.writeString(a, "new content");
        Files.writeString(out.resolve("same.txt"), "old content");
        Path b = Files.writeString(src.resolve("other.txt"), "other content");

        CompletableFuture<SwpCliTest.Run> recv = CompletableFuture.supplyAsync(() -> SwpCliTest.run(
                "recv", "--server", server.url(), "--as", "cli.carol", "--out", out.toString()));
        SwpCliTest.Run send = SwpCliTest.run("send", "--server", server.url(), "--from", "cli.dave",
                "--to", "cli.carol", a.toString());
        assertEquals(1, send.code(), send.out() + send.err());
        assertEquals(1, send.err().strip().split("\n").length, send.err());
        assertTrue(send.err().startsWith("swp: receiver cli.carol refused same.txt: file ")
                && send.err().contains("already exists; not overwritten"), send.err());
        assertFalse(recv.isDone(), "a refused sender does not end the receiver");

        SwpCliTest.Run second = SwpCliTest.run("send", "--server", server.url(), "--from", "cli.dave",
                "--to", "cli.carol", b.toString());
        SwpCliTest.Run got = recv.get(60, TimeUnit.SECONDS);
        assertEquals(0, second.code(), second.out() + second.err());
        assertEquals(0, got.code(), got.out() + got.err());
        assertTrue(got.out().contains("already exists; not overwritten"), got.out());
        assertEquals("old content", Files.readString(out.resolve("same.txt")));
        assertEquals("other content", Files.readString(out.resolve("other.txt")));
    }

    @Test
    void aFileLargerThanMaxFileSizeIsRefusedBeforeAnyData(NatsTestServer server, @TempDir Path dir) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Path out = Files.createDirectories(dir.resolve("out"));
        Path big = src.resolve("big.bin");
        Transfers.generateFile(big, 2048, 3);
        Path small = src.resolve("small.bin");
        Transfers.generateFile(small, 1000, 4);

        CompletableFuture<SwpCliTest.Run> recv = CompletableFuture.supplyAsync(() -> SwpCliTest.run(
                "recv", "--server", server.url(), "--as", "cli.frank", "--out", out.toString(),
                "--max-file-size", "1k"));
        SwpCliTest.Run send = SwpCliTest.run("send", "--server", server.url(), "--from", "cli.grace",
                "--to", "cli.frank", big.toString());
        assertEquals(1, send.code(), send.out() + send.err());
        assertEquals("swp: receiver cli.frank refused big.bin: big.bin is 2048 bytes, more than the 1024 this "
                + "receiver accepts", send.err().strip());
        SwpCliTest.Run ok = SwpCliTest.run("send", "--server", server.url(), "--from", "cli.grace",
                "--to", "cli.frank", small.toString());
        assertEquals(0, ok.code(), ok.out() + ok.err());
        assertEquals(0, recv.get(60, TimeUnit.SECONDS).code());
        try (var files = Files.list(out)) {
            assertEquals(List.of(out.resolve("small.bin")), files.toList());
        }
    }

    @Test
    void aStalledSenderDoesNotHoldUpTheOthers(NatsTestServer server, @TempDir Path dir) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Path out = Files.createDirectories(dir.resolve("out"));
        Path a = src.resolve("a.bin");
        Transfers.generateFile(a, 200_000, 5);

        CompletableFuture<SwpCliTest.Run> recv = CompletableFuture.supplyAsync(() -> SwpCliTest.run(
                "recv", "--server", server.url(), "--as", "cli.heidi", "--out", out.toString()));
        try (NatsNetwork net = NatsNetwork.connect(server.url());
             Endpoint mallory = Endpoint.open(net, "cli.mallory");
             Session stalled = mallory.connect("cli.heidi");
             Session silent = mallory.connect("cli.heidi")) {
            // One announces a file and then sends nothing, the other sends nothing at all.
            stalled.sendMessage(v1Header("stall.bin", 1_000_000));
            assertEquals('R', stalled.receiveMessage(Duration.ofSeconds(30))[0]);

            SwpCliTest.Run send = SwpCliTest.run("send", "--server", server.url(), "--from", "cli.ivan",
                    "--to", "cli.heidi", a.toString());
            assertEquals(0, send.code(), send.out() + send.err());
            SwpCliTest.Run got = recv.get(60, TimeUnit.SECONDS);
            assertEquals(0, got.code(), got.out() + got.err());
            assertEquals(-1, Files.mismatch(a, out.resolve("a.bin")));
            assertEquals(1, got.out().lines().filter(l -> l.startsWith("received ")).count(), got.out());
            silent.abort();
            stalled.abort();
        }
    }

    /** A file header of protocol version 1: 'H', 1, u16 name length, name, i64 size, i32 mode. */
    private static byte[] v1Header(String name, long size) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        out.writeByte('H');
        out.writeByte(1);
        out.writeShort(n.length);
        out.write(n);
        out.writeLong(size);
        out.writeInt(-1);
        return bytes.toByteArray();
    }
}
