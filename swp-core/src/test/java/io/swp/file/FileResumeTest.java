package io.swp.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.Session;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resumable transfers: an interrupted transfer continues where the receiver's durable
 * bytes end, and every way a partial must not be continued starts from 0 with a reason.
 * The first, interrupted attempt is played by hand, so it stops at an exact byte.
 */
class FileResumeTest {
    static final int KIB = 1024;
    static final int MIB = 1024 * 1024;

    @TempDir
    Path src;
    @TempDir
    Path out;

    /** Records the events of both sides as one line each. */
    static final class Events implements FileReceiver.Listener, FileSender.Listener {
        final List<String> lines = new CopyOnWriteArrayList<>();

        @Override
        public void resumed(String name, String from, long offset, long size) {
            lines.add("receiver resumed " + name + " at " + offset + " of " + size);
        }

        @Override
        public void discarded(String name, String from, String reason) {
            lines.add("receiver discarded: " + reason);
        }

        @Override
        public void interrupted(FileTransferException e) {
            lines.add("receiver interrupted at " + e.position());
        }

        @Override
        public void resumed(String name, long offset, long size) {
            lines.add("sender resumed " + name + " at " + offset + " of " + size);
        }

        @Override
        public void discarded(String name, String reason) {
            lines.add("sender discarded: " + reason);
        }

        boolean any(String part) {
            return lines.stream().anyMatch(l -> l.contains(part));
        }
    }

    Path file(String name, int size, long seed) throws IOException {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return Files.write(src.resolve(name), b);
    }

    FileReceiver.Builder receiver(Events events) {
        return FileReceiver.builder(out).checkpointBytes(256 * KIB).listener(events);
    }

