package io.swp.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.Endpoint;
import io.swp.Session;
import io.swp.file.FileReceiver;
import io.swp.file.FileSender;
import io.swp.file.FileTransferException;
import io.swp.file.FileTransferStats;
import io.swp.file.ReceivedFile;
import io.swp.sim.InMemoryNetwork;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One 16 MiB file through ten broken sessions: each time another 1.2 MiB of frames has
 * left the sender, its network goes silent and its session is aborted; the
 * {@link FileSender} opens a new one after its back-off and every attempt resumes where
 * the receiver's partial ends. The file arrives byte-identical, with the receiver's
 * partial and record gone.
 */
class TenInterruptionsTest {
    private static final int SIZE = 16 << 20;
    private static final int INTERRUPTIONS = 10;
    private static final long STEP = 1200 * 1024;

    @TempDir
    Path from;
    @TempDir
    Path to;

    @Test
    void everyInterruptionIsResumedAndTheFileArrivesIntact() throws Exception {
        byte[] content = new byte[SIZE];
        new Harness.Generator(11).fill(content, 0, SIZE);
        Path file = Files.write(from.resolve("big.bin"), content);

        List<Long> resumedAt = new CopyOnWriteArrayList<>();
        List<Long> receiverKept = new CopyOnWriteArrayList<>();
        AtomicInteger aborted = new AtomicInteger();
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Endpoint receiverEndpoint = Endpoint.open(net, "files.receiver");
             Tripwire senderNet = new Tripwire(net);
             Endpoint senderEndpoint = Endpoint.open(senderNet, "files.sender")) {
            FileReceiver receiver = FileReceiver.builder(to).checkpointBytes(1 << 20)
                    .listener(new FileReceiver.Listener() {
                        @Override
                        public void interrupted(FileTransferException e) {
                            receiverKept.add(e.position());
                        }
                    }).build();
            CompletableFuture<ReceivedFile> received = CompletableFuture.supplyAsync(() -> {
                while (true) {
                    try (Session s = receiverEndpoint.accept(Duration.ofSeconds(30))) {
                        ReceivedFile f = receiver.receive(s);
                        if (f != null) {
                            return f;
                        }
                    } catch (FileTransferException e) {
                        // interrupted: the next session continues it
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }
            });

            FileSender sender = FileSender.builder(() -> senderEndpoint.connect("files.receiver"))
                    .retryFor(Duration.ofSeconds(30))
                    .backoff(Duration.ofMillis(10), Duration.ofMillis(50))
                    .listener(new FileSender.Listener() {
                        @Override
                        public void started(String name, long size, Session session) {
                            if (aborted.get() < INTERRUPTIONS) {
                                CompletableFuture<Void> tripped = senderNet.arm(STEP);
                                tripped.thenRunAsync(() -> {
                                    aborted.incrementAndGet();
                                    // Aborted before the wire opens again, so no data of this
                                    // session slips through however late this runs; its
                                    // RESET passes the tripwire anyway.
                                    session.abort();
                                    senderNet.disarm();
                                });
                            }
                        }

                        @Override
                        public void resumed(String name, long offset, long size) {
                            resumedAt.add(offset);
                        }
                    }).build();
            FileTransferStats st = sender.send(file);
            ReceivedFile got = Harness.get(received, Duration.ofSeconds(30));

            assertEquals(INTERRUPTIONS, aborted.get());
            assertEquals(INTERRUPTIONS, resumedAt.size(), "every interruption was resumed: " + resumedAt);
            assertEquals(receiverKept, resumedAt, "each attempt continued exactly where the receiver stopped");
            for (int i = 1; i < resumedAt.size(); i++) {
                assertTrue(resumedAt.get(i) > resumedAt.get(i - 1), "always further: " + resumedAt);
            }
            assertEquals(resumedAt.get(INTERRUPTIONS - 1), st.resumedAt());
            assertEquals(st.blake2b256(), got.blake2b256());
            assertArrayEquals(content, Files.readAllBytes(to.resolve("big.bin")));
            try (Stream<Path> left = Files.list(to)) {
                assertEquals(List.of(to.resolve("big.bin")), left.toList(), "no partial or record left");
            }
        }
    }

    /**
     * Passes frames on until, once armed, {@code step} more bytes have gone out; then
     * drops everything this side sends but RESETs (the peer hears nothing more until the
     * session is aborted) until disarmed.
     */
    private static final class Tripwire implements io.swp.Network {
        private final io.swp.Network delegate;
        private long left = Long.MAX_VALUE;
        private boolean silent;
        private CompletableFuture<Void> tripped = new CompletableFuture<>();

        Tripwire(io.swp.Network delegate) {
            this.delegate = delegate;
        }

        synchronized CompletableFuture<Void> arm(long step) {
            left = step;
            silent = false;
            tripped = new CompletableFuture<>();
            return tripped;
        }

        synchronized void disarm() {
            left = Long.MAX_VALUE;
            silent = false;
        }

        @Override
        public InboxBinding bind(String inbox, FrameHandler handler) throws IOException {
            return delegate.bind(inbox, handler);
        }

        @Override
        public void send(String inbox, byte[] frame) throws IOException {
            synchronized (this) {
                if (silent && !isReset(frame)) {
                    return;
                }
                left -= frame.length;
                if (left < 0) {
                    silent = true;
                    tripped.complete(null);
                    return;
                }
            }
            delegate.send(inbox, frame);
        }

        private static boolean isReset(byte[] frame) {
            try {
                return io.swp.protocol.FrameCodec.decode(frame).kind() == io.swp.protocol.FrameKind.RESET;
            } catch (io.swp.protocol.MalformedFrameException e) {
                return false;
            }
        }

        @Override
        public int maxFrameSize() {
            return delegate.maxFrameSize();
        }

        @Override
        public void close() {
        }
    }
}
