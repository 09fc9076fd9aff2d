package io.swp.file;

import io.swp.hash.Blake2b;
import io.swp.hash.Blake2b256;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A file being received, on disk: the data file {@code .swp-KEY.part} in the target
 * directory and, when resumable, its record {@code .swp-KEY.resume}. KEY is derived from
 * the file name (one partial per name and directory); a transfer that is not resumable
 * gets a random KEY.
 *
 * <p>The data file is created with {@code CREATE_NEW} and {@code NOFOLLOW_LINKS}, mode 0600,
 * and kept open for the whole transfer: it is never reopened by name to write, and a
 * partial continued later is opened with {@code NOFOLLOW_LINKS}, and refused unless it is
 * a regular file with a single link and the device and inode its record names. It is
 * locked ({@link FileLock}) while open, so two receivers never write one partial.
 */
final class Partial implements Closeable {
    static final String PREFIX = ".swp-";
    static final String DATA_SUFFIX = ".part";
    static final String META_SUFFIX = ".resume";
    static final String NEW_SUFFIX = ".new";

    private static final Logger LOG = LoggerFactory.getLogger(Partial.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int KEY_BYTES = 16;
    private static final OpenOption[] CREATE = {StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS};
    private static final OpenOption[] REOPEN = {StandardOpenOption.READ, StandardOpenOption.WRITE,
        LinkOption.NOFOLLOW_LINKS};

    final Path dir;
    final Path data;
    /** The record, or null for a transfer that is not resumable. */
    final Path meta;
    private FileChannel channel;
    private FileLock lock;
    /** Device and inode of the file {@link #channel} has open, read when it was opened. */
    private String openedKey = "";

    private Partial(Path dir, String key, boolean resumable) {
        this.dir = dir;
        this.data = dir.resolve(PREFIX + key + DATA_SUFFIX);
        this.meta = resumable ? dir.resolve(PREFIX + key + META_SUFFIX) : null;
    }

    /** @return the (not yet opened) resumable partial of {@code name} in {@code dir} */
    static Partial forName(Path dir, String name) {
        Blake2b256 d = Blake2b.newBlake2b256();
        d.update(("swp partial\0" + name).getBytes(StandardCharsets.UTF_8));
        byte[] h = d.digest();
        return new Partial(dir, HexFormat.of().formatHex(h, 0, KEY_BYTES), true);
    }

    /** @return a partial with a random name and no record, deleted if the transfer fails */
    static Partial anonymous(Path dir) {
        byte[] r = new byte[KEY_BYTES / 2];
        RANDOM.nextBytes(r);
        return new Partial(dir, HexFormat.of().formatHex(r) + ".tmp", false);
    }

    /** @return the key identifying this partial in {@link ActiveTransfers} */
    Path key() {
        return data.toAbsolutePath().normalize();
    }

    FileChannel channel() {
        return channel;
    }

    /**
     * @return the record, or empty if there is none
     * @throws PartialMeta.InvalidException if there is one but it cannot be used
     */
    Optional<PartialMeta> readMeta() throws IOException {
        return readMeta(meta);
    }

    static Optional<PartialMeta> readMeta(Path meta) throws IOException {
        byte[] bytes;
        try (FileChannel ch = FileChannel.open(meta, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            if (ch.size() > PartialMeta.MAX_BYTES) {
                throw new PartialMeta.InvalidException("larger than " + PartialMeta.MAX_BYTES + " bytes");
            }
            ByteBuffer b = ByteBuffer.allocate((int) ch.size());
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // fill
            }
            bytes = java.util.Arrays.copyOf(b.array(), b.position());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (FileSystemException e) {
            // ELOOP for a symbolic link, EACCES, …: not a record of ours
            throw new PartialMeta.InvalidException("cannot be opened: " + e.getMessage());
        }
        return Optional.of(PartialMeta.decode(bytes));
    }

    /**
     * Creates the data file, removing a stale one of the same name first (one without a
     * usable record; the caller decided it is not to be continued).
     *
     * @throws ActiveTransfers.BusyException if another process holds it
     */
    void create() throws IOException {
        try {
            channel = FileChannel.open(data, Set.of(CREATE), ownerOnly());
        } catch (FileAlreadyExistsException e) {
            removeStale();
            channel = FileChannel.open(data, Set.of(CREATE), ownerOnly());
        }
        lockOrThrow();
        openedKey = fileKey();
        FileReceiver.testHooks.partialCreated(data);
    }

    /**
     * @param p a path
     * @return whether {@code p} names, without following links, the very file this
     *     partial has open (not one swapped in under its name)
     */
    boolean isOpenFile(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.isRegularFile() && !openedKey.isEmpty() && String.valueOf(a.fileKey()).equals(openedKey);
        } catch (IOException e) {
            return false;
        }
    }

    /** Removes a leftover data file, unless another process is writing it. */
    private void removeStale() throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(data, REOPEN);
        } catch (NoSuchFileException e) {
            return;
        } catch (FileSystemException e) {
            // A symbolic link or something else we cannot open: remove the name itself
            // (deleting never follows a link).
            Files.deleteIfExists(data);
            return;
        }
        try (ch) {
            lock(ch, data);
            Files.delete(data);
        }
    }

    /**
     * Opens the data file if there is one we can continue (a regular file with a single
     * link, opened without following links), else creates it; locks it either way.
     *
     * @return whether it existed
     * @throws ActiveTransfers.BusyException if another process holds it
     */
    boolean openOrCreate() throws IOException {
        try {
            channel = FileChannel.open(data, REOPEN);
        } catch (NoSuchFileException e) {
            create();
            return false;
        } catch (FileSystemException e) {
            // A symbolic link (ELOOP), a directory, no permission: not ours to continue.
            LOG.debug("cannot open {} to continue it: {}", data, e.toString());
            create();
            return false;
        }
        lockOrThrow();
        BasicFileAttributes a = attributes();
        openedKey = a == null ? "" : String.valueOf(a.fileKey());
        if (a == null || !a.isRegularFile() || links() > 1) {
            // Not a file we wrote: let go of it without writing a byte, remove the name
            // (never what it links to) and start a new one.
            closeQuietly();
            Files.deleteIfExists(data);
            create();
            return false;
        }
        return true;
    }

    /**
     * Checks that the open data file is the one {@code m} records and holds its durable
     * bytes, and cuts it back to them (anything after was written after the last checkpoint).
     *
     * @throws Unusable saying why it cannot be continued
     */
    void checkContinuable(PartialMeta m) throws IOException {
        if (!fileKey().equals(m.fileKey())) {
            throw new Unusable("its data file is not the one its record names");
        }
        long have = channel.size();
        if (have < m.durable()) {
            throw new Unusable("its data file holds " + have + " of the " + m.durable() + " bytes recorded as durable");
        }
        restartAt(m.durable());
    }

    /** Cuts the data file to {@code offset} bytes; writing goes on from there. */
    void restartAt(long offset) throws IOException {
        channel.truncate(offset);
        channel.position(offset);
    }

    /**
     * Removes a data file nobody is writing: not one this process has claimed (the caller
     * checks), nor one another process holds locked.
     *
     * @return whether it is gone
     */
    static boolean deleteUnlessLocked(Path data) {
        try {
            FileChannel ch;
            try {
                ch = FileChannel.open(data, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                return true;
            } catch (FileSystemException e) {
                Files.deleteIfExists(data); // a link or something else: the name goes
                return true;
            }
            try (ch) {
                lock(ch, data);
                Files.delete(data);
                return true;
            }
        } catch (ActiveTransfers.BusyException e) {
            return false;
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", data, e.toString());
            return false;
        }
    }

    private void lockOrThrow() throws IOException {
        try {
            lock = lock(channel, data);
        } catch (ActiveTransfers.BusyException e) {
            closeQuietly();
            throw e;
        }
    }

    /**
     * @return the lock, or null where the file system cannot lock (some network mounts:
     *     the in-process registry still keeps this process's transfers apart)
     * @throws ActiveTransfers.BusyException if another process holds it
     */
    private static FileLock lock(FileChannel ch, Path file) throws IOException {
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        } catch (UnsupportedOperationException | IOException e) {
            if (!ch.isOpen()) {
                throw e;
            }
            LOG.debug("cannot lock {}: {}", file, e.toString());
            return null;
        }
        if (l == null) {
            throw new ActiveTransfers.BusyException(file + " is being written by another process");
        }
        return l;
    }

    /** @return the data file's attributes, not following links, or null if it does not exist */
    BasicFileAttributes attributes() throws IOException {
        try {
            return Files.readAttributes(data, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    String fileKey() throws IOException {
        BasicFileAttributes a = attributes();
        return a == null ? "" : String.valueOf(a.fileKey());
    }

    private int links() {
        try {
            Object n = Files.getAttribute(data, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
            return n instanceof Integer i ? i : 1;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return 1;
        }
    }

    /** Writes the record atomically: a new file, fsynced, renamed over the old one. */
    void writeMeta(PartialMeta m) throws IOException {
        Path tmp = meta.resolveSibling(meta.getFileName() + NEW_SUFFIX);
        Files.deleteIfExists(tmp);
        try (FileChannel ch = FileChannel.open(tmp, Set.of(CREATE), ownerOnly())) {
            ByteBuffer b = ByteBuffer.wrap(m.encode());
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, meta, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    void deleteMeta() {
        if (meta != null) {
            deleteQuietly(meta);
            deleteQuietly(meta.resolveSibling(meta.getFileName() + NEW_SUFFIX));
        }
    }

    /** Closes and removes the data file and the record. */
    void deleteAll() {
        closeQuietly();
        deleteQuietly(data);
        deleteMeta();
    }

    @Override
    public void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        try {
            if (lock != null && lock.isValid()) {
                lock.release();
            }
        } catch (IOException e) {
            LOG.debug("releasing the lock of {}: {}", data, e.toString());
        }
        lock = null;
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException e) {
            LOG.debug("closing {}: {}", data, e.toString());
        }
        channel = null;
    }

    static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", p, e.toString());
        }
    }

    /** Mode 0600 where the file system has POSIX permissions. */
    private FileAttribute<?>[] ownerOnly() {
        if (!dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return new FileAttribute<?>[0];
        }
        Set<PosixFilePermission> perms = EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(perms)};
    }

    /** A partial that exists but cannot be continued; the message says why. */
    static final class Unusable extends IOException {
        private static final long serialVersionUID = 1L;

        Unusable(String message) {
            super(message);
        }
    }
}
