package io.swp.file;

import io.swp.Session;
import io.swp.hash.Blake2b;
import io.swp.hash.Blake2b256;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file protocol, run over a session's ordered messages. Per file:
 * <pre>
 *   sender                                   receiver
 *   HEADER  'H' ver name size mode   ──►
 *                                    ◄──     READY 'R'            (or ERROR 'E' reason)
 *   DATA    'D' bytes…  (≤ 64 KiB each) ──►  written to a temp file, hashed
 *   TRAILER 'T' blake2b-256          ──►
 *                                    ◄──     VERIFIED 'V' blake2b (or ERROR 'E' reason)
 * </pre>
 * Several files may follow one another on a session; the receiver's
 * {@link #receive(Session, Path)} returns null when the sender closes its side.
 *
 * <h2>Receiver's rules</h2>
 * <ul>
 *   <li>Names must be a single plain file name: not empty, at most
 *       {@link #MAX_NAME_BYTES} UTF-8 bytes, without {@code /}, {@code \}, {@code ..},
 *       NUL or other control characters, {@code :}, and not absolute. Others are refused
 *       before any data is sent.</li>
 *   <li>An existing file is never overwritten: if {@code dir/name} exists the file is
 *       refused (checked at the header; the final step cannot replace a file either).</li>
 *   <li>Content goes to a temporary file in the target directory, hashed while written;
 *       on a BLAKE2b-256 match it is fsynced and atomically linked to its name. On a
 *       mismatch, a size mismatch, or any failure of the session, the temporary file is
 *       deleted and an IOException says why: no file ever appears under the final name
 *       unverified.</li>
 * </ul>
 * Memory is bounded by one chunk plus the session's buffers, whatever the file size.
 */
public final class FileTransfer {
    private static final Logger LOG = LoggerFactory.getLogger(FileTransfer.class);

    /** Content bytes per DATA message. */
    public static final int CHUNK_BYTES = 64 * 1024;
    /** Longest file name accepted, in UTF-8 bytes (a common file-system limit). */
    public static final int MAX_NAME_BYTES = 255;
    /** Version of the file protocol carried in every header. */
    public static final int PROTOCOL_VERSION = 1;

    static final byte HEADER = 'H';
    static final byte DATA = 'D';
    static final byte TRAILER = 'T';
    static final byte READY = 'R';
    static final byte VERIFIED = 'V';
    static final byte ERROR = 'E';

    /**
     * The largest message of this protocol (a DATA chunk with its type byte; headers,
     * trailers and verdicts are smaller): the peer cannot make the receiver buffer more.
     */
    static final int MAX_PROTOCOL_MESSAGE_BYTES = 1 + CHUNK_BYTES;

    /**
     * Characters no portable file name may hold (Windows forbids them; a name that works
     * only on some receivers is refused everywhere, so senders see the same rule).
     */
    private static final String PORTABILITY_FORBIDDEN = "<>\"|?*";
    /** CON, PRN, AUX, NUL, COM1..9, LPT1..9, with any extension: devices on Windows. */
    private static final Pattern RESERVED_DEVICE_NAME =
            Pattern.compile("(?i)(con|prn|aux|nul|com[1-9]|lpt[1-9])\\s*");

    /** Longest error reason sent to the peer, in characters. */
    private static final int MAX_REASON_CHARS = 500;
    private static final int DIGEST_BYTES = Blake2b256.DIGEST_BYTES;
    private static final int NO_MODE = -1;
    private static final int PERMISSION_BITS = 0777;
    /** Never granted by a sender: group and others could then alter the received file. */
    private static final int WRITE_BY_GROUP_AND_OTHERS = 0022;
    private static final String TEMP_PREFIX = ".swp-";
    private static final String TEMP_SUFFIX = ".part";

    private FileTransfer() {
    }

    /**
     * Sends a regular file and waits for the receiver's verdict.
     *
     * @param session an open session
     * @param file the file
     * @return the transfer statistics
     * @throws IOException if the file cannot be read or changes size while sent, the
     *     receiver refuses it or fails to verify it, or the session fails
     */
    public static FileTransferStats send(Session session, Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + " is not a regular file");
        }
        String name = file.getFileName().toString();
        checkSafeName(name);
        long size = Files.size(file);
        long start = System.nanoTime();
        long retransmitsBefore = session.stats().retransmits();
        session.sendMessage(header(name, size, modeOf(file)));
        expectReady(session, name);

        Blake2b256 digest = Blake2b.newBlake2b256();
        byte[] buf = new byte[1 + CHUNK_BYTES];
        buf[0] = DATA;
        long sent = 0;
        try (InputStream in = Files.newInputStream(file)) {
            while (sent < size) {
                int want = (int) Math.min(CHUNK_BYTES, size - sent);
                int n = in.readNBytes(buf, 1, want);
                if (n < want) {
                    session.abort();
                    throw new IOException(file + " shrank while being sent (" + (sent + n) + " of " + size
                            + " bytes); transfer aborted");
                }
                digest.update(buf, 1, n);
                session.sendMessage(buf, 0, 1 + n);
                sent += n;
            }
        }
        byte[] hash = digest.digest();
        byte[] trailer = new byte[1 + DIGEST_BYTES];
        trailer[0] = TRAILER;
        System.arraycopy(hash, 0, trailer, 1, DIGEST_BYTES);
        session.sendMessage(trailer);

        byte[] verdict = session.receiveMessage(MAX_PROTOCOL_MESSAGE_BYTES);
        if (verdict == null || verdict.length == 0) {
            throw new IOException("receiver " + session.remoteInbox() + " closed before confirming " + name);
        }
        if (verdict[0] == ERROR) {
            throw new IOException("receiver " + session.remoteInbox() + " rejected " + name + ": " + reasonOf(verdict));
        }
        if (verdict[0] != VERIFIED || verdict.length != 1 + DIGEST_BYTES
                || !MessageDigest.isEqual(hash, java.util.Arrays.copyOfRange(verdict, 1, verdict.length))) {
            throw new IOException("receiver " + session.remoteInbox() + " sent an invalid confirmation for " + name);
        }
        long retransmits = session.stats().retransmits() - retransmitsBefore;
        return new FileTransferStats(name, size, Duration.ofNanos(System.nanoTime() - start), retransmits,
                HexFormat.of().formatHex(hash));
    }

    /**
     * Receives the next file into {@code dir}.
     *
     * @param session an open session
     * @param dir an existing, writable directory
     * @return the stored file, or null if the sender closed its side instead of sending a file
     * @throws IOException if the file is refused (unsafe name, already exists), its
     *     checksum or size does not match, or the session fails; the temporary file is
     *     deleted and nothing appears under the final name
     */
    public static ReceivedFile receive(Session session, Path dir) throws IOException {
        Objects.requireNonNull(dir, "dir");
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + " is not a directory");
        }
        byte[] first = session.receiveMessage(MAX_PROTOCOL_MESSAGE_BYTES);
        if (first == null) {
            return null;
        }
        long start = System.nanoTime();
        Header header;
        try {
            header = parseHeader(first);
            checkSafeName(header.name);
        } catch (IOException e) {
            refuse(session, e.getMessage());
            throw e;
        }
        Path target = dir.resolve(header.name);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            String reason = "file " + target + " already exists; not overwritten";
            refuse(session, reason);
            throw new FileAlreadyExistsException(target.toString(), null, "already exists; not overwritten");
        }
        Path temp = Files.createTempFile(dir, TEMP_PREFIX, TEMP_SUFFIX);
        boolean stored = false;
        try {
            session.sendMessage(new byte[] {READY});
            byte[] hash = receiveContent(session, header, temp);
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                String reason = "file " + target + " appeared during the transfer; not overwritten";
                refuse(session, reason);
                throw new FileAlreadyExistsException(target.toString(), null,
                        "appeared during the transfer; not overwritten");
            }
            try {
                storeWithoutOverwrite(temp, target);
            } catch (FileAlreadyExistsException e) {
                refuse(session, "file " + target + " appeared during the transfer; not overwritten");
                throw e;
            }
            stored = true;
            syncDirectory(dir);
            applyMode(target, header.mode);
            byte[] verified = new byte[1 + DIGEST_BYTES];
            verified[0] = VERIFIED;
            System.arraycopy(hash, 0, verified, 1, DIGEST_BYTES);
            session.sendMessage(verified);
            return new ReceivedFile(target, header.name, header.size, HexFormat.of().formatHex(hash),
                    Duration.ofNanos(System.nanoTime() - start));
        } catch (RefusedException | FileAlreadyExistsException e) {
            throw e;
        } catch (IOException e) {
            // A local failure (disk full, I/O error, the session's read timeout): tell the
            // sender, which otherwise waits for a verdict that never comes while this side
            // may go on to wait for its next file.
            if (!stored) {
                refuse(session, "receiver failed to store " + header.name + ": " + e.getMessage());
            }
            throw e;
        } finally {
            if (!stored) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    LOG.warn("could not delete temporary file {}: {}", temp, e.toString());
                }
            }
        }
    }

    /** Streams DATA into {@code temp} until the TRAILER; verifies size and hash; fsyncs. */
    private static byte[] receiveContent(Session session, Header header, Path temp) throws IOException {
        Blake2b256 digest = Blake2b.newBlake2b256();
        long received = 0;
        byte[] trailer;
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            while (true) {
                byte[] m;
                try {
                    m = session.receiveMessage(MAX_PROTOCOL_MESSAGE_BYTES);
                } catch (IOException e) {
                    throw new IOException("transfer of " + header.name + " interrupted after " + received + " of "
                            + header.size + " bytes: " + e.getMessage(), e);
                }
                if (m == null) {
                    throw new EOFException("sender finished before " + header.name + " was complete ("
                            + received + " of " + header.size + " bytes)");
                }
                if (m.length == 0) {
                    throw protocolError(session, "empty message inside " + header.name);
                }
                if (m[0] == TRAILER) {
                    trailer = m;
                    break;
                }
                if (m[0] != DATA) {
                    throw protocolError(session, "unexpected message type " + (m[0] & 0xff) + " inside "
                            + header.name);
                }
                int n = m.length - 1;
                if (received + n > header.size) {
                    throw protocolError(session, "sender sent more than the announced " + header.size
                            + " bytes of " + header.name);
                }
                digest.update(m, 1, n);
                ByteBuffer bb = ByteBuffer.wrap(m, 1, n);
                while (bb.hasRemaining()) {
                    ch.write(bb);
                }
                received += n;
            }
            if (received != header.size) {
                throw protocolError(session, header.name + " is " + received + " bytes, the header announced "
                        + header.size);
            }
            if (trailer.length != 1 + DIGEST_BYTES) {
                throw protocolError(session, "malformed trailer for " + header.name);
            }
            byte[] hash = digest.digest();
            byte[] expected = java.util.Arrays.copyOfRange(trailer, 1, trailer.length);
            if (!MessageDigest.isEqual(hash, expected)) {
                String reason = "BLAKE2b-256 mismatch for " + header.name + ": sender "
                        + HexFormat.of().formatHex(expected) + ", received " + HexFormat.of().formatHex(hash);
                refuse(session, reason);
                throw new RefusedException(reason + "; file discarded");
            }
            ch.force(true);
            return hash;
        }
    }

    /**
     * Puts the verified temporary file under its final name, never replacing a file that
     * is already there. A rename would silently replace one created after the last
     * existence check (a concurrent transfer of the same name, or any other writer); a
     * hard link fails atomically instead. File systems without hard links fall back to a
     * check followed by an atomic rename.
     *
     * @param temp the verified temporary file, in the target's directory
     * @param target the final name
     * @throws FileAlreadyExistsException if {@code target} exists; {@code temp} is kept
     * @throws IOException if the file cannot be stored
     */
    static void storeWithoutOverwrite(Path temp, Path target) throws IOException {
        try {
            Files.createLink(target, temp);
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (UnsupportedOperationException | IOException e) {
            LOG.debug("cannot hard-link {}, renaming after a check instead: {}", target, e.toString());
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new FileAlreadyExistsException(target.toString(), null, "already exists; not overwritten");
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        try {
            Files.delete(temp);
        } catch (IOException e) {
            LOG.warn("stored {} but could not delete its temporary file {}: {}", target, temp, e.toString());
        }
    }

    /**
     * Checks that {@code name} is a single plain file name (see the class comment).
     *
     * @param name the name
     * @throws IOException naming the problem if it is not
     */
    public static void checkSafeName(String name) throws IOException {
        if (name == null || name.isEmpty()) {
            throw new IOException("unsafe file name: empty");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new IOException("unsafe file name: longer than " + MAX_NAME_BYTES + " bytes");
        }
        if (name.contains("/") || name.contains("\\") || name.contains("..") || name.contains(":")) {
            throw new IOException("unsafe file name '" + printable(name)
                    + "': must not contain '/', '\\', '..' or ':'");
        }
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            if (Character.isISOControl(cp)) {
                throw new IOException("unsafe file name '" + printable(name) + "': contains a control character");
            }
            int type = Character.getType(cp);
            if (type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
                    || type == Character.SURROGATE || type == Character.UNASSIGNED) {
                // Bidi overrides, zero-width characters and line separators make a name
                // display as something it is not, in listings and in our own output.
                throw new IOException("unsafe file name '" + printable(name)
                        + "': contains an invisible or format character (U+" + Integer.toHexString(cp).toUpperCase(Locale.ROOT) + ")");
            }
            if (PORTABILITY_FORBIDDEN.indexOf(cp) >= 0) {
                throw new IOException("unsafe file name '" + printable(name) + "': must not contain any of "
                        + PORTABILITY_FORBIDDEN);
            }
            i += Character.charCount(cp);
        }
        char last = name.charAt(name.length() - 1);
        if (last == ' ' || last == '.') {
            throw new IOException("unsafe file name '" + printable(name) + "': must not end with a space or a dot");
        }
        String stem = name.contains(".") ? name.substring(0, name.indexOf('.')) : name;
        if (RESERVED_DEVICE_NAME.matcher(stem).matches()) {
            throw new IOException("unsafe file name '" + printable(name) + "': a reserved device name on Windows");
        }
        try {
            if (Path.of(name).isAbsolute() || Path.of(name).getNameCount() != 1) {
                throw new IOException("unsafe file name '" + printable(name) + "'");
            }
        } catch (InvalidPathException e) {
            throw new IOException("unsafe file name '" + printable(name) + "': " + e.getReason());
        }
    }

    private static String printable(String name) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < name.length() && sb.length() < MAX_NAME_BYTES; i++) {
            char c = name.charAt(i);
            sb.append(Character.isISOControl(c) ? '?' : c);
        }
        return sb.toString();
    }

    private static void expectReady(Session session, String name) throws IOException {
        byte[] reply = session.receiveMessage(MAX_PROTOCOL_MESSAGE_BYTES);
        if (reply == null || reply.length == 0) {
            throw new IOException("receiver " + session.remoteInbox() + " closed before accepting " + name);
        }
        if (reply[0] == ERROR) {
            throw new IOException("receiver " + session.remoteInbox() + " refused " + name + ": " + reasonOf(reply));
        }
        if (reply[0] != READY) {
            throw new IOException("receiver " + session.remoteInbox() + " answered " + name
                    + " with an unknown message type " + (reply[0] & 0xff));
        }
    }

    private static IOException protocolError(Session session, String reason) {
        refuse(session, reason);
        return new RefusedException(reason + "; file discarded");
    }

    /** A failure the sender has already been told about (see {@link #refuse}). */
    private static final class RefusedException extends IOException {
        private static final long serialVersionUID = 1L;

        RefusedException(String message) {
            super(message);
        }
    }

    /** Tells the sender why; best effort, since the session may be failing already. */
    private static void refuse(Session session, String reason) {
        String r = reason == null ? "refused" : reason;
        if (r.length() > MAX_REASON_CHARS) {
            r = r.substring(0, MAX_REASON_CHARS);
        }
        byte[] text = r.getBytes(StandardCharsets.UTF_8);
        byte[] m = new byte[1 + text.length];
        m[0] = ERROR;
        System.arraycopy(text, 0, m, 1, text.length);
        try {
            session.sendMessage(m);
        } catch (IOException | RuntimeException e) {
            LOG.debug("could not tell {} why: {}", session.remoteInbox(), e.toString());
        }
    }

    private static String reasonOf(byte[] error) {
        return new String(error, 1, error.length - 1, StandardCharsets.UTF_8);
    }

    static byte[] header(String name, long size, int mode) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            out.writeByte(HEADER);
            out.writeByte(PROTOCOL_VERSION);
            out.writeShort(n.length);
            out.write(n);
            out.writeLong(size);
            out.writeInt(mode);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("in-memory write failed", e);
        }
    }

    private static Header parseHeader(byte[] m) throws IOException {
        try {
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(m));
            if (in.readByte() != HEADER) {
                throw new IOException("expected a file header, got message type " + (m[0] & 0xff));
            }
            int version = in.readUnsignedByte();
            if (version != PROTOCOL_VERSION) {
                throw new IOException("unsupported file protocol version " + version);
            }
            int nameLen = in.readUnsignedShort();
            if (nameLen > MAX_NAME_BYTES) {
                throw new IOException("unsafe file name: longer than " + MAX_NAME_BYTES + " bytes");
            }
            byte[] n = in.readNBytes(nameLen);
            if (n.length != nameLen) {
                throw new EOFException();
            }
            long size = in.readLong();
            int mode = in.readInt();
            if (size < 0) {
                throw new IOException("negative file size " + size);
            }
            if (in.available() != 0) {
                throw new IOException("malformed file header: trailing bytes");
            }
            return new Header(new String(n, StandardCharsets.UTF_8), size, mode);
        } catch (EOFException e) {
            throw new IOException("malformed file header: truncated");
        }
    }

    private static int modeOf(Path file) {
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

    /**
     * Applies the sender's permission bits, where the file system can: never set-id bits,
     * and never write permission for group or others (as a umask of 022 would).
     */
    private static void applyMode(Path file, int mode) {
        if (mode == NO_MODE) {
            return;
        }
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (view == null) {
            return;
        }
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        for (PosixFilePermission p : PosixFilePermission.values()) {
            if ((mode & PERMISSION_BITS & ~WRITE_BY_GROUP_AND_OTHERS & (1 << (8 - p.ordinal()))) != 0) {
                perms.add(p);
            }
        }
        try {
            view.setPermissions(perms);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("could not set permissions of {}: {}", file, e.toString());
        }
    }

    /** Makes the rename durable; best effort, not every platform can open a directory. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("could not fsync directory {}: {}", dir, e.toString());
        }
    }

    private record Header(String name, long size, int mode) {
    }
}
