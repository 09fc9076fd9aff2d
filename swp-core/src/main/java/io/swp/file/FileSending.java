package io.swp.file;

import io.swp.Session;
import io.swp.hash.Blake2b;
import io.swp.hash.Blake2b256;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The sending side of one file on one session (protocol version 2), resuming where the
 * receiver says it holds a matching partial.
 *
 * <p>When the receiver offers to resume at {@code K}, the sender must still hash the
 * whole file (the trailer carries the digest of every byte) and check that the
 * receiver's first {@code K} bytes are its own. It does both on a second thread that
 * reads the file from the start while this thread already sends from {@code K}: the
 * first new byte leaves after one round trip whatever {@code K} is. If the receiver's
 * prefix digest turns out different, this thread sends RESTART and the whole file
 * (see docs/files.md).
 */
final class FileSending {
    private static final int NO_MODE = -1;

    private FileSending() {
    }

    static FileTransferStats send(Session session, Path file, FileSender.Listener listener) throws IOException {
        Objects.requireNonNull(file, "file");
        String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        if (!Files.isRegularFile(file)) {
            throw new FileTransferException(FileTransferException.Kind.LOCAL, name, -1, -1,
                    file + " is not a regular file", null);
        }
        try {
            FileTransfer.checkSafeName(name);
        } catch (IOException e) {
            throw new FileTransferException(FileTransferException.Kind.LOCAL, name, -1, -1, e.getMessage(), e);
        }
        FileIdentity identity;
        try {
            identity = FileIdentity.of(file);
        } catch (IOException e) {
            throw local(name, -1, "cannot read " + file + ": " + e.getMessage(), e);
        }
        long size = identity.size();
        listener.started(name, size, session);
        long start = System.nanoTime();
        long retransmitsBefore = session.stats().retransmits();
        Attempt a = new Attempt(session, file, name, identity, listener);
        try {
            session.sendMessage(FileProtocol.header(name, size, modeOf(file), identity));
            return a.run(start, retransmitsBefore);
        } catch (FileTransferException e) {
            throw e;
        } catch (IOException e) {
            throw new FileTransferException(FileTransferException.Kind.INTERRUPTED, name, a.position, size,
                    "transfer of " + name + " to " + session.remoteInbox() + " interrupted at " + a.position + " of "
                            + size + " bytes (about " + a.acknowledged + " acknowledged): " + e.getMessage(), e);
        } finally {
            a.stopHashing();
        }
    }

    /** A point where a test can act (here: make hashing slow); a no-op in production. */
    interface TestHooks {
        /** The hashing thread has read the whole file and is about to finish the digest. */
        default void wholeFileHashed() {
        }
    }

    /** Set by tests only. */
    static volatile TestHooks testHooks = new TestHooks() {
    };

    /** A step that may fail with an IOException. */
    @FunctionalInterface
    private interface IoRunnable {
        void run() throws IOException;
    }

    private static FileTransferException local(String name, long position, String message, Throwable cause) {
        return new FileTransferException(FileTransferException.Kind.LOCAL, name, position, -1, message, cause);
    }

    /** One file's exchange; {@link #position} is read by the caller when it fails. */
    private static final class Attempt {
        private final Session session;
        private final Path file;
        private final String name;
        private final FileIdentity identity;
        private final FileSender.Listener listener;
        private final long size;
        private volatile long position;
        /**
         * Content bytes the receiver's transport has acknowledged, as last sampled: a
         * lower bound, within one byte per chunk (each DATA message has a type byte).
         */
        private volatile long acknowledged;
        private PrefixHasher hasher;

        Attempt(Session session, Path file, String name, FileIdentity identity, FileSender.Listener listener) {
            this.session = session;
            this.file = file;
            this.name = name;
            this.identity = identity;
            this.listener = listener;
            this.size = identity.size();
        }

