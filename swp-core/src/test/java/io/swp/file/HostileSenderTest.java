package io.swp.file;

import static io.swp.file.FileResumeTest.async;
import static io.swp.file.FileResumeTest.failure;
import static io.swp.file.FileResumeTest.get;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receiver against senders that are hostile or faulty: files too large for the
 * policy or the disk are refused before any data, a sender that goes silent is dropped,
 * and someone else in a shared directory cannot make the receiver write through, or
 * change the mode of, a file it did not create.
 */
class HostileSenderTest {
    @TempDir
    Path src;
    @TempDir
    Path out;

    @AfterEach
    void noHooks() {
        FileReceiver.testHooks = new FileReceiver.TestHooks() {
        };
    }

    Path file(String name, int size) throws IOException {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return Files.write(src.resolve(name), b);
    }

    List<String> leftovers() throws IOException {
        try (Stream<Path> s = Files.list(out)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Runs one transfer; returns the sender's and receiver's outcomes. */
    record Outcome(Link.Pair pair, CompletableFuture<FileTransferStats> sent, CompletableFuture<ReceivedFile> received)
            implements AutoCloseable {
        @Override
        public void close() {
            pair.close();
        }
    }

    Outcome transfer(Link link, FileReceiver receiver, Path file) throws Exception {
        Link.Pair p = link.pair();
        CompletableFuture<ReceivedFile> r = async(() -> receiver.receive(p.receiver()));
        CompletableFuture<FileTransferStats> s = async(() -> FileTransfer.send(p.sender(), file));
        return new Outcome(p, s, r);
    }

    @Test
    void aFileLargerThanMaxFileBytesIsRefusedBeforeAnyData() throws Exception {
        Path big = file("big.bin", 300_000);
        try (Link link = new Link()) {
            FileReceiver receiver = FileReceiver.builder(out).maxFileBytes(200_000).build();
            try (Outcome o = transfer(link, receiver, big)) {
                FileTransferException atSender = failure(o.sent());
                assertEquals(FileTransferException.Kind.REFUSED, atSender.kind());
                assertFalse(atSender.retryable());
                assertEquals("receiver receiver refused big.bin: big.bin is 300000 bytes, more than the 200000 this "
                        + "receiver accepts", atSender.getMessage());
                assertEquals(FileTransferException.Kind.REFUSED, failure(o.received()).kind());
                assertEquals(List.of(), leftovers());
            }
        }
    }

    @Test
    void aFileThatDoesNotFitTheUsableSpaceIsRefusedBeforeAnyData() throws Exception {
        Path f = file("f.bin", 100_000);
        long usable = Files.getFileStore(out).getUsableSpace();
        try (Link link = new Link()) {
            // Keeping all but 50,000 bytes free leaves too little for 100,000.
            FileReceiver receiver = FileReceiver.builder(out).minFreeBytes(usable - 50_000).build();
            try (Outcome o = transfer(link, receiver, f)) {
                FileTransferException atSender = failure(o.sent());
                assertEquals(FileTransferException.Kind.REFUSED, atSender.kind());
                assertTrue(atSender.getMessage().startsWith("receiver receiver refused f.bin: not enough space for f.bin: "
                        + "it needs 100000 more bytes"), atSender.getMessage());
                assertFalse(atSender.getMessage().contains("\n"));
                failure(o.received());
                assertEquals(List.of(), leftovers());
            }
        }
    }

    @Test
    void aSenderSilentAfterTheHeaderIsDroppedAfterTheIdleTimeout() throws Exception {
        Path f = file("f.bin", 1_000_000);
        try (Link link = new Link(); Link.Pair p = link.pair()) {
            FileReceiver receiver = FileReceiver.builder(out).idleTimeout(Duration.ofMillis(300)).build();
            CompletableFuture<ReceivedFile> r = async(() -> receiver.receive(p.receiver()));
            FileIdentity id = FileIdentity.of(f);
            p.sender().sendMessage(FileProtocol.header("f.bin", id.size(), -1, id));
            assertEquals('R', p.sender().receiveMessage(Duration.ofSeconds(10))[0]);
            // ... and nothing more.
            FileTransferException e = failure(r);
            assertEquals(FileTransferException.Kind.INTERRUPTED, e.kind());
            assertTrue(e.getMessage().contains("no data from sender for 300 ms; session aborted"), e.getMessage());
            assertTrue(p.receiver().closeReason() != null && p.receiver().closeReason().isFailure(),
                    "the session was aborted");
        }
    }

    @Test
    void aSessionThatNeverSendsAHeaderIsDroppedAfterTheIdleTimeout() throws Exception {
        try (Link link = new Link(); Link.Pair p = link.pair()) {
            FileReceiver receiver = FileReceiver.builder(out).idleTimeout(Duration.ofMillis(300)).build();
            FileTransferException e = failure(async(() -> receiver.receive(p.receiver())));
            assertTrue(e.getMessage().contains("no file header from sender within 300 ms"), e.getMessage());
        }
    }

    @Test
    void aPartialSwappedForASymbolicLinkIsNeverWrittenThrough() throws Exception {
        // Someone who can write in the directory replaces the new partial file with a link
        // to another file. The receiver keeps writing to the file it created (open since
        // creation, never reopened by name), and refuses to store what the name now is.
        Path victim = Files.writeString(src.resolve("victim.txt"), "precious");
        Path f = file("f.bin", 500_000);
        FileReceiver.testHooks = new FileReceiver.TestHooks() {
            @Override
            public void partialCreated(Path data) {
                try {
                    Files.delete(data);
                    Files.createSymbolicLink(data, victim);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        try (Link link = new Link()) {
            for (boolean resume : new boolean[] {true, false}) {
                FileReceiver receiver = FileReceiver.builder(out).resume(resume).build();
                try (Outcome o = transfer(link, receiver, f)) {
                    FileTransferException e = failure(o.received());
                    assertTrue(e.getMessage().contains("was replaced during the transfer; not stored"), e.getMessage());
                    failure(o.sent());
                    assertEquals("precious", Files.readString(victim), "resume " + resume);
                    assertFalse(Files.exists(out.resolve("f.bin"), LinkOption.NOFOLLOW_LINKS), "resume " + resume);
                }
            }
        }
    }

    @Test
    void theModeIsSetBeforeTheFileAppearsAndNeverThroughALink() throws Exception {
        assumeTrue(out.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
        Path f = file("f.bin", 200_000);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("r-xr--r--"));
        Path victim = Files.writeString(src.resolve("victim.txt"), "private");
        Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rw-------"));
        String[] modeWhenLinked = new String[1];
        FileReceiver.testHooks = new FileReceiver.TestHooks() {
            @Override
            public void linked(Path target) {
                try {
                    modeWhenLinked[0] = PosixFilePermissions.toString(Files.getPosixFilePermissions(target,
                            LinkOption.NOFOLLOW_LINKS));
                    // Someone swaps the new name for a link to another file at once.
                    Files.delete(target);
                    Files.createSymbolicLink(target, victim);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        try (Link link = new Link()) {
            try (Outcome o = transfer(link, FileReceiver.create(out), f)) {
                get(o.sent());
                get(o.received());
            }
            assertEquals("r-xr--r--", modeWhenLinked[0], "the file had its mode when it appeared");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(victim)),
                    "nothing was applied to the name after it appeared");
            assertArrayEquals("private".getBytes(), Files.readAllBytes(victim));
        }
    }
}