    static <T> CompletableFuture<T> async(IoCall<T> call) {
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

    static <T> T get(CompletableFuture<T> f) throws Exception {
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
    }

    static FileTransferException failure(CompletableFuture<?> f) {
        Exception e = assertThrows(Exception.class, () -> get(f));
        assertTrue(e instanceof FileTransferException, String.valueOf(e));
        return (FileTransferException) e;
    }

    /**
     * A sender that sends the header and {@code bytes} of DATA (through {@code corrupt}),
     * waits until the receiver's transport has them all, and vanishes (abort).
     *
     * @return the receiver's failure: interrupted, with the bytes it kept
     */
    static FileTransferException interruptedAttempt(Link link, FileReceiver receiver, Path file, long bytes,
                                                    UnaryOperator<byte[]> corrupt) throws Exception {
        try (Link.Pair p = link.pair()) {
            CompletableFuture<ReceivedFile> r = async(() -> receiver.receive(p.receiver()));
            FileIdentity id = FileIdentity.of(file);
            Session s = p.sender();
            s.sendMessage(FileProtocol.header(file.getFileName().toString(), id.size(), -1, id));
            byte[] ready = s.receiveMessage(Duration.ofSeconds(10));
            assertEquals('R', ready[0], "READY");
            long offset = FileProtocol.parseReady(ready).offset();
            byte[] content = corrupt.apply(Files.readAllBytes(file));
            long end = Math.min(content.length, offset + bytes);
            for (long pos = offset; pos < end; ) {
                int n = (int) Math.min(FileTransfer.CHUNK_BYTES, end - pos);
                byte[] m = new byte[1 + n];
                m[0] = FileProtocol.DATA;
                System.arraycopy(content, (int) pos, m, 1, n);
                pos += n;
                if (pos == end) {
                    s.sendMessageAndWait(m, Duration.ofSeconds(10));
                } else {
                    s.sendMessage(m);
                }
            }
            s.abort();
            FileTransferException e = failure(r);
            assertEquals(FileTransferException.Kind.INTERRUPTED, e.kind(), e.getMessage());
            return e;
        }
    }

    List<String> leftovers() throws IOException {
        try (Stream<Path> s = Files.list(out)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The second attempt: a real sender with a recording listener, a real receiver. */
    static FileTransferStats send(Link link, FileReceiver receiver, Path file, Events events,
                                  ReceivedFile[] got) throws Exception {
        try (Link.Pair p = link.pair()) {
            CompletableFuture<ReceivedFile> r = async(() -> receiver.receive(p.receiver()));
            FileTransferStats st = FileSending.send(p.sender(), file, events);
            got[0] = get(r);
            return st;
        }
    }

    @Test
    void anInterruptedTransferContinuesWhereTheReceiverStopped() throws Exception {
        Path a = file("a.bin", 4 * MIB + 123, 1);
        Events events = new Events();
        try (Link link = new Link()) {
            FileReceiver receiver = receiver(events).build();
            FileTransferException first = interruptedAttempt(link, receiver, a, 1536 * KIB, c -> c);
            assertEquals(1536 * KIB, first.position(), "everything that arrived is kept: " + first.getMessage());
            assertTrue(first.getMessage().contains("1572864 bytes kept to resume"), first.getMessage());
            assertEquals(2, leftovers().size(), "a partial and its record: " + leftovers());

            ReceivedFile[] got = new ReceivedFile[1];
            FileTransferStats st = send(link, receiver, a, events, got);
            assertEquals(1536 * KIB, st.resumedAt());
            assertEquals(Files.size(a) - 1536 * KIB, st.bytesSent());
            assertEquals(1536 * KIB, got[0].resumedAt());
            assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(out.resolve("a.bin")));
            assertEquals(st.blake2b256(), got[0].blake2b256());
            assertTrue(events.any("sender resumed a.bin at 1572864 of " + Files.size(a)), events.lines.toString());
            assertTrue(events.any("receiver resumed a.bin at 1572864"), events.lines.toString());
            assertEquals(List.of("a.bin"), leftovers(), "the partial became the file, its record is gone");
        }
    }

    @Test
    void aChangedFileStartsFromZeroAndSaysWhy() throws Exception {
        Path a = file("a.bin", 2 * MIB, 2);
        Events events = new Events();
        try (Link link = new Link()) {
            FileReceiver receiver = receiver(events).build();
            interruptedAttempt(link, receiver, a, MIB, c -> c);
            byte[] changed = Files.readAllBytes(a);
            changed[10] ^= 1;
            Files.write(a, changed);
            Files.setLastModifiedTime(a, FileTime.fromMillis(Files.getLastModifiedTime(a).toMillis() + 60_000));

            ReceivedFile[] got = new ReceivedFile[1];
            FileTransferStats st = send(link, receiver, a, events, got);
            assertEquals(0, st.resumedAt());
            assertArrayEquals(changed, Files.readAllBytes(out.resolve("a.bin")));
            String why = "partial a.bin is from another version of the file (modification time, first 64 KiB)"
                    + "; starting from 0";
            assertTrue(events.lines.contains("receiver discarded: " + why), events.lines.toString());
            assertTrue(events.lines.contains("sender discarded: " + why), events.lines.toString());
            assertEquals(List.of("a.bin"), leftovers());
        }
    }

    @Test
    void aFileOfAnotherSizeStartsFromZero() throws Exception {
        Path a = file("a.bin", 2 * MIB, 3);
        Events events = new Events();
        try (Link link = new Link()) {
            FileReceiver receiver = receiver(events).build();
            interruptedAttempt(link, receiver, a, MIB, c -> c);
            try (RandomAccessFile f = new RandomAccessFile(a.toFile(), "rw")) {
                f.setLength(3 * MIB);
            }
            ReceivedFile[] got = new ReceivedFile[1];
            FileTransferStats st = send(link, receiver, a, events, got);
            assertEquals(0, st.resumedAt());
            assertTrue(events.any("size " + 2 * MIB + " → " + 3 * MIB), events.lines.toString());
            assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(out.resolve("a.bin")));
        }
    }

    @Test
    void aPartialWhosePrefixDiffersDespiteTheSameIdentityIsCaughtAndRestarted() throws Exception {
        // Same name, size, modification time and first chunk, other bytes after it: only
        // the prefix digest can tell. The sender compares it while already sending, and
        // restarts from 0 in the same session.
        Path a = file("a.bin", 3 * MIB, 4);
        Events events = new Events();
        try (Link link = new Link()) {
            FileReceiver receiver = receiver(events).build();
            interruptedAttempt(link, receiver, a, 2 * MIB, c -> {
                byte[] other = c.clone();
                other[MIB] ^= 0x55;
                return other;
            });
            ReceivedFile[] got = new ReceivedFile[1];
            FileTransferStats st = send(link, receiver, a, events, got);
            assertEquals(0, st.resumedAt(), "sent from 0 after all");
            assertEquals(0, got[0].resumedAt());
            assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(out.resolve("a.bin")));
            assertTrue(events.any("sender resumed a.bin at " + 2 * MIB), events.lines.toString());
            assertTrue(events.any("sender discarded: the receiver's first 2097152 bytes of a.bin differ"),
                    events.lines.toString());
            assertTrue(events.any("receiver discarded: sender of a.bin: the receiver's first"), events.lines.toString());
            assertEquals(List.of("a.bin"), leftovers());
        }
    }