        FileTransferStats run(long start, long retransmitsBefore) throws IOException {
            byte[] reply = session.receiveMessage(FileTransfer.MAX_PROTOCOL_MESSAGE_BYTES);
            if (reply == null || reply.length == 0) {
                throw new FileTransferException(FileTransferException.Kind.INTERRUPTED, name, 0, size,
                        "receiver " + session.remoteInbox() + " closed before accepting " + name, null);
            }
            if (reply[0] == FileProtocol.ERROR) {
                throw refusal(reply, "refused");
            }
            if (reply[0] == FileProtocol.VERIFIED) {
                return alreadyStored(reply, start, retransmitsBefore);
            }
            if (reply[0] != FileProtocol.READY) {
                throw protocolViolation("answered " + name + " with an unknown message type " + (reply[0] & 0xff));
            }
            FileProtocol.Ready ready = FileProtocol.parseReady(reply);
            long offset = ready.offset();
            if (offset < 0 || offset > size) {
                throw protocolViolation("asked to resume " + name + " at " + offset + " of " + size + " bytes");
            }
            if (!ready.note().isEmpty()) {
                listener.discarded(name, ready.note());
            }
            Blake2b256 inline = null;
            if (offset > 0) {
                listener.resumed(name, offset, size);
                hasher = PrefixHasher.start(file, name, size, offset, ready.prefixHash());
            } else {
                inline = Blake2b.newBlake2b256();
            }
            boolean restarted = sendContent(offset, inline);
            byte[] hash;
            if (hasher == null) {
                hash = inline.digest();
            } else {
                if (!restarted && !hasher.prefixMatches(this::stillHashing)) {
                    restart();
                    sendContent(0, null);
                    restarted = true;
                }
                hash = hasher.whole(this::stillHashing);
            }
            boolean unchanged;
            try {
                unchanged = identity.unchanged(file);
            } catch (IOException e) {
                throw local(name, position, "cannot read " + file + ": " + e.getMessage(), e);
            }
            if (!unchanged) {
                session.abort();
                throw new FileTransferException(FileTransferException.Kind.FAILED, name, position, size,
                        file + " changed while being sent; transfer aborted", null);
            }
            session.sendMessage(FileProtocol.withDigest(FileProtocol.TRAILER, hash));

            byte[] verdict = session.receiveMessage(FileTransfer.MAX_PROTOCOL_MESSAGE_BYTES);
            if (verdict == null || verdict.length == 0) {
                throw new FileTransferException(FileTransferException.Kind.INTERRUPTED, name, position, size,
                        "receiver " + session.remoteInbox() + " closed before confirming " + name, null);
            }
            if (verdict[0] == FileProtocol.ERROR) {
                throw refusal(verdict, "rejected");
            }
            byte[] confirmed = FileProtocol.digestOf(verdict);
            if (verdict[0] != FileProtocol.VERIFIED || confirmed == null || !MessageDigest.isEqual(hash, confirmed)) {
                throw protocolViolation("sent an invalid confirmation for " + name);
            }
            long retransmits = session.stats().retransmits() - retransmitsBefore;
            return new FileTransferStats(name, size, Duration.ofNanos(System.nanoTime() - start), retransmits,
                    HexFormat.of().formatHex(hash), restarted ? 0 : offset);
        }

        /**
         * Sends DATA from {@code from} to the end, switching to a RESTART and the whole
         * file as soon as the hashing thread finds the receiver's prefix different.
         *
         * @param inline digest to update with every byte sent, or null when the hasher computes it
         * @return whether it restarted
         */
        private boolean sendContent(long from, Blake2b256 inline) throws IOException {
            int chunk = FileTransfer.contentBytesPerChunk(session.config().maxPayloadBytes());
            byte[] buf = new byte[1 + chunk];
            buf[0] = FileProtocol.DATA;
            // The file is read into native memory and hashed there: reading into an array
            // would make the channel copy through a native buffer of its own, and the hash
            // copy the array into native memory again.
            ByteBuffer direct = FileTransfer.chunkBuffer();
            boolean restarted = false;
            FileChannel opened;
            try {
                opened = FileChannel.open(file, StandardOpenOption.READ);
            } catch (IOException e) {
                throw local(name, from, "cannot read " + file + ": " + e.getMessage(), e);
            }
            try (FileChannel ch = opened) {
                long pos = from;
                position = pos;
                acknowledged = pos;
                long base = streamAcknowledged();
                long baseContent = pos;
                while (pos < size) {
                    if (hasher != null && !restarted && from > 0 && hasher.prefixKnownDifferent()) {
                        restart();
                        restarted = true;
                        pos = 0;
                        position = 0;
                        acknowledged = 0;
                        base = streamAcknowledged();
                        baseContent = 0;
                    }
                    int want = (int) Math.min(chunk, size - pos);
                    int n = readFully(ch, direct, want, pos);
                    if (n < want) {
                        session.abort();
                        throw new FileTransferException(FileTransferException.Kind.FAILED, name, pos + n, size,
                                file + " shrank while being sent (" + (pos + n) + " of " + size
                                        + " bytes); transfer aborted", null);
                    }
                    if (inline != null) {
                        inline.update(direct.flip());
                    }
                    direct.get(0, buf, 1, n);
                    session.sendMessage(buf, 0, 1 + n);
                    pos += n;
                    position = pos;
                    long streamBytes = streamAcknowledged() - base;
                    acknowledged = Math.min(pos, baseContent + streamBytes - (streamBytes + chunk) / (1 + chunk));
                }
            }
            return restarted;
        }

