package io.swp.session;

import io.swp.file.FileTransfer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import io.swp.file.FileTransferStats;
import io.swp.file.ReceivedFile;
import io.swp.protocol.MalformedFrameException;
import io.swp.protocol.Frame;
import io.swp.protocol.FrameCodec;
import io.swp.protocol.FrameKind;
import io.swp.sim.InMemoryNetwork;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.bouncycastle.crypto.digests.Blake2bDigest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file protocol: verified round trips, and every way a file must not appear. */
class FileTransferTest {
    @TempDir
    Path from;
    @TempDir
    Path to;

    private Path generatedFile(String name, int size, long seed) throws IOException {
        byte[] b = new byte[size];
        new Harness.Generator(seed).fill(b, 0, size);
        return Files.write(from.resolve(name), b);
    }

    private static String blake2b(byte[] content) {
        Blake2bDigest d = new Blake2bDigest(256);
        d.update(content, 0, content.length);
        byte[] out = new byte[32];
        d.doFinal(out, 0);
        return HexFormat.of().formatHex(out);
    }

    private static <T> CompletableFuture<T> async(IoCall<T> call) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return call.call();
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        });
    }

    interface IoCall<T> {
        T call() throws IOException;
    }

    private static IOException failure(CompletableFuture<?> f) {
        Exception e = assertThrows(Exception.class, () -> Harness.get(f, Duration.ofSeconds(20)));
        Throwable t = e instanceof CompletionException ? e.getCause() : e;
        assertTrue(t instanceof IOException, String.valueOf(t));
        return (IOException) t;
    }

    private List<Path> leftovers() throws IOException {
        try (Stream<Path> s = Files.list(to)) {
            return s.toList();
        }
    }

    @Test
    void severalFilesRoundTripVerified() throws Exception {
        Path a = generatedFile("a.bin", 3 * 1024 * 1024 + 17, 1);
        Path empty = generatedFile("empty", 0, 2);
        Path c = generatedFile("c with spaces.txt", 70_000, 3);
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            CompletableFuture<List<FileTransferStats>> sender = async(() -> {
                List<FileTransferStats> stats = List.of(FileTransfer.send(p.client(), a), FileTransfer.send(p.client(), empty),
                        FileTransfer.send(p.client(), c));
                p.client().close();
                return stats;
            });
            for (Path f : List.of(a, empty, c)) {
                ReceivedFile r = FileTransfer.receive(p.server(), to);
                byte[] content = Files.readAllBytes(f);
                assertEquals(to.resolve(f.getFileName().toString()), r.path());
                assertArrayEquals(content, Files.readAllBytes(r.path()));
                assertEquals(blake2b(content), r.blake2b256());
                assertEquals(content.length, r.size());
            }
            assertNull(FileTransfer.receive(p.server(), to), "no more files after the sender closed");
            List<FileTransferStats> stats = Harness.get(sender, Duration.ofSeconds(20));
            assertEquals(Files.size(a), stats.get(0).bytes());
            assertEquals(blake2b(Files.readAllBytes(a)), stats.get(0).blake2b256());
            assertEquals(3, leftovers().size(), "no temporary files left: " + leftovers());
        }
    }

    @Test
    void corruptionTheFrameChecksumMissedIsCaughtAndNoFileAppears() throws Exception {
        Path a = generatedFile("victim.bin", 1024 * 1024, 4);
        try (InMemoryNetwork net = InMemoryNetwork.create()) {
            CuttableNetwork clientNet = new CuttableNetwork(net);
            AtomicInteger bigDataFrames = new AtomicInteger();
            // Flip one content byte in the 10th large DATA frame and re-encode it, so the
            // frame's CRC is valid: only the end-to-end BLAKE2b can notice.
            clientNet.rewrite(frame -> {
                try {
                    Frame pk = FrameCodec.decode(frame);
                    if (pk.kind() == FrameKind.DATA && pk.payload().length > 4096
                            && bigDataFrames.incrementAndGet() == 10) {
                        byte[] payload = pk.payload().clone();
                        payload[payload.length / 2] ^= 0x40;
                        return FrameCodec.encode(Frame.builder(pk.kind()).flags(pk.flags()).from(pk.from())
                                .to(pk.to()).srcNonce(pk.srcNonce()).dstNonce(pk.dstNonce()).seq(pk.seq())
                                .ack(pk.ack()).sackRanges(pk.sackRanges())
                                .window(pk.windowFrames(), pk.windowBytes()).tsVal(pk.tsVal())
                                .tsEcr(pk.tsEcr()).payload(payload).build());
                    }
                } catch (MalformedFrameException e) {
                    throw new IllegalStateException(e);
                }
                return frame;
            });
            try (Harness.Pair p = Harness.connect(clientNet, net, SessionConfig.defaults())) {
                CompletableFuture<FileTransferStats> sender = async(() -> FileTransfer.send(p.client(), a));
                IOException atReceiver = assertThrows(IOException.class, () -> FileTransfer.receive(p.server(), to));
                assertTrue(atReceiver.getMessage().contains("mismatch"), atReceiver.getMessage());
                IOException atSender = failure(sender);
                assertTrue(atSender.getMessage().contains("rejected") && atSender.getMessage().contains("mismatch"),
                        atSender.getMessage());
                assertEquals(List.of(), leftovers(), "neither the final nor a temporary file may remain");
            }
        }
    }

    @Test
    void unsafeNamesAreRefusedBeforeAnyData() throws Exception {
        List<String> unsafe = List.of("../escape", "/etc/passwd", "a/b", "a\\b", "..", ".", "", "x\0y",
                "C:evil", "line\nbreak");
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            for (String name : unsafe) {
                p.client().sendMessage(header(name, 10));
                IOException e = assertThrows(IOException.class, () -> FileTransfer.receive(p.server(), to), name);
                assertTrue(e.getMessage().contains("unsafe file name"), e.getMessage());
                byte[] reply = p.client().receiveMessage(Duration.ofSeconds(5));
                assertEquals('E', reply[0], "the sender is told: " + name);
            }
            assertEquals(List.of(), leftovers());
            assertFalse(Files.exists(to.getParent().resolve("escape")));
        }
    }

    @Test
    void anExistingFileIsNeverOverwritten() throws Exception {
        Path a = generatedFile("keep.txt", 5000, 5);
        Files.writeString(to.resolve("keep.txt"), "old content");
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            CompletableFuture<FileTransferStats> sender = async(() -> FileTransfer.send(p.client(), a));
            assertThrows(FileAlreadyExistsException.class, () -> FileTransfer.receive(p.server(), to));
            IOException atSender = failure(sender);
            assertTrue(atSender.getMessage().contains("refused") && atSender.getMessage().contains("already exists"),
                    atSender.getMessage());
            assertEquals("old content", Files.readString(to.resolve("keep.txt")));
            assertEquals(1, leftovers().size());
        }
    }

    @Test
    void aSenderThatDiesMidFileLeavesNothingBehind() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            CompletableFuture<ReceivedFile> receiver = async(() -> FileTransfer.receive(p.server(), to));
            p.client().sendMessage(header("partial.bin", 1_000_000));
            assertEquals('R', p.client().receiveMessage(Duration.ofSeconds(5))[0]);
            byte[] data = new byte[1 + 50_000];
            data[0] = 'D';
            p.client().sendMessageAndWait(data, Duration.ofSeconds(5));
            p.client().abort();
            IOException e = failure(receiver);
            assertTrue(e.getMessage().contains("interrupted") && e.getMessage().contains("partial.bin"),
                    e.getMessage());
            assertEquals(List.of(), leftovers());
        }
    }

    /** A file header as the protocol defines it: 'H', version 1, u16 name length, name, i64 size, i32 mode. */
    private static byte[] header(String name, long size) throws IOException {
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
