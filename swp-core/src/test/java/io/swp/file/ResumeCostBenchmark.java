package io.swp.file;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.swp.hash.Blake2b;
import io.swp.hash.Blake2b256;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What resuming costs: a file of {@code swp.resumeCostBytes} (default 4 GiB) whose first
 * 7/8 the receiver already holds, checkpointed as a receiver leaves it; then a new session
 * offers the file. Measured: the time from {@code connect} to the sender's first new byte,
 * to the receiver's READY, and to the verified file, with the receiver continuing from the
 * saved BLAKE2b state (the default), re-hashing the prefix with libsodium
 * ({@code rehashOnResume}), and with Bouncy Castle (which cannot export a state). Also the
 * cost of checkpoints: one transfer with resume off, one with 16 MiB checkpoints.
 * Needs about 2.9 times the file size of free disk in the temporary directory.
 * <pre>
 * ./mvnw -B -Pbench -pl swp-core test -Dtest=ResumeCostBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
@Tag("benchmark")
@Timeout(value = 60, unit = TimeUnit.MINUTES) // the run length follows the size property
class ResumeCostBenchmark {
    private static final long SIZE = Long.getLong("swp.resumeCostBytes", 4L << 30);
    private static final long PREFIX = SIZE / 8 * 7 / FileTransfer.CHUNK_BYTES * FileTransfer.CHUNK_BYTES;
    private static final int IO_BYTES = 1 << 20;

    @TempDir
    Path dir;

    private record Row(String label, double connectToFirstByte, double connectToReady, double total) {
    }

    @Test
    void resumeCost() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Path out = Files.createDirectories(dir.resolve("out"));
        Path file = src.resolve("big.bin");
        long t = System.nanoTime();
        generate(file, SIZE);
        System.out.printf(Locale.ROOT, "generated %d bytes in %.1f s; the receiver holds the first %d%n", SIZE,
                secs(System.nanoTime() - t), PREFIX);
        t = System.nanoTime();
        Blake2b256 prefixDigest = Blake2b.newBlake2b256(Blake2b.Implementation.LIBSODIUM);
        hash(file, PREFIX, prefixDigest);
        byte[] state = prefixDigest.exportState().orElseThrow();
        byte[] prefixHash = prefixDigest.copy().digest();
        System.out.printf(Locale.ROOT, "hashing the prefix once (libsodium, warm cache): %.2f s, %.0f MB/s%n",
                secs(System.nanoTime() - t), PREFIX / 1e6 / secs(System.nanoTime() - t));

        Row fromState = resume("saved state (default)", file, out, state, prefixHash, false, null);
        Row rehash = resume("re-hash, libsodium", file, out, state, prefixHash, true, null);
        Row java = resume("Bouncy Castle", file, out, state, prefixHash, false, "java");

        System.out.printf(Locale.ROOT, "%n| receiver continues by | connect → first new byte | connect → READY at receiver"
                + " | connect → verified | %n|---|---|---|---|%n");
        for (Row r : new Row[] {fromState, rehash, java}) {
            System.out.printf(Locale.ROOT, "| %s | %.3f s | %.3f s | %.2f s |%n", r.label(), r.connectToFirstByte(),
                    r.connectToReady(), r.total());
        }
        double perGiB = (rehash.connectToFirstByte() - fromState.connectToFirstByte()) / (PREFIX / (double) (1L << 30));
        System.out.printf(Locale.ROOT, "re-hashing costs %.2f s per GiB of partial before the first new byte%n", perGiB);

