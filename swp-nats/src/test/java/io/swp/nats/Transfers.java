package io.swp.nats;

import io.swp.Endpoint;
import io.swp.Session;
import io.swp.protocol.EngineStats;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.bouncycastle.crypto.digests.Blake2bDigest;

/**
 * Stream transfers between two endpoints for the NATS session tests and the benchmark:
 * seeded data, BLAKE2b-256 of what was written and of what was read.
 */
final class Transfers {
    static final int CHUNK_BYTES = 64 * 1024;
    private static final int PATTERN_BYTES = 1024 * 1024;
    private static final int DIGEST_BITS = 256;
    static final Duration ACCEPT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration ACCEPT_SLICE = Duration.ofMillis(500);

    private Transfers() {
    }

    /** What one transfer moved, how fast, and the digests of both ends. */
    record Result(long sentBytes, long receivedBytes, double seconds, String sentBlake2b, String receivedBlake2b,
            EngineStats senderStats) {
        double megabytesPerSecond() {
            return receivedBytes / 1e6 / seconds;
        }

        boolean identical() {
            return sentBytes == receivedBytes && sentBlake2b.equals(receivedBlake2b);
        }

        @Override
        public String toString() {
            return String.format("%d bytes in %.2f s (%.1f MB/s), sent %s, received %s", receivedBytes, seconds,
                    megabytesPerSecond(), sentBlake2b, receivedBlake2b);
        }
    }

    /**
     * Connects {@code from} to {@code to}, writes {@code bytes} of seeded data through the
     * session's output stream and reads them on the accepted session.
     *
     * @param progress called on the reading thread with the bytes received so far
     */
    static Result stream(Endpoint from, Endpoint to, long bytes, long seed, LongConsumer progress) throws Exception {
        long start = System.nanoTime();
        CompletableFuture<Sent> sent = CompletableFuture.supplyAsync(() -> {
            try {
                Session session = from.connect(to.localInbox());
                String digest;
                try (session) {
                    digest = write(session.getOutputStream(), bytes, seed);
                } // close() waits until the peer acknowledged everything
                return new Sent(digest, session.stats());
            } catch (IOException e) {
                throw new IllegalStateException("sender failed: " + e, e);
            }
        });
        long received;
        String receivedDigest;
        try (Session session = accept(to, List.of(sent))) {
            Blake2bDigest digest = new Blake2bDigest(DIGEST_BITS);
            byte[] buf = new byte[CHUNK_BYTES];
            received = 0;
            InputStream in = session.getInputStream();
            for (int n; (n = in.read(buf)) >= 0; ) {
                digest.update(buf, 0, n);
                received += n;
                progress.accept(received);
            }
            receivedDigest = hex(digest);
        }
        Sent sender;
        try {
            sender = sent.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause().getMessage(), e.getCause());
        }
        return new Result(bytes, received, (System.nanoTime() - start) / 1e9, sender.digest(), receivedDigest,
                sender.stats());
    }

    private record Sent(String digest, EngineStats stats) {
    }

    /**
     * Accepts the next session on {@code to}, failing at once, with the sender's own error,
     * if one of {@code senders} has failed (a sender whose connect failed never brings its
     * session), and after {@link #ACCEPT_TIMEOUT} with the endpoint's counters.
     */
    static Session accept(Endpoint to, Collection<? extends CompletableFuture<?>> senders) throws IOException {
        long deadline = System.nanoTime() + ACCEPT_TIMEOUT.toNanos();
        while (true) {
            for (CompletableFuture<?> sender : senders) {
                if (sender.isCompletedExceptionally()) {
                    try {
                        sender.join();
                    } catch (RuntimeException e) {
                        throw new AssertionError("a sender failed while sessions were awaited at "
                                + to.localInbox() + ": " + e.getCause(), e.getCause());
                    }
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no session arrived at " + to.localInbox() + " within " + ACCEPT_TIMEOUT
                        + "; senders done " + senders.stream().filter(CompletableFuture::isDone).count() + " of "
                        + senders.size() + "; " + to.stats());
            }
            try {
                return to.accept(Duration.ofNanos(Math.min(left, ACCEPT_SLICE.toNanos())));
            } catch (SocketTimeoutException e) {
                // look at the senders again
            }
        }
    }

    /** Writes seeded data: a random 1 MiB pattern with the chunk number stamped into each chunk. */
    static String write(OutputStream out, long bytes, long seed) throws IOException {
        byte[] pattern = new byte[PATTERN_BYTES];
        new SplittableRandom(seed).nextBytes(pattern);
        Blake2bDigest digest = new Blake2bDigest(DIGEST_BITS);
        byte[] chunk = new byte[CHUNK_BYTES];
        long chunkNumber = 0;
        for (long left = bytes; left > 0; chunkNumber++) {
            int n = (int) Math.min(CHUNK_BYTES, left);
            int offset = (int) ((chunkNumber * CHUNK_BYTES) % PATTERN_BYTES);
            System.arraycopy(pattern, offset, chunk, 0, CHUNK_BYTES);
            ByteBuffer.wrap(chunk).putLong(chunkNumber);
            digest.update(chunk, 0, n);
            out.write(chunk, 0, n);
            left -= n;
        }
        out.flush();
        return hex(digest);
    }

    /** Writes a file of seeded data and returns its BLAKE2b-256. */
    static String writeFile(Path file, long bytes, long seed) throws IOException {
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file), CHUNK_BYTES)) {
            return write(out, bytes, seed);
        }
    }

    /** @return the BLAKE2b-256 of a file, computed here independently of swp */
    static String blake2b(Path file) throws IOException {
        Blake2bDigest digest = new Blake2bDigest(DIGEST_BITS);
        byte[] buf = new byte[CHUNK_BYTES];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                digest.update(buf, 0, n);
            }
        }
        return hex(digest);
    }

    private static String hex(Blake2bDigest digest) {
        byte[] out = new byte[digest.getDigestSize()];
        digest.doFinal(out, 0);
        return HexFormat.of().formatHex(out);
    }
}
