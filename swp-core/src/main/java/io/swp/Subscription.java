package io.swp;

import io.swp.fanout.FanoutChunk;
import io.swp.fanout.FanoutConfig;
import io.swp.fanout.FanoutTransmit;
import io.swp.fanout.ReceiverEngine;
import io.swp.file.FileTransfer;
import io.swp.hash.Blake2b;
import io.swp.hash.Blake2b256;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Receives the stream a {@link Publisher} publishes on a subject. It subscribes to the
 * subject and to an inbox of its own, finds the publisher by its heartbeats, joins, and
 * delivers everything in order: as bytes ({@link #getInputStream()}), as messages
 * ({@link #receiveMessage()}) or as files ({@link #receiveFile(Path)}). One loop thread
 * runs the {@link ReceiverEngine}; memory is bounded by its window
 * ({@link FanoutConfig#windowFrames()} frames) and the loop's inbound queue.
 *
 * <p>Reads block until data arrives, the stream ends (end of stream: -1 or null), the
 * {@link #readTimeout(Duration) read timeout} passes ({@link java.net.SocketTimeoutException}),
 * or the receiver fails: cut off by the publisher, or the publisher silent (an
 * {@link IOException} naming the reason). Data delivered before a failure stays
 * delivered. A file appears under its final name only after its BLAKE2b-256 matched; it
 * is written under a temporary name in the same directory first and never replaces an
 * existing file. Thread-safe, but one reader at a time makes sense.
 */
public final class Subscription extends FanoutLoop {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** How long {@link #close()} waits for the publisher to acknowledge pending reports. */
    private static final Duration CLOSE_LINGER = Duration.ofSeconds(5);

    private final ReceiverEngine engine;
    private final Network.InboxBinding subjectBinding;
    private final Network.InboxBinding inboxBinding;
    private volatile Duration readTimeout = Duration.ofMinutes(5);
    private FanoutChunk current;
    private int currentOffset;
    /** Whether the reader is inside a message whose start it saw. */
    private boolean inMessage;
    private final InputStream input = new SubscriptionInput();

    private Subscription(Network network, String subject, String inbox, FanoutConfig config, Clock clock)
            throws IOException {
        super(network, clock, "swp-subscription-" + subject);
        long nonce;
        do {
            nonce = RANDOM.nextLong();
        } while (nonce == 0);
        String own = inbox != null ? inbox : subject + ".sub." + Long.toHexString(nonce);
        this.engine = new ReceiverEngine(config, subject, own, nonce, clock.nanoTime());
        this.inboxBinding = network.bind(own, this::onFrame);
        try {
            this.subjectBinding = network.bind(subject, this::onFrame);
        } catch (IOException e) {
            inboxBinding.close();
            throw e;
        }
        start();
    }

    /**
     * Subscribes with the default settings.
     *
     * @param network the network
     * @param subject the subject a publisher publishes on
     * @return the subscription, looking for the publisher
     * @throws IOException if the subject or the inbox cannot be bound
     */
    public static Subscription open(Network network, String subject) throws IOException {
        return builder(network, subject).open();
    }

    /**
     * @param network the network
     * @param subject the subject
     * @return a builder
     */
    public static Builder builder(Network network, String subject) {
        return new Builder(network, subject);
    }

    /** @return the subscription's own inbox */
    public String inbox() {
        return engine.inbox();
    }

    /** @param timeout how long a read may block (default 5 minutes) */
    public void readTimeout(Duration timeout) {
        this.readTimeout = Objects.requireNonNull(timeout, "timeout");
    }

    /**
     * Waits until the publisher admitted this receiver.
     *
     * @param timeout how long to wait
     * @throws IOException on timeout, failure or close
     */
    public void awaitJoined(Duration timeout) throws IOException {
        long deadline = deadline(clock, timeout);
        lock.lock();
        try {
            while (engine.state() != ReceiverEngine.State.ACTIVE) {
                checkFailed();
                await(deadline, "the publisher on " + engine.subject());
            }
        } finally {
            lock.unlock();
        }
    }

    /** @return the receiver's state */
    public ReceiverEngine.State state() {
        lock.lock();
        try {
            return engine.state();
        } finally {
            lock.unlock();
        }
    }

    /** @return the receiver's counters */
    public String stats() {
        lock.lock();
        try {
            return engine.stats() + "; inbound dropped " + inboundDropped();
        } finally {
            lock.unlock();
        }
    }

    /** @return the stream as bytes; -1 at its end */
    public InputStream getInputStream() {
        return input;
    }

    /**
     * Receives the next whole message. A message whose start this receiver never got
     * (it joined in its middle) is skipped.
     *
     * @return the message, or null at the end of the stream
     * @throws IOException on timeout or failure
     */
    public byte[] receiveMessage() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        return readMessage(out, Long.MAX_VALUE) ? out.toByteArray() : null;
    }

    /**
     * Receives the next file into {@code dir}: written under a temporary name, verified
     * against the publisher's BLAKE2b-256, fsynced and then linked to its name (an
     * existing file is never replaced), and the digest reported to the publisher.
     *
     * @param dir the directory
     * @return the stored file, or null at the end of the stream
     * @throws IOException on a digest mismatch (nothing is stored), an unsafe name, an
     *     existing file, timeout or failure
     */
    public ReceivedFile receiveFile(Path dir) throws IOException {
        long started = clock.nanoTime();
        ByteArrayOutputStream headerBytes = new ByteArrayOutputStream();
        FanoutFiles.Header header;
        do {
            headerBytes.reset();
            if (!readMessage(headerBytes, 4096)) {
                return null;
            }
            // Anything that is not a file header (a late joiner's first message, say) is skipped.
            header = FanoutFiles.parseHeader(headerBytes.toByteArray());
        } while (header == null);
        FileTransfer.checkSafeName(header.name());
        Path target = dir.resolve(header.name());
        if (Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString(), null, "exists; not overwritten");
        }
        Path temp = Files.createTempFile(dir, ".swp-fanout-", ".part");
        boolean stored = false;
        try {
            Blake2b256 hash = Blake2b.newBlake2b256();
            long size = 0;
            try (OutputStream out = Files.newOutputStream(temp, StandardOpenOption.WRITE)) {
                if (header.size() > 0) {
                    size = readContent(out, hash, header.size());
                }
            }
            if (size != header.size()) {
                throw new IOException(header.name() + ": got " + size + " bytes, the header said " + header.size());
            }
            ByteArrayOutputStream trailerBytes = new ByteArrayOutputStream();
            if (!readMessage(trailerBytes, 4096)) {
                throw new IOException(header.name() + ": the stream ended before the file's digest");
            }
            FanoutFiles.Confirmation trailer = FanoutFiles.parseConfirmation(trailerBytes.toByteArray());
            byte[] digest = hash.digest();
            if (trailer == null || trailer.index() != header.index()) {
                throw new IOException(header.name() + ": no digest after the content");
            }
            if (!MessageDigest.isEqual(digest, trailer.digest())) {
                throw new IOException(header.name() + ": BLAKE2b-256 mismatch, nothing stored");
            }
            try (var ch = java.nio.channels.FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.createLink(target, temp);
            } catch (UnsupportedOperationException e) {
                Files.move(temp, target);
            }
            stored = true;
            report(FanoutFiles.confirmation(header.index(), digest));
            return new ReceivedFile(target, header.name(), header.size(), HexFormat.of().formatHex(digest),
                    Duration.ofNanos(clock.nanoTime() - started));
        } finally {
            Files.deleteIfExists(temp);
            if (!stored) {
                // Nothing under the final name: the temp file is gone and the target was never linked.
                // The next read starts at a message boundary; the loop never touches this flag,
                // but other application threads may read, hence the lock.
                lock.lock();
                try {
                    inMessage = false;
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /**
     * Leaves the stream: waits (briefly) until the publisher acknowledged every report,
     * tells it this receiver is leaving, and stops. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        long deadline = deadline(clock, CLOSE_LINGER);
        lock.lock();
        try {
            while (engine.state() == ReceiverEngine.State.ACTIVE && !engine.reportsAcknowledged()
                    && clock.nanoTime() < deadline) {
                try {
                    await(deadline, "report acknowledgements");
                } catch (IOException e) {
                    break;
                }
            }
            engine.leave(clock.nanoTime());
        } finally {
            lock.unlock();
        }
        wakeLoop();
        // Let one step send the LEAVE before the loop stops.
        lock.lock();
        try {
            changed.awaitNanos(Duration.ofMillis(200).toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
        stopLoop();
        subjectBinding.close();
        inboxBinding.close();
    }

    // ---------------------------------------------------------------- loop callbacks

    @Override
    void handleFrame(byte[] frame, long now) {
        engine.handleFrame(frame, now);
    }

    @Override
    long pollTimeout() {
        return engine.pollTimeout();
    }

    @Override
    void handleTimeout(long now) {
        engine.handleTimeout(now);
    }

    @Override
    FanoutTransmit pollTransmit(long now) {
        return engine.pollTransmit(now);
    }

    @Override
    void afterStep(long now) {
        while (engine.pollEvent() != null) {
            // State is read directly; events only wake waiters, which the loop does anyway.
        }
    }

    // ---------------------------------------------------------------- reading

    private void report(byte[] payload) throws IOException {
        lock.lock();
        try {
            long deadline = deadline(clock, readTimeout);
            while (!engine.report(payload)) {
                await(deadline, "room for a report");
            }
        } finally {
            lock.unlock();
        }
        wakeLoop();
    }

    private void checkFailed() throws IOException {
        if (engine.state() == ReceiverEngine.State.FAILED) {
            throw new IOException("receiver on " + engine.subject() + " failed: " + Publisher.describe(engine.failure()));
        }
    }

    /** @return the next chunk, or null at the end of the stream; called under the lock */
    private FanoutChunk nextChunk(long deadline) throws IOException {
        while (true) {
            FanoutChunk c = engine.pollChunk(clock.nanoTime());
            if (c != null) {
                wakeLoop();
                return c;
            }
            if (engine.isEndOfStream()) {
                return null;
            }
            checkFailed();
            await(deadline, "data on " + engine.subject());
        }
    }

    /** Reads the next whole message into {@code out}; false at the end of the stream. */
    private boolean readMessage(OutputStream out, long limit) throws IOException {
        long deadline = deadline(clock, readTimeout);
        long got = 0;
        lock.lock();
        try {
            while (true) {
                FanoutChunk c = current != null ? current : nextChunk(deadline);
                if (c == null) {
                    return false;
                }
                int off = current != null ? currentOffset : 0;
                current = null;
                if (c.startOfMessage() && off == 0) {
                    inMessage = true;
                    got = 0;
                    if (out instanceof ByteArrayOutputStream b) {
                        b.reset();
                    }
                }
                if (!inMessage) {
                    continue;
                }
                got += c.payload().length - off;
                if (got > limit) {
                    throw new IOException("message larger than " + limit + " bytes where a small one was expected");
                }
                out.write(c.payload(), off, c.payload().length - off);
                if (c.endOfMessage()) {
                    inMessage = false;
                    return true;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Reads the content message of a file, hashing it; returns its length. */
    private long readContent(OutputStream out, Blake2b256 hash, long expected) throws IOException {
        long deadline = deadline(clock, readTimeout);
        long size = 0;
        while (true) {
            FanoutChunk c;
            lock.lock();
            try {
                c = nextChunk(deadline);
            } finally {
                lock.unlock();
            }
            if (c == null) {
                throw new IOException("the stream ended inside a file");
            }
            if (c.startOfMessage() != (size == 0)) {
                throw new IOException("file content out of step with its header");
            }
            size += c.payload().length;
            if (size > expected) {
                throw new IOException("file content longer than its header said");
            }
            hash.update(c.payload(), 0, c.payload().length);
            out.write(c.payload());
            if (c.endOfMessage()) {
                return size;
            }
            deadline = deadline(clock, readTimeout);
        }
    }

    /** The stream's bytes, message boundaries ignored. */
    private final class SubscriptionInput extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            long deadline = deadline(clock, readTimeout);
            lock.lock();
            try {
                if (current == null) {
                    current = nextChunk(deadline);
                    currentOffset = 0;
                    if (current == null) {
                        return -1;
                    }
                }
                int n = Math.min(len, current.payload().length - currentOffset);
                System.arraycopy(current.payload(), currentOffset, b, off, n);
                currentOffset += n;
                if (currentOffset == current.payload().length) {
                    current = null;
                }
                return n;
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * A file stored by {@link #receiveFile(Path)}.
     *
     * @param path where it is
     * @param name its name
     * @param size its size
     * @param blake2b256 its verified BLAKE2b-256, hex
     * @param duration from the call to the file being stored
     */
    public record ReceivedFile(Path path, String name, long size, String blake2b256, Duration duration) {
    }

    /** Settings of a subscription before it opens. */
    public static final class Builder extends FanoutBuilder<Builder, Subscription> {
        private Builder(Network network, String subject) {
            super(network, subject);
        }

        @Override
        Builder self() {
            return this;
        }

        /**
         * @return the open subscription
         * @throws IOException if its inbox cannot be bound
         */
        @Override
        public Subscription open() throws IOException {
            return new Subscription(network, subject, inbox, config, clock);
        }
    }
}