    @Test
    void rehashOnResumeCatchesAPartialDamagedOnDisk() throws Exception {
        Path a = file("a.bin", 2 * MIB, 5);
        Events events = new Events();
        try (Link link = new Link()) {
            FileReceiver receiver = receiver(events).rehashOnResume(true).build();
            interruptedAttempt(link, receiver, a, MIB, c -> c);
            Path part = Files.list(out).filter(p -> p.toString().endsWith(".part")).findFirst().orElseThrow();
            try (RandomAccessFile f = new RandomAccessFile(part.toFile(), "rw")) {
                f.seek(500 * KIB);
                int b = f.read();
                f.seek(500 * KIB);
                f.write(b ^ 1);
            }
            ReceivedFile[] got = new ReceivedFile[1];
            FileTransferStats st = send(link, receiver, a, events, got);
            assertEquals(0, st.resumedAt());
            assertTrue(events.any("cannot be continued: its bytes do not match the digest recorded at its last "
                    + "checkpoint; starting from 0"), events.lines.toString());
            assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(out.resolve("a.bin")));
        }
    }

    @Test
    void aDamagedRecordIsNotTrusted() throws Exception {
        Path a = file("a.bin", 2 * MIB, 6);
        Events events = new Events();
        try (Link link = new Link()) {
            FileReceiver receiver = receiver(events).build();
            interruptedAttempt(link, receiver, a, MIB, c -> c);
            Path record = Files.list(out).filter(p -> p.toString().endsWith(".resume")).findFirst().orElseThrow();
            String text = Files.readString(record).replaceFirst("durable=\\d+", "durable=2000000");
            Files.writeString(record, text);
            ReceivedFile[] got = new ReceivedFile[1];
            FileTransferStats st = send(link, receiver, a, events, got);
            assertEquals(0, st.resumedAt());
            assertTrue(events.any("the record of the partial a.bin cannot be used (its checksum does not match"),
                    events.lines.toString());
            assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(out.resolve("a.bin")));
        }
    }

    @Test
    void bytesWrittenAfterTheLastCheckpointAreCutOffAndSentAgain() throws Exception {
        // A receiver killed with -9 leaves the data file longer than its record says is
        // durable: the next attempt continues from the record, not from the file's end.
        Path a = file("a.bin", 2 * MIB, 7);
        Events events = new Events();
        try (Link link = new Link()) {
            FileReceiver receiver = receiver(events).build();
            interruptedAttempt(link, receiver, a, MIB, c -> c);
            Path part = Files.list(out).filter(p -> p.toString().endsWith(".part")).findFirst().orElseThrow();
            Path record = part.resolveSibling(part.getFileName().toString().replace(".part", ".resume"));
            PartialMeta m = Partial.readMeta(record).orElseThrow();
            assertEquals(MIB, m.durable());
            try (RandomAccessFile f = new RandomAccessFile(part.toFile(), "rw")) {
                f.seek(MIB);
                f.write(new byte[100_000]); // written, never checkpointed, and wrong
            }
            ReceivedFile[] got = new ReceivedFile[1];
            FileTransferStats st = send(link, receiver, a, events, got);
            assertEquals(MIB, st.resumedAt());
            assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(out.resolve("a.bin")));
        }
    }

    @Test
    void withoutResumeAnInterruptedTransferLeavesNothing() throws Exception {
        Path a = file("a.bin", 2 * MIB, 8);
        Events events = new Events();
        try (Link link = new Link()) {
            FileReceiver receiver = receiver(events).resume(false).build();
            FileTransferException e = interruptedAttempt(link, receiver, a, MIB, c -> c);
            assertFalse(e.getMessage().contains("kept"), e.getMessage());
            assertEquals(List.of(), leftovers());
            ReceivedFile[] got = new ReceivedFile[1];
            assertEquals(0, send(link, receiver, a, events, got).resumedAt());
            assertEquals(List.of("a.bin"), leftovers());
        }
    }

    @Test
    void aSenderThatMissedTheConfirmationIsConfirmedAgainWithoutResending() throws Exception {
        Path a = file("a.bin", MIB, 9);
        Events events = new Events();
        try (Link link = new Link()) {
            FileReceiver receiver = receiver(events).build();
            try (Link.Pair p = link.pair()) {
                // The sender vanishes the moment the file appears under its name: the
                // receiver cannot know whether VERIFIED got through.
                FileReceiver.testHooks = new FileReceiver.TestHooks() {
                    @Override
                    public void linked(Path target) {
                        p.sender().abort();
                        // gone for good before the receiver tries to confirm
                        p.sender().closeFuture().orTimeout(10, TimeUnit.SECONDS).join();
                    }
                };
                CompletableFuture<ReceivedFile> r = async(() -> receiver.receive(p.receiver()));
                assertThrows(IOException.class, () -> FileSending.send(p.sender(), a, events));
                assertEquals(Files.size(a), get(r).size(), "stored");
            } finally {
                FileReceiver.testHooks = new FileReceiver.TestHooks() {
                };
            }
            ReceivedFile[] got = new ReceivedFile[1];
            FileTransferStats st = send(link, receiver, a, events, got);
            assertEquals(Files.size(a), st.resumedAt(), "nothing sent again");
            assertEquals(0, st.bytesSent());
            assertTrue(got[0].alreadyStored());
            assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(out.resolve("a.bin")));
            assertEquals(List.of("a.bin"), leftovers(), "the record is gone once confirmed");
        }
    }

    @Test
    void aSenderComingBackOnANewSessionTakesOverFromItsStaleOne() throws Exception {
        // The receiver has not noticed yet that the first session is dead (no keepalive
        // has failed): the same sender's new session aborts it and continues its partial.
        Path a = file("a.bin", 2 * MIB, 10);
        Events events = new Events();
        try (Link link = new Link()) {
            FileReceiver receiver = receiver(events).build();
            Link.Pair stale = link.pair();
            CompletableFuture<ReceivedFile> first = async(() -> receiver.receive(stale.receiver()));
            FileIdentity id = FileIdentity.of(a);
            stale.sender().sendMessage(FileProtocol.header("a.bin", id.size(), -1, id));
            assertEquals('R', stale.sender().receiveMessage(Duration.ofSeconds(10))[0]);
            byte[] m = new byte[1 + FileTransfer.CHUNK_BYTES];
            m[0] = FileProtocol.DATA;
            System.arraycopy(Files.readAllBytes(a), 0, m, 1, FileTransfer.CHUNK_BYTES);
            stale.sender().sendMessageAndWait(m, Duration.ofSeconds(10));

            ReceivedFile[] got = new ReceivedFile[1];
            FileTransferStats st = send(link, receiver, a, events, got);
            assertEquals(FileTransfer.CHUNK_BYTES, st.resumedAt());
            assertEquals(FileTransferException.Kind.INTERRUPTED, failure(first).kind());
            assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(out.resolve("a.bin")));
            stale.close();
        }
    }

    @Test
    void aSenderStillHashingAfterItsLastByteIsNotDroppedByTheIdleTimeout() throws Exception {
        // The hash of a large file can take longer than the receiver's idle timeout after
        // the last DATA of a resumed transfer; the sender says it is alive meanwhile.
        Path a = file("a.bin", 2 * MIB, 11);
        Events events = new Events();
        Duration idle = Duration.ofMillis(500);
        try (Link link = new Link()) {
            FileReceiver receiver = receiver(events).idleTimeout(idle).build();
            interruptedAttempt(link, receiver, a, MIB, c -> c);
            FileSending.testHooks = new FileSending.TestHooks() {
                @Override
                public void wholeFileHashed() {
                    // a hash that takes four idle timeouts
                    org.awaitility.Awaitility.await().pollDelay(idle.multipliedBy(4)).until(() -> true);
                }
            };
            ReceivedFile[] got = new ReceivedFile[1];
            FileTransferStats st = send(link, receiver, a, events, got);
            assertEquals(MIB, st.resumedAt());
            assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(out.resolve("a.bin")));
        } finally {
            FileSending.testHooks = new FileSending.TestHooks() {
            };
        }
    }
}