        /** @return stream bytes the peer has acknowledged on this session so far */
        private long streamAcknowledged() {
            io.swp.protocol.EngineStats st = session.stats();
            return st.payloadBytesSent() - st.inFlightBytes();
        }

        /** Reads up to {@code want} bytes at {@code pos} into {@code b} (cleared first); fewer only at the end. */
        private int readFully(FileChannel ch, ByteBuffer b, int want, long pos) throws FileTransferException {
            b.clear().limit(want);
            try {
                while (b.hasRemaining()) {
                    if (ch.read(b, pos + b.position()) < 0) {
                        break;
                    }
                }
            } catch (IOException e) {
                throw local(name, pos, "cannot read " + file + ": " + e.getMessage(), e);
            }
            return b.position();
        }

        /**
         * Tells the receiver that the sender is alive and hashing (all data may have been
         * sent while the hash of a large file is still being computed), so its idle
         * timeout does not drop the transfer.
         */
        private void stillHashing() throws IOException {
            session.sendMessage(new byte[] {FileProtocol.STILL_HASHING});
        }

        private void restart() throws IOException {
            String why = "the receiver's first " + hasher.offset + " bytes of " + name
                    + " differ from the sender's file; sending it from 0";
            listener.discarded(name, why);
            session.sendMessage(FileProtocol.restart(why));
        }

        private FileTransferStats alreadyStored(byte[] reply, long start, long retransmitsBefore) throws IOException {
            byte[] theirs = FileProtocol.digestOf(reply);
            Blake2b256 d = Blake2b.newBlake2b256();
            byte[] buf = new byte[1 << 20];
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                for (long pos = 0; pos < size; ) {
                    int n = ch.read(ByteBuffer.wrap(buf), pos);
                    if (n < 0) {
                        break;
                    }
                    d.update(buf, 0, n);
                    pos += n;
                }
            } catch (IOException e) {
                throw local(name, -1, "cannot read " + file + ": " + e.getMessage(), e);
            }
            byte[] ours = d.digest();
            if (theirs == null || !MessageDigest.isEqual(ours, theirs)) {
                throw new FileTransferException(FileTransferException.Kind.REFUSED, name, 0, size,
                        "receiver " + session.remoteInbox() + " already holds a different " + name, null);
            }
            position = size;
            return new FileTransferStats(name, size, Duration.ofNanos(System.nanoTime() - start),
                    session.stats().retransmits() - retransmitsBefore, HexFormat.of().formatHex(ours), size);
        }

        private FileTransferException refusal(byte[] error, String verb) {
            FileTransferException.Kind kind;
            switch (FileProtocol.errorCode(error)) {
                case FileProtocol.CODE_BUSY:
                    kind = FileTransferException.Kind.BUSY;
                    break;
                case FileProtocol.CODE_FAILED:
                    kind = FileTransferException.Kind.FAILED;
                    break;
                default:
                    kind = FileTransferException.Kind.REFUSED;
            }
            return new FileTransferException(kind, name, position, size, "receiver " + session.remoteInbox() + " "
                    + verb + " " + name + ": " + FileProtocol.errorReason(error), null);
        }

