package io.swp;

import io.swp.fanout.FanoutCodec;
import io.swp.fanout.FanoutConfig;
import io.swp.fanout.FanoutTransmit;
import io.swp.fanout.PublisherEngine;
import io.swp.fanout.PublisherEvent;
import io.swp.fanout.ReceiverInfo;
import io.swp.hash.Blake2b;
import io.swp.hash.Blake2b256;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes one stream on a subject to every {@link Subscription} of it: each frame is
 * published once, receivers NACK what they miss, and repairs go back on the subject or
 * to the one receiver that needs them (see {@link PublisherEngine} and docs/fanout.md).
 *
 * <p>A publisher owns an inbox (where receivers join, report and NACK) and one loop
 * thread. Data is sent as a byte stream ({@link #getOutputStream()}), as messages
 * ({@link #sendMessage(byte[])}) or as files ({@link #sendFile(Path)}); all three block
 * while the backlog is full, that is, while the slowest active receiver cannot take
 * more, until {@link #writeTimeout(Duration) the write timeout}. {@link #finish()} ends
 * the stream; {@link #awaitComplete(Duration)} waits until every member has all of it.
 * Receivers that fall behind beyond the configured bounds are cut off and reported
 * ({@link #cutOff()}), never allowed to stall the rest.
 *
 * <p>Memory is bounded by the backlog ({@link FanoutConfig#backlogFrames()},
 * {@link FanoutConfig#backlogBytes()}) plus the loop's inbound queue. Thread-safe.
 */
public final class Publisher extends FanoutLoop {
    private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Marks the header message of a file in the stream. */
    static final String FILE_MAGIC = "swp-fanout-file";
    /** Bytes of a file read and published per write. */
    static final int FILE_CHUNK = 256 * 1024;

    private final PublisherEngine engine;
    private final Network.InboxBinding binding;
    private final Map<Long, Member> members = new LinkedHashMap<>();
    private final List<PublishedFile> files = new ArrayList<>();
    private volatile Duration writeTimeout = Duration.ofMinutes(5);
    private PublisherOutput output;

    /** What the publisher knows of one receiver, past or present. */
    private static final class Member {
        final long nonce;
        final String inbox;
        final Map<Long, byte[]> confirmed = new LinkedHashMap<>();
        boolean complete;
        boolean left;
        String cutOff;

        Member(long nonce, String inbox) {
            this.nonce = nonce;
            this.inbox = inbox;
        }
    }

    private Publisher(Network network, String subject, String inbox, FanoutConfig config, Clock clock)
            throws IOException {
        super(network, clock, "swp-publisher-" + subject);
        int maxPayload = Math.min(config.maxPayloadBytes(), network.maxFrameSize() - FanoutCodec.MAX_OVERHEAD_BYTES);
        if (maxPayload < 1) {
            throw new IOException("the network's frames (" + network.maxFrameSize() + " bytes) are too small");
        }
        long stream;
        do {
            stream = RANDOM.nextLong();
        } while (stream == 0);
        String own = inbox != null ? inbox : subject + ".pub." + Long.toHexString(stream);
        this.engine = new PublisherEngine(config.toBuilder().maxPayloadBytes(maxPayload).build(), subject, own, stream,
                clock.nanoTime());
        this.binding = network.bind(own, this::onFrame);
        start();
    }

    /**
     * Opens a publisher with the default settings.
     *
     * @param network the network (NATS, simulated, in memory)
     * @param subject the subject to publish on
     * @return the publisher, already announcing itself with heartbeats
     * @throws IOException if the publisher's inbox cannot be bound
     */
    public static Publisher open(Network network, String subject) throws IOException {
        return builder(network, subject).open();
    }

    /**
     * @param network the network
     * @param subject the subject to publish on
     * @return a builder
     */
    public static Builder builder(Network network, String subject) {
        return new Builder(network, subject);
    }

    /** @return the subject */
    public String subject() {
        return engine.subject();
    }

    /** @return the publisher's own inbox */
    public String inbox() {
        return engine.inbox();
    }

    /**
     * Sets how long a write may block for room in the backlog (default 5 minutes).
     *
     * @param timeout the timeout
     */
    public void writeTimeout(Duration timeout) {
        this.writeTimeout = Objects.requireNonNull(timeout, "timeout");
    }

    /**
     * Waits until at least {@code n} receivers are members.
     *
     * @param n how many
     * @param timeout how long to wait
     * @throws IOException on timeout ({@link java.net.SocketTimeoutException}) or if closed
     */
    public void awaitReceivers(int n, Duration timeout) throws IOException {
        long deadline = deadline(clock, timeout);
        lock.lock();
        try {
            while (engine.memberCount() < n) {
                await(deadline, n + " receivers (" + engine.memberCount() + " joined)");
            }
        } finally {
            lock.unlock();
        }
    }

    /** @return the current members */
    public List<ReceiverInfo> receivers() {
        lock.lock();
        try {
            return engine.receivers();
        } finally {
            lock.unlock();
        }
    }

    /** @return one line per receiver that was cut off, with the reason */
    public List<String> cutOff() {
        lock.lock();
        try {
            List<String> out = new ArrayList<>();
            for (Member m : members.values()) {
                if (m.cutOff != null) {
                    out.add(m.inbox + ": " + m.cutOff);
                }
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Publishes a message; receivers get it whole ({@link Subscription#receiveMessage()}).
     *
     * @param message the message, not empty
     * @throws IOException on write timeout or if closed
     */
    public void sendMessage(byte[] message) throws IOException {
        if (message.length == 0) {
            throw new IllegalArgumentException("empty message");
        }
        write(message, 0, message.length, true);
    }

    /** @return a stream whose bytes go to every receiver; {@code close()} calls {@link #finish()} */
    public synchronized OutputStream getOutputStream() {
        if (output == null) {
            output = new PublisherOutput();
        }
        return output;
    }

    /**
     * Publishes a file: a header (name, size), the content and its BLAKE2b-256. Each
     * receiver verifies the digest, stores the file and reports the digest back
     * ({@link #awaitConfirmations(int, Duration)}). Memory use does not depend on the
     * file's size.
     *
     * @param file the file
     * @return what was published
     * @throws IOException if the file cannot be read, on write timeout, or if closed
     */
    public PublishedFile sendFile(Path file) throws IOException {
        String name = file.getFileName().toString();
        io.swp.file.FileTransfer.checkSafeName(name);
        long size = Files.size(file);
        long index;
        lock.lock();
        try {
            index = files.size();
            files.add(null);
        } finally {
            lock.unlock();
        }
        byte[] header = FanoutFiles.header(index, name, size);
        write(header, 0, header.length, true);
        Blake2b256 hash = Blake2b.newBlake2b256();
        long sent = 0;
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[FILE_CHUNK];
            int n;
            while (sent < size && (n = in.readNBytes(buf, 0, (int) Math.min(buf.length, size - sent))) > 0) {
                hash.update(buf, 0, n);
                sent += n;
                write(buf, 0, n, sent == size);
            }
        }
        if (sent != size) {
            throw new IOException(file + " changed while it was being sent: " + sent + " of " + size + " bytes");
        }
        byte[] digest = hash.digest();
        byte[] trailer = FanoutFiles.trailer(index, digest);
        write(trailer, 0, trailer.length, true);
        PublishedFile published = new PublishedFile(index, name, size, HexFormat.of().formatHex(digest));
        lock.lock();
        try {
            files.set((int) index, published);
        } finally {
            lock.unlock();
        }
        return published;
    }

    /**
     * Ends the stream; blocks while the backlog is full.
     *
     * @throws IOException on write timeout or if closed
     */
    public void finish() throws IOException {
        flushOutput();
        long deadline = deadline(clock, writeTimeout);
        lock.lock();
        try {
            while (!engine.finish(clock.nanoTime())) {
                await(deadline, "room for the end of the stream");
            }
        } finally {
            lock.unlock();
        }
        wakeLoop();
    }

    /**
     * Waits until the stream is finished and every member has all of it.
     *
     * @param timeout how long to wait
     * @throws IOException on timeout or if closed
     */
    public void awaitComplete(Duration timeout) throws IOException {
        long deadline = deadline(clock, timeout);
        lock.lock();
        try {
            while (!(engine.isComplete() && engine.isAllPublished())) {
                await(deadline, "every receiver to complete");
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until every member has confirmed the first {@code count} files with their
     * verified digest, or has left or been cut off, and returns each receiver's outcome.
     *
     * @param count how many files
     * @param timeout how long to wait
     * @return one outcome per receiver that was ever a member, in order of joining
     * @throws IOException if closed; a timeout is not an error here: the outcomes say who is missing
     */
    public List<ReceiverOutcome> awaitConfirmations(int count, Duration timeout) throws IOException {
        long deadline = deadline(clock, timeout);
        lock.lock();
        try {
            while (!allConfirmed(count) && clock.nanoTime() < deadline) {
                try {
                    await(deadline, "confirmations");
                } catch (java.net.SocketTimeoutException e) {
                    break;
                }
            }
            List<ReceiverOutcome> out = new ArrayList<>();
            for (Member m : members.values()) {
                int ok = 0;
                String problem = m.cutOff;
                for (int i = 0; i < count; i++) {
                    byte[] d = m.confirmed.get((long) i);
                    PublishedFile f = i < files.size() ? files.get(i) : null;
                    if (d == null) {
                        continue;
                    }
                    if (f != null && f.blake2b256().equals(HexFormat.of().formatHex(d))) {
                        ok++;
                    } else if (problem == null) {
                        problem = "reported a different BLAKE2b-256 for file " + i;
                    }
                }
                if (problem == null && m.left && ok < count) {
                    problem = "left before confirming every file";
                }
                out.add(new ReceiverOutcome(m.inbox, ok, count, problem));
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    private boolean allConfirmed(int count) {
        for (Member m : members.values()) {
            if (m.cutOff == null && !m.left && m.confirmed.size() < count) {
                return false;
            }
        }
        return true;
    }

    /** @return the publisher's counters */
    public String stats() {
        lock.lock();
        try {
            return engine.stats() + "; inbound dropped " + inboundDropped() + ", send failures " + sendFailures();
        } finally {
            lock.unlock();
        }
    }

    /** @return bytes of frames published on the subject so far */
    public long subjectBytes() {
        lock.lock();
        try {
            return engine.stats().subjectBytes();
        } finally {
            lock.unlock();
        }
    }

    /** @return bytes of frames sent to single receivers so far */
    public long unicastBytes() {
        lock.lock();
        try {
            return engine.stats().unicastBytes();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops at once: the loop ends and the inbox is unbound. Receivers that have not
     * finished will see a silent publisher. Call {@link #finish()} and
     * {@link #awaitComplete(Duration)} first to end cleanly.
     */
    @Override
    public void close() {
        stopLoop();
        binding.close();
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
        PublisherEvent e;
        while ((e = engine.pollEvent()) != null) {
            Member m = members.get(e.receiver());
            switch (e.type()) {
                case JOINED -> {
                    members.put(e.receiver(), new Member(e.receiver(), e.inbox()));
                    LOG.debug("{}: {} joined", engine.subject(), e.inbox());
                }
                case COMPLETE -> {
                    if (m != null) {
                        m.complete = true;
                    }
                }
                case REPORT -> {
                    if (m != null) {
                        FanoutFiles.Confirmation c = FanoutFiles.parseConfirmation(e.payload());
                        if (c != null) {
                            m.confirmed.put(c.index(), c.digest());
                        }
                    }
                }
                case LEFT -> {
                    if (m != null) {
                        m.left = true;
                    }
                    LOG.debug("{}: {} left", engine.subject(), e.inbox());
                }
                case CUT_OFF -> {
                    if (m != null) {
                        m.cutOff = "cut off: " + describe(e.reason());
                    }
                    LOG.info("{}: receiver {} cut off: {}", engine.subject(), e.inbox(), describe(e.reason()));
                }
                default -> {
                }
            }
        }
    }

    static String describe(io.swp.fanout.LostReason r) {
        return switch (r) {
            case BACKLOG -> "a frame it needed had left the backlog";
            case CUT_OFF -> "it held the stream back longer than the stall bound";
            case SILENT -> "it was silent longer than the dead-receiver timeout";
            case FULL -> "the publisher had its maximum of receivers";
            case NOT_MEMBER -> "the publisher does not know it";
            case PUBLISHER_SILENT -> "the publisher was silent";
        };
    }

    // ---------------------------------------------------------------- writing

    private void write(byte[] b, int off, int len, boolean endOfMessage) throws IOException {
        long deadline = deadline(clock, writeTimeout);
        int done = 0;
        lock.lock();
        try {
            while (done < len) {
                checkOpen();
                int n = engine.write(b, off + done, len - done, endOfMessage, clock.nanoTime());
                done += n;
                if (n > 0) {
                    wakeLoop();
                } else {
                    await(deadline, "room in the backlog (a receiver is slow)");
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void flushOutput() throws IOException {
        PublisherOutput o;
        synchronized (this) {
            o = output;
        }
        if (o != null) {
            o.flush();
        }
    }

    /** A stream of the publisher's bytes, buffered into full frames. */
    private final class PublisherOutput extends OutputStream {
        private final byte[] buf = new byte[FILE_CHUNK];
        private int used;
        private boolean closedStream;

        @Override
        public synchronized void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (closedStream) {
                throw new IOException("stream closed");
            }
            while (len > 0) {
                int n = Math.min(len, buf.length - used);
                System.arraycopy(b, off, buf, used, n);
                used += n;
                off += n;
                len -= n;
                if (used == buf.length) {
                    flush();
                }
            }
        }

        @Override
        public synchronized void flush() throws IOException {
            if (used > 0) {
                Publisher.this.write(buf, 0, used, false);
                used = 0;
            }
        }

        @Override
        public synchronized void close() throws IOException {
            if (!closedStream) {
                flush();
                closedStream = true;
                finish();
            }
        }
    }

    /**
     * A file as published.
     *
     * @param index its index in this stream (0, 1, …)
     * @param name its name
     * @param size its size in bytes
     * @param blake2b256 its BLAKE2b-256, hex
     */
    public record PublishedFile(long index, String name, long size, String blake2b256) {
    }

    /**
     * What one receiver confirmed.
     *
     * @param inbox the receiver's inbox
     * @param confirmed how many files it confirmed with the right digest
     * @param expected how many files were asked about
     * @param problem why it did not confirm them all (cut off, wrong digest), or null
     */
    public record ReceiverOutcome(String inbox, int confirmed, int expected, String problem) {
        /** @return whether the receiver confirmed every file */
        public boolean ok() {
            return problem == null && confirmed == expected;
        }
    }

    /** Settings of a publisher before it opens. */
    public static final class Builder extends FanoutBuilder<Builder, Publisher> {
        private Builder(Network network, String subject) {
            super(network, subject);
        }

        @Override
        Builder self() {
            return this;
        }

        /**
         * @return the open publisher
         * @throws IOException if its inbox cannot be bound
         */
        @Override
        public Publisher open() throws IOException {
            return new Publisher(network, subject, inbox, config, clock);
        }
    }
}
