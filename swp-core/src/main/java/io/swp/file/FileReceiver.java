package io.swp.file;

import io.swp.Session;
import io.swp.hash.Blake2b;
import io.swp.hash.Blake2b256;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives files into one directory, with the receiver's policy: resume, size and space
 * limits, an idle timeout, checkpoints, and the lifetime and disk bound of partials. One
 * instance may serve many sessions at once (one thread each).
 *
 * <pre>{@code
 * FileReceiver receiver = FileReceiver.builder(Path.of("/data/in"))
 *         .maxFileBytes(8L << 30)
 *         .idleTimeout(Duration.ofSeconds(60))
 *         .build();
 * ReceivedFile f = receiver.receive(session);   // null when the sender has finished
 * }</pre>
 *
 * <p>Resumable transfers (protocol version 2, {@link Builder#resume} on, the default)
 * write into {@code .swp-KEY.part}, KEY derived from the name, and keep a record
 * {@code .swp-KEY.resume} of how many bytes are durable. Every
 * {@link Builder#checkpointBytes} the data is fsynced and the record rewritten with the
 * BLAKE2b state at that point; when a transfer is interrupted (session failed, sender
 * gone, idle timeout) the receiver checkpoints what it has and keeps the partial. When
 * the same file (same size, modification time and first chunk) is offered again, it
 * continues from the durable bytes; any other version starts from 0, and the one line
 * saying why goes to the {@link Listener} and to the sender. docs/files.md has the
 * design, the lifetime of partials and the cleanup rules.
 */
public final class FileReceiver {
    /** Default for {@link Builder#checkpointBytes}. */
    public static final long DEFAULT_CHECKPOINT_BYTES = 16L << 20;
    /** Default for {@link Builder#idleTimeout}. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    /** Default for {@link Builder#partialLifetime}. */
    public static final Duration DEFAULT_PARTIAL_LIFETIME = Duration.ofDays(7);
    /** Default for {@link Builder#maxPartialBytes}. */
    public static final long DEFAULT_MAX_PARTIAL_BYTES = 64L << 30;
    /**
     * How old a {@code .swp-*} file without a usable record must be before cleanup removes
     * it (a transfer in progress writes its record at once and touches its files all the
     * time; an hour-old one is a leftover).
     */
    public static final Duration ORPHAN_GRACE = Duration.ofHours(1);

    private static final Logger LOG = LoggerFactory.getLogger(FileReceiver.class);
    /** How long the receiver waits for the transport to confirm VERIFIED reached the sender. */
    private static final Duration CONFIRM_WAIT = Duration.ofSeconds(10);
    /** How long a stale transfer from the same sender gets to checkpoint and let go. */
    private static final Duration TAKEOVER_WAIT = Duration.ofSeconds(10);
    /** Least time between two automatic cleanups of one directory. */
    private static final long CLEANUP_EVERY_NANOS = Duration.ofMinutes(1).toNanos();
    private static final int REHASH_READ_BYTES = 1 << 20;
    private static final Map<Path, Long> LAST_CLEANUP = new ConcurrentHashMap<>();
    private static final ExecutorService CHECKPOINTS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "swp-checkpoint");
        t.setDaemon(true);
        return t;
    });

    /**
     * What happens to files being received, for display. Called on the receiving thread
     * (one per session); every method does nothing by default. {@link #LOGGING} logs each
     * event at INFO.
     */
    public interface Listener {
        /** Logs every event through SLF4J at INFO (the default listener). */
        Listener LOGGING = new Listener() {
            @Override
            public void resumed(String name, String from, long offset, long size) {
                LOG.info("continuing {} from {} at {} of {}", name, from, offset, size);
            }

            @Override
            public void discarded(String name, String from, String reason) {
                LOG.info("{}", reason);
            }

            @Override
            public void interrupted(FileTransferException e) {
                LOG.info("{}", e.getMessage());
            }
        };

        /**
         * A partial is being continued.
         *
         * @param name the file name
         * @param from the sender's inbox
         * @param offset bytes kept from earlier attempts
         * @param size the file's size
         */
        default void resumed(String name, String from, long offset, long size) {
        }

        /**
         * A partial was not continued: the file starts from 0.
         *
         * @param name the file name
         * @param from the sender's inbox
         * @param reason one line saying why (another version of the file, a damaged record
         *     or data file, the sender found the prefix different)
         */
        default void discarded(String name, String from, String reason) {
        }

        /**
         * A transfer stopped in the middle; with resume on, what arrived is kept.
         *
         * @param e what happened, with the file name, bytes kept and size
         */
        default void interrupted(FileTransferException e) {
        }
    }

    private final Path dir;
    private final boolean resume;
    private final boolean rehashOnResume;
    private final long maxFileBytes;
    private final long minFreeBytes;
    private final Duration idleTimeout;
    private final long checkpointBytes;
    private final Duration partialLifetime;
    private final long maxPartialBytes;
    private final Listener listener;

    private FileReceiver(Builder b) {
        this.dir = b.dir;
        this.resume = b.resume;
        this.rehashOnResume = b.rehashOnResume;
        this.maxFileBytes = b.maxFileBytes;
        this.minFreeBytes = b.minFreeBytes;
        this.idleTimeout = b.idleTimeout;
        this.checkpointBytes = b.checkpointBytes;
        this.partialLifetime = b.partialLifetime;
        this.maxPartialBytes = b.maxPartialBytes;
        this.listener = b.listener;
    }

    /**
     * @param dir an existing, writable directory
     * @return a receiver with the default policy
     */
    public static FileReceiver create(Path dir) {
        return builder(dir).build();
    }

    /**
     * @param dir an existing, writable directory
     * @return a builder with the default policy
     */
    public static Builder builder(Path dir) {
        return new Builder(dir);
    }

    /** @return the directory files are stored in */
    public Path directory() {
        return dir;
    }

    /**
     * Receives the next file from {@code session}. Waits at most the idle timeout for the
     * header and for each message after it; on a timeout the session is aborted.
     *
     * @param session an open session
     * @return the stored file, or null if the sender closed its side instead of sending one
     * @throws FileTransferException if the file was refused (unsafe name, exists, too large,
     *     not enough space, busy), did not verify, could not be stored, or the transfer was
     *     interrupted ({@link FileTransferException.Kind#INTERRUPTED}; with resume on, what
     *     arrived is kept for the next attempt); nothing appears under the final name
     * @throws IOException if {@code dir} is not a directory
     */
    public ReceivedFile receive(Session session) throws IOException {
        Objects.requireNonNull(session, "session");
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + " is not a directory");
        }
        Duration saved = session.getReadTimeout();
        session.setReadTimeout(idleTimeout);
        try {
            byte[] first;
            try {
                first = session.receiveMessage(FileTransfer.MAX_PROTOCOL_MESSAGE_BYTES);
            } catch (SocketTimeoutException e) {
                session.abort();
                throw new FileTransferException(FileTransferException.Kind.INTERRUPTED, null, -1, -1,
                        "no file header from " + session.remoteInbox() + " within " + seconds(idleTimeout)
                                + "; session aborted", e);
            } catch (FileTransferException e) {
                throw e;
            } catch (IOException e) {
                throw new FileTransferException(FileTransferException.Kind.INTERRUPTED, null, -1, -1,
                        "session from " + session.remoteInbox() + " failed before a file header: " + e.getMessage(), e);
            }
            if (first == null) {
                return null;
            }
            return new Reception(session, first).run();
        } finally {
            session.setReadTimeout(saved);
        }
    }

    /**
     * Applies the lifetime and disk bound to the partials in the directory: removes
     * records and data files older than {@link Builder#partialLifetime}, leftovers without
     * a usable record older than {@link #ORPHAN_GRACE}, and then the least recently
     * updated partials while all of them together exceed {@link Builder#maxPartialBytes}.
     * Partials in use (by this process, or locked by another) are left alone. Runs by
     * itself at most once a minute when a file arrives, and whenever a partial is kept.
     *
     * @return how many partials (data files or records) it removed
     * @throws IOException if the directory cannot be listed
     */
    public int cleanUp() throws IOException {
        LAST_CLEANUP.put(dir.toAbsolutePath().normalize(), System.nanoTime());
        synchronized (FileReceiver.class) {
            return PartialCleaner.clean(dir, partialLifetime, maxPartialBytes);
        }
    }

    private void maybeCleanUp() {
        Path key = dir.toAbsolutePath().normalize();
        Long last = LAST_CLEANUP.get(key);
        if (last != null && System.nanoTime() - last < CLEANUP_EVERY_NANOS) {
            return;
        }
        try {
            int removed = cleanUp();
            if (removed > 0) {
                LOG.info("removed {} stale partial file(s) from {}", removed, dir);
            }
        } catch (IOException e) {
            LOG.debug("cleanup of {} failed: {}", dir, e.toString());
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /** One file, from its header to the verdict. */
    private final class Reception {
        private final Session session;
        private final byte[] first;
        private final String from;
        private final long start = System.nanoTime();
        private int version = FileProtocol.VERSION_1;
        private String name;
        private long size;
        private FileProtocol.Header header;
        private Partial partial;
        private ActiveTransfers.Claim claim;
        private Checkpoints checkpoints;
        private long received;

        Reception(Session session, byte[] first) {
            this.session = session;
            this.first = first;
            this.from = session.remoteInbox();
        }

        ReceivedFile run() throws IOException {
            if (first.length > 1 && first[1] == FileProtocol.VERSION_2) {
                version = FileProtocol.VERSION_2;
            }
            try {
                header = FileProtocol.parseHeader(first);
                FileTransfer.checkSafeName(header.name());
            } catch (IOException e) {
                throw refuse(FileTransferException.Kind.REFUSED, e.getMessage(), null);
            }
            name = header.name();
            size = header.size();
            if (size > maxFileBytes) {
                throw refuse(FileTransferException.Kind.REFUSED, name + " is " + size
                        + " bytes, more than the " + maxFileBytes + " this receiver accepts", null);
            }
            Path target = dir.resolve(name);
            boolean resumable = resume && version >= FileProtocol.VERSION_2;
            partial = resumable ? Partial.forName(dir, name) : Partial.anonymous(dir);
            if (resumable) {
                maybeCleanUp();
            }
            FileStore store = null;
            try {
                store = Files.getFileStore(dir);
            } catch (IOException e) {
                LOG.debug("no file store for {}: {}", dir, e.toString());
            }
            try {
                claim = ActiveTransfers.claim(partial.key(), from, session, store, TAKEOVER_WAIT);
            } catch (ActiveTransfers.BusyException e) {
                throw refuse(FileTransferException.Kind.BUSY, name + " is busy: " + e.getMessage(), null);
            }
            try {
                return resumable ? resumable(target) : plain(target);
            } finally {
                partial.close();
                claim.release();
            }
        }

        /** Protocol version 1, or resume off: a fresh temporary file, deleted on any failure. */
        private ReceivedFile plain(Path target) throws IOException {
            refuseIfExists(target);
            checkSpace(size);
            try {
                partial.create();
            } catch (IOException e) {
                throw refuse(FileTransferException.Kind.FAILED, "receiver failed to store " + name + ": "
                        + e.getMessage(), e);
            }
            send(FileProtocol.ready(version, 0, null, ""));
            return content(target, Blake2b.newBlake2b256(), null);
        }

        private ReceivedFile resumable(Path target) throws IOException {
            String discardedBecause = null;
            PartialMeta meta = null;
            try {
                meta = partial.readMeta().orElse(null);
            } catch (PartialMeta.InvalidException e) {
                discardedBecause = "the record of the partial " + name + " cannot be used (" + e.getMessage() + ")";
            }
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                if (meta != null && meta.isVerified() && meta.identity().equals(header.identity())
                        && sameFile(target, meta.fileKey())) {
                    return confirmAgain(target, meta);
                }
                refuseIfExists(target);
            }
            Blake2b256 digest = null;
            long offset = 0;
            boolean existing;
            try {
                existing = partial.openOrCreate();
            } catch (ActiveTransfers.BusyException e) {
                throw refuse(FileTransferException.Kind.BUSY, name + " is busy: " + e.getMessage(), null);
            } catch (IOException e) {
                throw refuse(FileTransferException.Kind.FAILED, "receiver failed to store " + name + ": "
                        + e.getMessage(), e);
            }
            if (meta != null && existing) {
                String diff = meta.identity().differences(header.identity());
                if (diff != null) {
                    discardedBecause = "partial " + name + " is from another version of the file (" + diff + ")";
                } else {
                    try {
                        partial.checkContinuable(meta);
                        digest = digestAt(meta);
                        offset = meta.durable();
                    } catch (Partial.Unusable e) {
                        discardedBecause = "partial " + name + " cannot be continued: " + e.getMessage();
                    }
                }
            } else if (meta != null) {
                discardedBecause = "partial " + name + " cannot be continued: its data file is missing";
            }
            if (discardedBecause != null) {
                discardedBecause += "; starting from 0";
                listener.discarded(name, from, discardedBecause);
            }
            if (digest == null) {
                offset = 0;
                digest = Blake2b.newBlake2b256();
            }
            received = offset;
            try {
                checkSpace(size - offset);
            } catch (FileTransferException e) {
                if (offset == 0) {
                    partial.deleteAll();
                }
                throw e;
            }
            if (offset == 0) {
                try {
                    partial.restartAt(0);
                    long now = System.currentTimeMillis();
                    meta = new PartialMeta(name, header.identity(), header.mode(), from, 0, emptyDigest(), "",
                            new byte[0], partial.fileKey(), now, now, null);
                    partial.writeMeta(meta);
                    FileTransfer.syncDirectory(dir);
                } catch (IOException e) {
                    partial.deleteAll();
                    throw refuse(FileTransferException.Kind.FAILED, "receiver failed to store " + name + ": "
                            + e.getMessage(), e);
                }
            }
            send(FileProtocol.ready(version, offset, offset > 0 ? meta.prefixHash() : null,
                    discardedBecause == null ? "" : discardedBecause));
            if (offset > 0) {
                listener.resumed(name, from, offset, size);
            }
            checkpoints = new Checkpoints(partial, meta);
            return content(target, digest, meta);
        }

        /**
         * The digest of the partial's durable bytes: continued from the state in the
         * record when it fits (no pass over the data), else by reading them again; either
         * way it must equal the prefix digest in the record.
         */
        private Blake2b256 digestAt(PartialMeta meta) throws IOException {
            if (meta.durable() == 0) {
                return Blake2b.newBlake2b256();
            }
            if (!rehashOnResume) {
                Optional<Blake2b.Implementation> impl = Blake2b.Implementation.ofLabel(meta.stateImpl());
                if (impl.isPresent() && impl.get() == Blake2b.selected()) {
                    Optional<Blake2b256> d = Blake2b.importState(impl.get(), meta.state(), meta.durable());
                    if (d.isPresent() && MessageDigest.isEqual(d.get().copy().digest(), meta.prefixHash())) {
                        return d.get();
                    }
                    LOG.debug("the saved digest state of {} does not fit; hashing its {} bytes again", name,
                            meta.durable());
                }
            }
            long t0 = System.nanoTime();
            Blake2b256 d = Blake2b.newBlake2b256();
            FileChannel ch = partial.channel();
            byte[] buf = new byte[REHASH_READ_BYTES];
            for (long pos = 0; pos < meta.durable(); ) {
                int want = (int) Math.min(buf.length, meta.durable() - pos);
                int n = ch.read(ByteBuffer.wrap(buf, 0, want), pos);
                if (n < 0) {
                    throw new Partial.Unusable("its data file ended at " + pos + " bytes");
                }
                d.update(buf, 0, n);
                pos += n;
            }
            if (!MessageDigest.isEqual(d.copy().digest(), meta.prefixHash())) {
                throw new Partial.Unusable("its bytes do not match the digest recorded at its last checkpoint");
            }
            LOG.debug("re-hashed {} bytes of {} in {} ms", meta.durable(), name, (System.nanoTime() - t0) / 1_000_000);
            return d;
        }

        /** Streams DATA into the partial until the TRAILER; verifies; stores. */
        private ReceivedFile content(Path target, Blake2b256 digest, PartialMeta meta) throws IOException {
            boolean stored = false;
            boolean keep = false;
            try {
                byte[] trailer = null;
                claim.remaining = size - received;
                // DATA lands in native memory once, straight from the received frames; it is
                // hashed and written from there (no array per chunk, no copy into the hash's
                // or the file channel's own native buffer).
                ByteBuffer buf = FileTransfer.chunkBuffer();
                while (trailer == null) {
                    int len = nextInto(buf);
                    if (len == 0) {
                        throw protocolError("empty message inside " + name);
                    }
                    byte[] m = buf.get(0) == FileProtocol.DATA ? null : bytesOf(buf, len);
                    switch (buf.get(0)) {
                        case FileProtocol.DATA:
                            int n = len - 1;
                            if (received + n > size) {
                                throw protocolError("sender sent more than the announced " + size + " bytes of " + name);
                            }
                            buf.limit(len).position(1);
                            digest.update(buf);
                            buf.position(1);
                            write(buf);
                            received += n;
                            claim.remaining = size - received;
                            if (checkpoints != null) {
                                checkpoints.maybe(received, digest);
                            }
                            break;
                        case FileProtocol.RESTART:
                            if (checkpoints == null) {
                                throw protocolError("unexpected message type " + (m[0] & 0xff) + " inside " + name);
                            }
                            String why = FileProtocol.textAfterType(m);
                            listener.discarded(name, from, "sender of " + name + ": " + why);
                            checkpoints.await();
                            received = 0;
                            resumedOffset = 0;
                            digest = Blake2b.newBlake2b256();
                            partial.restartAt(0);
                            checkpoints.now(0, digest);
                            claim.remaining = size;
                            break;
                        case FileProtocol.STILL_HASHING:
                            if (version < FileProtocol.VERSION_2 || len != 1) {
                                throw protocolError("unexpected message type " + (m[0] & 0xff) + " inside " + name);
                            }
                            break; // the sender is alive; the idle timer starts again
                        case FileProtocol.TRAILER:
                            trailer = m;
                            break;
                        default:
                            throw protocolError("unexpected message type " + (m[0] & 0xff) + " inside " + name);
                    }
                }
                if (received != size) {
                    throw protocolError(name + " is " + received + " bytes, the header announced " + size);
                }
                byte[] expected = FileProtocol.digestOf(trailer);
                if (expected == null) {
                    throw protocolError("malformed trailer for " + name);
                }
                byte[] hash = digest.digest();
                if (!MessageDigest.isEqual(hash, expected)) {
                    throw refuse(FileTransferException.Kind.FAILED, "BLAKE2b-256 mismatch for " + name + ": sender "
                            + HexFormat.of().formatHex(expected) + ", received " + HexFormat.of().formatHex(hash)
                            + "; file discarded", null);
                }
                try {
                    if (checkpoints != null) {
                        checkpoints.await();
                    }
                    partial.channel().force(true);
                    if (meta != null) {
                        partial.writeMeta(checkpoints.meta.verified(hash, System.currentTimeMillis()));
                    }
                    FileTransfer.applyMode(partial.data, header.mode());
                } catch (IOException e) {
                    throw refuse(FileTransferException.Kind.FAILED, "receiver failed to store " + name + ": "
                            + e.getMessage(), e);
                }
                if (!partial.isOpenFile(partial.data)) {
                    throw refuse(FileTransferException.Kind.FAILED, "the partial file of " + name
                            + " was replaced during the transfer; not stored", null);
                }
                try {
                    FileTransfer.storeWithoutOverwrite(partial.data, target);
                    if (!partial.isOpenFile(target)) {
                        // Swapped between the check and the link: what we linked is not ours.
                        Files.deleteIfExists(target);
                        throw refuse(FileTransferException.Kind.FAILED, "the partial file of " + name
                                + " was replaced during the transfer; not stored", null);
                    }
                } catch (FileAlreadyExistsException e) {
                    refuse(FileTransferException.Kind.REFUSED, "file " + target
                            + " appeared during the transfer; not overwritten", e);
                    throw new FileAlreadyExistsException(target.toString(), null,
                            "appeared during the transfer; not overwritten");
                } catch (FileTransferException e) {
                    throw e;
                } catch (IOException e) {
                    throw refuse(FileTransferException.Kind.FAILED, "receiver failed to store " + name + ": "
                            + e.getMessage(), e);
                }
                stored = true;
                testHooks.linked(target);
                FileTransfer.syncDirectory(dir);
                confirm(hash, meta != null);
                return new ReceivedFile(target, name, size, HexFormat.of().formatHex(hash),
                        Duration.ofNanos(System.nanoTime() - start), resumedAt(), false);
            } catch (FileTransferException e) {
                keep = e.kind() == FileTransferException.Kind.INTERRUPTED && checkpoints != null;
                if (e.kind() == FileTransferException.Kind.INTERRUPTED) {
                    FileTransferException reported = keep ? kept(e, digest) : e;
                    listener.interrupted(reported);
                    throw reported;
                }
                throw e;
            } finally {
                if (!stored) {
                    if (!keep) {
                        if (checkpoints != null) {
                            checkpoints.awaitQuietly();
                        }
                        partial.deleteAll();
                    }
                }
            }
        }

        private long resumedOffset = -1;

        private long resumedAt() {
            return resumedOffset < 0 ? 0 : resumedOffset;
        }

        /** Checkpoints everything received, so the next attempt continues from here. */
        private FileTransferException kept(FileTransferException e, Blake2b256 digest) {
            long durable;
            try {
                checkpoints.now(received, digest);
                durable = received;
            } catch (IOException | RuntimeException failure) {
                durable = checkpoints.durable;
                LOG.debug("final checkpoint of {} failed; keeping {} bytes: {}", name, durable, failure.toString());
            }
            partial.close();
            try {
                cleanUp();
            } catch (IOException failure) {
                LOG.debug("cleanup of {} failed: {}", dir, failure.toString());
            }
            return new FileTransferException(e.kind(), name, durable, size, e.getMessage() + "; " + durable
                    + " bytes kept to resume", e.getCause());
        }

        private FileTransferException interrupted(String why, Throwable cause) {
            return new FileTransferException(FileTransferException.Kind.INTERRUPTED, name, received, size,
                    "transfer of " + name + " from " + from + " interrupted at " + received + " of " + size
                            + " bytes: " + why, cause);
        }

        /**
         * Receives the next message into {@code buf} (cleared first). A read timeout (the idle
         * timeout) aborts the session; any failure, or the sender's end of stream, is an
         * interruption.
         */
        private int nextInto(ByteBuffer buf) throws IOException {
            buf.clear();
            int len;
            try {
                len = session.receiveMessage(buf, FileTransfer.MAX_PROTOCOL_MESSAGE_BYTES);
            } catch (SocketTimeoutException e) {
                session.abort();
                throw interrupted("no data from " + from + " for " + seconds(idleTimeout) + "; session aborted", e);
            } catch (IOException e) {
                throw interrupted(e.getMessage(), e);
            }
            if (len < 0) {
                throw interrupted("the sender closed the session before the file was complete", null);
            }
            return len;
        }

        private static byte[] bytesOf(ByteBuffer buf, int len) {
            byte[] m = new byte[len];
            buf.get(0, m);
            return m;
        }

        /** Writes {@code bb}'s remaining bytes at {@link #received}. */
        private void write(ByteBuffer bb) throws FileTransferException {
            long pos = received;
            try {
                while (bb.hasRemaining()) {
                    pos += partial.channel().write(bb, pos);
                }
            } catch (IOException e) {
                throw refuse(FileTransferException.Kind.FAILED, "receiver failed to store " + name + ": "
                        + e.getMessage(), e);
            }
        }

        private ReceivedFile confirmAgain(Path target, PartialMeta meta) throws IOException {
            send(FileProtocol.withDigest(FileProtocol.VERIFIED, meta.verifiedHash()));
            if (sameFile(partial.data, meta.fileKey())) {
                Partial.deleteQuietly(partial.data); // a crash came between link and unlink
            }
            partial.deleteMeta();
            return new ReceivedFile(target, name, size, HexFormat.of().formatHex(meta.verifiedHash()),
                    Duration.ofNanos(System.nanoTime() - start), size, true);
        }

        /**
         * Tells the sender the file is stored. For a resumable transfer it waits until the
         * transport confirms the message arrived, and only then drops the record: if the
         * confirmation may be lost, the record stays, so a sender asking again is told the
         * file is there instead of being refused.
         */
        private void confirm(byte[] hash, boolean resumable) {
            byte[] verified = FileProtocol.withDigest(FileProtocol.VERIFIED, hash);
            try {
                if (resumable) {
                    session.sendMessageAndWait(verified, CONFIRM_WAIT);
                    partial.deleteMeta();
                } else {
                    session.sendMessage(verified);
                }
            } catch (IOException e) {
                LOG.debug("{} is stored, but its confirmation to {} may be lost: {}", name, from, e.toString());
            }
        }

        private void checkSpace(long need) throws FileTransferException {
            claim.remaining = need;
            if (claim.store == null) {
                return;
            }
            long usable;
            try {
                usable = claim.store.getUsableSpace();
            } catch (IOException e) {
                LOG.debug("cannot tell the usable space of {}: {}", dir, e.toString());
                return;
            }
            long promised = ActiveTransfers.promised(claim.store, claim);
            if (need > usable - minFreeBytes - promised) {
                claim.remaining = 0;
                throw refuse(FileTransferException.Kind.REFUSED, "not enough space for " + name + ": it needs "
                        + need + " more bytes, the receiver has " + usable + " usable"
                        + (minFreeBytes > 0 ? ", keeps " + minFreeBytes + " free" : "")
                        + (promised > 0 ? ", and other transfers will still write " + promised : ""), null);
            }
        }

        /**
         * @throws FileAlreadyExistsException (as the receiver's contract has it) after telling
         *     the sender, if {@code target} exists
         */
        private void refuseIfExists(Path target) throws FileAlreadyExistsException {
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                refuse(FileTransferException.Kind.REFUSED, "file " + target + " already exists; not overwritten", null);
                throw new FileAlreadyExistsException(target.toString(), null, "already exists; not overwritten");
            }
        }

        private FileTransferException protocolError(String reason) {
            return refuse(FileTransferException.Kind.REFUSED, reason + "; file discarded", null);
        }

        /** Tells the sender why (best effort) and returns the exception to throw here. */
        private FileTransferException refuse(FileTransferException.Kind kind, String reason, Throwable cause) {
            int code = kind == FileTransferException.Kind.BUSY ? FileProtocol.CODE_BUSY
                    : kind == FileTransferException.Kind.FAILED ? FileProtocol.CODE_FAILED : FileProtocol.CODE_REFUSED;
            try {
                session.sendMessage(FileProtocol.error(version, code, reason));
            } catch (IOException | RuntimeException e) {
                LOG.debug("could not tell {} why: {}", from, e.toString());
            }
            return new FileTransferException(kind, name, received, size, reason, cause);
        }

        private void send(byte[] m) throws FileTransferException {
            try {
                session.sendMessage(m);
            } catch (IOException e) {
                throw interrupted(e.getMessage(), e);
            }
        }

        /** Writes checkpoints: data fsynced, then the record, on a background thread. */
        private final class Checkpoints {
            private final Partial partial;
            private volatile PartialMeta meta;
            private volatile long durable;
            private long requested;
            private CompletableFuture<Void> pending;

            Checkpoints(Partial partial, PartialMeta meta) {
                this.partial = partial;
                this.meta = meta;
                this.durable = meta.durable();
                this.requested = meta.durable();
                resumedOffset = meta.durable();
            }

            /**
             * Starts a checkpoint every half interval, after the previous one finished: so
             * what is durable never lags what arrived by more than {@code checkpointBytes},
             * while the fsync overlaps with receiving.
             */
            void maybe(long at, Blake2b256 digest) throws FileTransferException {
                // A chunk early rather than up to a chunk late: with chunks of any size (a
                // sender filling whole frames sends 65,535 bytes, not 64 KiB) two checkpoints
                // are then never more than half the interval apart, which is what bounds the
                // lag of the durable bytes by checkpointBytes.
                if (at - requested < checkpointBytes / 2 - FileTransfer.CHUNK_BYTES) {
                    return;
                }
                await();
                Blake2b256 snapshot = digest.copy();
                requested = at;
                pending = CompletableFuture.runAsync(() -> write(at, snapshot), CHECKPOINTS);
            }

            /** A checkpoint at {@code at}, with {@code digest} having absorbed exactly those bytes, now. */
            void now(long at, Blake2b256 digest) throws FileTransferException {
                await();
                requested = at;
                try {
                    write(at, digest.copy());
                } catch (CompletionException e) {
                    throw refuse(FileTransferException.Kind.FAILED, "receiver failed to store " + name + ": "
                            + e.getCause().getMessage(), e.getCause());
                }
            }

            private void write(long at, Blake2b256 snapshot) {
                try {
                    partial.channel().force(false);
                    Optional<byte[]> state = snapshot.exportState();
                    String impl = state.isPresent() ? snapshot.implementation().label() : "";
                    PartialMeta next = meta.withProgress(at, snapshot.digest(), impl, state.orElse(new byte[0]),
                            System.currentTimeMillis());
                    partial.writeMeta(next);
                    meta = next;
                    durable = at;
                } catch (IOException e) {
                    throw new CompletionException(e);
                }
            }

            void await() throws FileTransferException {
                if (pending == null) {
                    return;
                }
                try {
                    pending.join();
                } catch (CompletionException e) {
                    Throwable c = e.getCause() == null ? e : e.getCause();
                    throw refuse(FileTransferException.Kind.FAILED, "receiver failed to store " + name + ": "
                            + c.getMessage(), c);
                } finally {
                    pending = null;
                }
            }

            void awaitQuietly() {
                try {
                    await();
                } catch (FileTransferException e) {
                    LOG.debug("checkpoint failed: {}", e.toString());
                }
            }
        }
    }

    /** Points of a reception where a test can act (to play an attacker in the directory); no-ops in production. */
    interface TestHooks {
        /** The partial data file was just created (and opened). */
        default void partialCreated(Path data) {
        }

        /** The verified file just appeared under its final name. */
        default void linked(Path target) {
        }
    }

    /** Set by tests only. */
    static volatile TestHooks testHooks = new TestHooks() {
    };

    private static byte[] emptyDigest() {
        return Blake2b.newBlake2b256().digest();
    }

    private static boolean sameFile(Path p, String fileKey) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.isRegularFile() && String.valueOf(a.fileKey()).equals(fileKey);
        } catch (IOException e) {
            return false;
        }
    }

    /** Finds stale partials and removes them (see {@link #cleanUp()}). */
    static final class PartialCleaner {
        private PartialCleaner() {
        }

        private record Kept(Path data, Path meta, long updated, long bytes) {
        }

        static int clean(Path dir, Duration lifetime, long maxBytes) throws IOException {
            long now = System.currentTimeMillis();
            long graceAgo = now - ORPHAN_GRACE.toMillis();
            long lifetimeAgo = now - lifetime.toMillis();
            List<Path> entries = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, Partial.PREFIX + "*")) {
                ds.forEach(entries::add);
            }
            java.util.Set<Path> recorded = new java.util.HashSet<>();
            List<Kept> kept = new ArrayList<>();
            int removed = 0;
            for (Path p : entries) {
                String fn = p.getFileName().toString();
                if (!fn.endsWith(Partial.META_SUFFIX)) {
                    continue;
                }
                Path data = p.resolveSibling(fn.substring(0, fn.length() - Partial.META_SUFFIX.length())
                        + Partial.DATA_SUFFIX);
                recorded.add(data);
                if (ActiveTransfers.inUse(data.toAbsolutePath().normalize())) {
                    continue;
                }
                PartialMeta m;
                try {
                    m = Partial.readMeta(p).orElse(null);
                } catch (PartialMeta.InvalidException e) {
                    m = null;
                }
                if (m == null) {
                    if (olderThan(p, graceAgo) && Partial.deleteUnlessLocked(data)) {
                        Partial.deleteQuietly(p);
                        removed++;
                    }
                    continue;
                }
                if (m.updatedMillis() < lifetimeAgo) {
                    if (Partial.deleteUnlessLocked(data)) {
                        Partial.deleteQuietly(p);
                        removed++;
                    }
                    continue;
                }
                if (!m.isVerified()) {
                    long bytes = 0;
                    try {
                        bytes = Files.size(data);
                    } catch (IOException e) {
                        // missing: nothing to count
                    }
                    kept.add(new Kept(data, p, m.updatedMillis(), bytes));
                }
            }
            for (Path p : entries) {
                String fn = p.getFileName().toString();
                boolean orphanData = fn.endsWith(Partial.DATA_SUFFIX) && !recorded.contains(p)
                        && !ActiveTransfers.inUse(p.toAbsolutePath().normalize());
                boolean staleNew = fn.endsWith(Partial.META_SUFFIX + Partial.NEW_SUFFIX);
                if ((orphanData || staleNew) && olderThan(p, graceAgo)) {
                    if (staleNew) {
                        Partial.deleteQuietly(p);
                        removed++;
                    } else if (Partial.deleteUnlessLocked(p)) {
                        removed++;
                    }
                }
            }
            kept.sort(Comparator.comparingLong(Kept::updated));
            long total = kept.stream().mapToLong(Kept::bytes).sum();
            for (Kept k : kept) {
                if (total <= maxBytes) {
                    break;
                }
                if (!ActiveTransfers.inUse(k.data().toAbsolutePath().normalize()) && Partial.deleteUnlessLocked(k.data())) {
                    Partial.deleteQuietly(k.meta());
                    total -= k.bytes();
                    removed++;
                    LOG.info("removed partial {} ({} bytes): partials exceeded {} bytes", k.data(), k.bytes(), maxBytes);
                }
            }
            return removed;
        }

        private static boolean olderThan(Path p, long millis) {
            try {
                return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis() < millis;
            } catch (IOException e) {
                return false;
            }
        }
    }

    /** Settings of a {@link FileReceiver}. */
    public static final class Builder {
        private final Path dir;
        private boolean resume = true;
        private boolean rehashOnResume;
        private long maxFileBytes = Long.MAX_VALUE;
        private long minFreeBytes;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private long checkpointBytes = DEFAULT_CHECKPOINT_BYTES;
        private Duration partialLifetime = DEFAULT_PARTIAL_LIFETIME;
        private long maxPartialBytes = DEFAULT_MAX_PARTIAL_BYTES;
        private Listener listener = Listener.LOGGING;

        private Builder(Path dir) {
            this.dir = Objects.requireNonNull(dir, "dir");
        }

        /**
         * @param on whether to keep interrupted transfers and continue them (default on).
         *     Off: a failed transfer leaves nothing, and partials already there are left
         *     to cleanup, not continued.
         * @return this builder
         */
        public Builder resume(boolean on) {
            this.resume = on;
            return this;
        }

        /**
         * @param on read and hash a partial's bytes again when continuing it, instead of
         *     continuing from the digest state saved with it (default off: the state is
         *     checked, and a state that does not fit is never used)
         * @return this builder
         */
        public Builder rehashOnResume(boolean on) {
            this.rehashOnResume = on;
            return this;
        }

        /**
         * @param bytes the largest file accepted (default: no limit); larger ones are refused
         *     before any data is sent
         * @return this builder
         */
        public Builder maxFileBytes(long bytes) {
            this.maxFileBytes = positive("maxFileBytes", bytes);
            return this;
        }

        /**
         * @param bytes space to leave free on the file system (default 0): a file is refused
         *     before any data is sent unless its remaining bytes fit in the usable space minus
         *     this and minus what other transfers still have to write
         * @return this builder
         */
        public Builder minFreeBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("minFreeBytes must not be negative, got " + bytes);
            }
            this.minFreeBytes = bytes;
            return this;
        }

        /**
         * @param d how long to wait for the sender's next message, the header included
         *     (default 60 s); then the session is aborted and the transfer counts as
         *     interrupted. Zero waits for ever.
         * @return this builder
         */
        public Builder idleTimeout(Duration d) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("idleTimeout must not be negative, got " + d);
            }
            this.idleTimeout = d;
            return this;
        }

        /**
         * @param bytes the most a crash of the receiver may lose of a partial (default 16 MiB):
         *     data is fsynced and the record rewritten every half of this
         * @return this builder
         */
        public Builder checkpointBytes(long bytes) {
            this.checkpointBytes = Math.max(2L * FileTransfer.CHUNK_BYTES, positive("checkpointBytes", bytes));
            return this;
        }

        /**
         * @param d how long a partial is kept after its last update (default 7 days)
         * @return this builder
         */
        public Builder partialLifetime(Duration d) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("partialLifetime must not be negative, got " + d);
            }
            this.partialLifetime = d;
            return this;
        }

        /**
         * @param bytes the most all partials in the directory may hold together (default
         *     64 GiB); beyond it the least recently updated are removed
         * @return this builder
         */
        public Builder maxPartialBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("maxPartialBytes must not be negative, got " + bytes);
            }
            this.maxPartialBytes = bytes;
            return this;
        }

        /**
         * @param l receives the events (default {@link Listener#LOGGING})
         * @return this builder
         */
        public Builder listener(Listener l) {
            this.listener = Objects.requireNonNull(l, "listener");
            return this;
        }

        /** @return the receiver */
        public FileReceiver build() {
            return new FileReceiver(this);
        }

        private static long positive(String what, long v) {
            if (v <= 0) {
                throw new IllegalArgumentException(what + " must be positive, got " + v);
            }
            return v;
        }
    }
}