        checkpointCost(file, out);
    }

    private Row resume(String label, Path file, Path out, byte[] state, byte[] prefixHash, boolean rehash,
                       String impl) throws Exception {
        makePartial(file, out, state, prefixHash);
        String before = System.getProperty(Blake2b.PROPERTY);
        if (impl != null) {
            System.setProperty(Blake2b.PROPERTY, impl);
        }
        long[] firstByte = new long[1];
        long[] ready = new long[1];
        try (Link link = new Link()) {
            FileReceiver receiver = FileReceiver.builder(out).rehashOnResume(rehash).listener(new FileReceiver.Listener() {
                @Override
                public void resumed(String name, String from, long offset, long size) {
                    ready[0] = System.nanoTime();
                }
            }).build();
            long t0 = System.nanoTime();
            try (Link.Pair p = link.pair()) {
                CompletableFuture<ReceivedFile> r = FileResumeTest.async(() -> receiver.receive(p.receiver()));
                FileTransferStats st = FileSending.send(p.sender(), file, new FileSender.Listener() {
                    @Override
                    public void resumed(String name, long offset, long size) {
                        firstByte[0] = System.nanoTime();
                    }
                });
                ReceivedFile got = FileResumeTest.get(r);
                long t1 = System.nanoTime();
                assertEquals(PREFIX, st.resumedAt(), label);
                assertEquals(st.blake2b256(), got.blake2b256());
                return new Row(label, secs(firstByte[0] - t0), secs(ready[0] - t0), secs(t1 - t0));
            }
        } finally {
            if (before == null) {
                System.clearProperty(Blake2b.PROPERTY);
            } else {
                System.setProperty(Blake2b.PROPERTY, before);
            }
            Files.deleteIfExists(out.resolve(file.getFileName()));
        }
    }

    /** Leaves the receiver's side as an interrupted transfer would: the prefix and its record. */
    private static void makePartial(Path file, Path out, byte[] state, byte[] prefixHash) throws IOException {
        String name = file.getFileName().toString();
        Partial p = Partial.forName(out, name);
        p.openOrCreate();
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            for (long pos = 0; pos < PREFIX; ) {
                pos += in.transferTo(pos, PREFIX - pos, p.channel());
            }
        }
        p.channel().force(true);
        long now = System.currentTimeMillis();
        p.writeMeta(new PartialMeta(name, FileIdentity.of(file), -1, "sender", PREFIX, prefixHash,
                Blake2b.Implementation.LIBSODIUM.label(), state, p.fileKey(), now, now, null));
        p.close();
    }

    private void checkpointCost(Path file, Path out) throws Exception {
        long bytes = Math.min(SIZE, 1L << 30);
        Path part = out.getParent().resolve("part.bin");
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
             FileChannel o = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            for (long pos = 0; pos < bytes; ) {
                pos += in.transferTo(pos, bytes - pos, o);
            }
        }
        System.out.printf(Locale.ROOT, "%n| %d bytes, in-memory session | MB/s |%n|---|---|%n", bytes);
        for (int round = 0; round < 2; round++) {
            for (boolean resume : new boolean[] {false, true}) {
                try (Link link = new Link(); Link.Pair p = link.pair()) {
                    FileReceiver receiver = FileReceiver.builder(out).resume(resume).build();
                    CompletableFuture<ReceivedFile> r = FileResumeTest.async(() -> receiver.receive(p.receiver()));
                    long t0 = System.nanoTime();
                    FileSending.send(p.sender(), part, new FileSender.Listener() {
                    });
                    FileResumeTest.get(r);
                    double s = secs(System.nanoTime() - t0);
                    System.out.printf(Locale.ROOT, "| %s | %.0f |%n",
                            resume ? "resume on, checkpoint every 8 MiB (16 MiB bound)" : "resume off, no checkpoints",
                            bytes / 1e6 / s);
                } finally {
                    Files.deleteIfExists(out.resolve("part.bin"));
                }
            }
        }
    }

    private static void generate(Path file, long size) throws IOException {
        SplittableRandom random = new SplittableRandom(7);
        byte[] chunk = new byte[IO_BYTES];
        try (OutputStream o = Files.newOutputStream(file)) {
            for (long left = size; left > 0; ) {
                int n = (int) Math.min(chunk.length, left);
                random.nextBytes(chunk);
                o.write(chunk, 0, n);
                left -= n;
            }
        }
    }

    private static void hash(Path file, long bytes, Blake2b256 d) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(IO_BYTES);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            for (long pos = 0; pos < bytes; ) {
                b.clear().limit((int) Math.min(IO_BYTES, bytes - pos));
                int n = ch.read(b, pos);
                d.update(b.array(), 0, n);
                pos += n;
            }
        }
    }

    private static double secs(long nanos) {
        return nanos / 1e9;
    }
}