        private FileTransferException protocolViolation(String what) {
            session.abort();
            return new FileTransferException(FileTransferException.Kind.REFUSED, name, position, size,
                    "receiver " + session.remoteInbox() + " " + what, null);
        }

        void stopHashing() {
            if (hasher != null) {
                hasher.cancel();
            }
        }
    }

    /**
     * Hashes the file from its first byte on its own thread: the digest of the first
     * {@code offset} bytes (compared with the receiver's) and of the whole file.
     */
    private static final class PrefixHasher implements Runnable {
        private static final int READ_BYTES = 1 << 20;
        private static final long STILL_HASHING_EVERY_MILLIS = 100;

        private final Path file;
        private final long size;
        private final long offset;
        private final byte[] expectedPrefix;
        private final CompletableFuture<Boolean> prefix = new CompletableFuture<>();
        private final CompletableFuture<byte[]> whole = new CompletableFuture<>();
        private volatile boolean cancelled;

        private PrefixHasher(Path file, long size, long offset, byte[] expectedPrefix) {
            this.file = file;
            this.size = size;
            this.offset = offset;
            this.expectedPrefix = expectedPrefix;
        }

        static PrefixHasher start(Path file, String name, long size, long offset, byte[] expectedPrefix) {
            PrefixHasher h = new PrefixHasher(file, size, offset, expectedPrefix);
            Thread t = new Thread(h, "swp-hash-" + name);
            t.setDaemon(true);
            t.start();
            return h;
        }

        @Override
        public void run() {
            try {
                Blake2b256 d = Blake2b.newBlake2b256();
                byte[] buf = new byte[READ_BYTES];
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                    long pos = 0;
                    while (pos < size && !cancelled) {
                        long stop = pos < offset ? offset : size;
                        int want = (int) Math.min(buf.length, stop - pos);
                        int n = ch.read(ByteBuffer.wrap(buf, 0, want), pos);
                        if (n < 0) {
                            throw new IOException(file + " shrank while being hashed (" + pos + " of " + size + " bytes)");
                        }
                        d.update(buf, 0, n);
                        pos += n;
                        if (pos == offset) {
                            prefix.complete(MessageDigest.isEqual(d.copy().digest(), expectedPrefix));
                        }
                    }
                }
                if (cancelled) {
                    throw new IOException("cancelled");
                }
                testHooks.wholeFileHashed();
                whole.complete(d.digest());
            } catch (IOException | RuntimeException e) {
                prefix.completeExceptionally(e);
                whole.completeExceptionally(e);
            }
        }

        /** @return whether the prefix digest is known and differs (never blocks) */
        boolean prefixKnownDifferent() {
            return prefix.isDone() && !prefix.isCompletedExceptionally() && !prefix.join();
        }

        boolean prefixMatches(IoRunnable whileWaiting) throws IOException {
            return get(prefix, whileWaiting);
        }

        byte[] whole(IoRunnable whileWaiting) throws IOException {
            return get(whole, whileWaiting);
        }

        /** Waits for {@code f}, running {@code whileWaiting} every {@link #STILL_HASHING_EVERY_MILLIS}. */
        private <T> T get(CompletableFuture<T> f, IoRunnable whileWaiting) throws IOException {
            try {
                while (true) {
                    try {
                        return f.get(STILL_HASHING_EVERY_MILLIS, TimeUnit.MILLISECONDS);
                    } catch (TimeoutException e) {
                        whileWaiting.run();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while hashing " + file);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                throw new FileTransferException(FileTransferException.Kind.LOCAL, file.getFileName().toString(), -1,
                        size, "cannot hash " + file + ": " + c.getMessage(), c);
            }
        }

        void cancel() {
            cancelled = true;
        }
    }

    static int modeOf(Path file) {
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (view == null) {
            return NO_MODE;
        }
        try {
            int mode = 0;
            for (PosixFilePermission p : view.readAttributes().permissions()) {
                mode |= 1 << (8 - p.ordinal());
            }
            return mode;
        } catch (IOException e) {
            return NO_MODE;
        }
    }
}
