package io.swp.file;

import io.swp.Session;
import java.io.IOException;
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
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file protocol, run over a session's ordered messages. Per file:
 * <pre>
 *   sender                                   receiver
 *   HEADER  'H' ver name size mode [identity] ──►
 *                                    ◄──     READY 'R' [offset prefix-digest note]  (or ERROR 'E')
 *   DATA    'D' bytes…  (≤ 64 KiB each, from offset) ──►  written to the partial, hashed
 *   [RESTART 'X' reason, then DATA from 0: the receiver's prefix was not the sender's]
 *   TRAILER 'T' blake2b-256 of the whole file ──►
 *                                    ◄──     VERIFIED 'V' blake2b (or ERROR 'E' reason)
 * </pre>
 * {@link #send} and {@link #receive} run one file with the default policies; a
 * {@link FileReceiver} sets the receiver's (resume, size and space limits, idle timeout,
 * checkpoints, partials' lifetime), and a {@link FileSender} retries with back-off over
 * new sessions, resuming each unfinished file. docs/files.md has the protocol, the resume
 * design and the rules for partial files.
 *
 * <h2>Receiver's rules</h2>
 * <ul>
 *   <li>Names must be a single plain file name: not empty, at most
 *       {@link #MAX_NAME_BYTES} UTF-8 bytes, without {@code /}, {@code \}, {@code ..},
 *       NUL or other control characters, {@code :}, and not absolute. Others are refused
 *       before any data is sent.</li>
 *   <li>An existing file is never overwritten: if {@code dir/name} exists the file is
 *       refused (checked at the header; the final step cannot replace a file either).</li>
 *   <li>Content goes to a partial file in the target directory, hashed while written;
 *       on a BLAKE2b-256 match over every byte it is fsynced, given its mode and linked to
 *       its name. On a mismatch or a protocol error it is deleted; when the session fails
 *       it is kept to resume (unless resume is off). No file ever appears under the final
 *       name unverified.</li>
 * </ul>
 * Memory is bounded by one chunk plus the session's buffers, whatever the file size.
 */
public final class FileTransfer {
    private static final Logger LOG = LoggerFactory.getLogger(FileTransfer.class);

    /**
     * The most content bytes one DATA message may carry (receivers accept any count up to
     * this); senders use {@link #contentBytesPerChunk(int)}, which may be a little less.
     */
    public static final int CHUNK_BYTES = 64 * 1024;
    /** Longest file name accepted, in UTF-8 bytes (a common file-system limit). */
    public static final int MAX_NAME_BYTES = 255;
    /**
     * Version of the file protocol senders put in their headers (2: with resume). Receivers
     * also accept version 1, without resume.
     */
    public static final int PROTOCOL_VERSION = FileProtocol.VERSION_2;

    /**
     * The largest message of this protocol (a DATA chunk with its type byte; headers,
     * trailers and verdicts are smaller): the peer cannot make the receiver buffer more.
     */
    static final int MAX_PROTOCOL_MESSAGE_BYTES = 1 + CHUNK_BYTES;

    /**
     * One direct buffer of {@link #MAX_PROTOCOL_MESSAGE_BYTES} per thread that sends or
     * receives files, reused from file to file: a direct buffer is costly to allocate and
     * is freed only by the garbage collector, which many small files would otherwise
     * keep busy (the JDK caches its own temporary direct buffers per thread alike).
     */
    private static final ThreadLocal<java.nio.ByteBuffer> CHUNK_BUFFER =
            ThreadLocal.withInitial(() -> java.nio.ByteBuffer.allocateDirect(MAX_PROTOCOL_MESSAGE_BYTES));

    /** @return this thread's chunk buffer, cleared */
    static java.nio.ByteBuffer chunkBuffer() {
        return CHUNK_BUFFER.get().clear();
    }

    /**
     * Content bytes a sender puts in each DATA message: the largest count whose message
     * (content plus its type byte) fills whole frames of {@code framePayloadBytes}. A
     * message ends its last frame, so 64 KiB of content (65,537 bytes with the type byte)
     * over 16 KiB frames would cost four full frames and a fifth carrying one byte: a
     * quarter more frames, each paying the bus's and the engine's per-frame cost. 65,535
     * bytes fill exactly four. Frames larger than a chunk keep {@link #CHUNK_BYTES}.
     *
     * @param framePayloadBytes the session's frame payload size
     * @return content bytes per DATA message, 1 .. {@link #CHUNK_BYTES}
     */
    static int contentBytesPerChunk(int framePayloadBytes) {
        int frames = MAX_PROTOCOL_MESSAGE_BYTES / framePayloadBytes;
        if (frames == 0) {
            return CHUNK_BYTES;
        }
        return Math.max(1, frames * framePayloadBytes - 1);
    }

    /**
     * Characters no portable file name may hold (Windows forbids them; a name that works
     * only on some receivers is refused everywhere, so senders see the same rule).
     */
    private static final String PORTABILITY_FORBIDDEN = "<>\"|?*";
    /** CON, PRN, AUX, NUL, COM1..9, LPT1..9, with any extension: devices on Windows. */
    private static final Pattern RESERVED_DEVICE_NAME =
            Pattern.compile("(?i)(con|prn|aux|nul|com[1-9]|lpt[1-9])\\s*");

    private static final int NO_MODE = -1;
    private static final int PERMISSION_BITS = 0777;
    /** Never granted by a sender: group and others could then alter the received file. */
    private static final int WRITE_BY_GROUP_AND_OTHERS = 0022;

    private FileTransfer() {
    }

    /**
     * Sends a regular file and waits for the receiver's verdict, resuming where the
     * receiver holds a partial of the same file. One attempt: see {@link FileSender} for
     * retries.
     *
     * @param session an open session
     * @param file the file
     * @return the transfer statistics
     * @throws FileTransferException if the file cannot be read or changes while sent, the
     *     receiver refuses it or fails to verify it, or the session fails
     *     ({@link FileTransferException#kind()} says which)
     * @throws IOException never otherwise
     */
    public static FileTransferStats send(Session session, Path file) throws IOException {
        return FileSending.send(session, file, FileSender.Listener.LOGGING);
    }

    /**
     * Receives the next file into {@code dir} with the default policy of
     * {@link FileReceiver#create(Path)}.
     *
     * @param session an open session
     * @param dir an existing, writable directory
     * @return the stored file, or null if the sender closed its side instead of sending a file
     * @throws IOException as {@link FileReceiver#receive(Session)} says; nothing appears
     *     under the final name
     */
    public static ReceivedFile receive(Session session, Path dir) throws IOException {
        return FileReceiver.create(dir).receive(session);
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

    /**
     * Applies the sender's permission bits, where the file system can: never set-id bits,
     * and never write permission for group or others (as a umask of 022 would).
     */
    static void applyMode(Path file, int mode) {
        if (mode == NO_MODE) {
            return;
        }
        // Not following links: the mode goes on this file, never on what a link in a
        // shared directory may point to.
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
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
    static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("could not fsync directory {}: {}", dir, e.toString());
        }
    }

}
