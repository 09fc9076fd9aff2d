package io.swp.file;

import io.swp.hash.Blake2b256;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The messages of the file protocol and their encodings (docs/files.md has the table).
 * Version 1 is the original protocol without resume; version 2 adds the sender's file
 * identity to the header, a resume offset to READY, a failure code to ERROR and the
 * RESTART message. A receiver answers each header in the version it came in.
 */
final class FileProtocol {
    static final byte HEADER = 'H';
    static final byte DATA = 'D';
    static final byte TRAILER = 'T';
    static final byte READY = 'R';
    static final byte VERIFIED = 'V';
    static final byte ERROR = 'E';
    /** Sender to receiver, version 2: forget the partial, the DATA that follows starts at offset 0. */
    static final byte RESTART = 'X';
    /** Sender to receiver, version 2, after DATA: still hashing its file, the trailer follows. */
    static final byte STILL_HASHING = 'K';

    static final int VERSION_1 = 1;
    static final int VERSION_2 = 2;

    static final int DIGEST_BYTES = Blake2b256.DIGEST_BYTES;
    /** Longest error reason or note sent to the peer, in characters. */
    static final int MAX_REASON_CHARS = 500;

    /** ERROR codes of version 2: what the sender may do about it. */
    static final int CODE_REFUSED = 1;
    static final int CODE_BUSY = 2;
    static final int CODE_FAILED = 3;

    private FileProtocol() {
    }

    /**
     * A file header.
     *
     * @param version 1 or 2
     * @param name the file name (not yet checked for safety)
     * @param size content bytes
     * @param mode POSIX permission bits, or -1
     * @param identity the sender's identity of this version of the file (version 2), else null
     */
    record Header(int version, String name, long size, int mode, FileIdentity identity) {
    }

    /**
     * The receiver's go-ahead.
     *
     * @param offset where the DATA is to start (0 unless resuming)
     * @param prefixHash BLAKE2b-256 of the receiver's first {@code offset} bytes, or null at 0
     * @param note why a partial was not continued, or empty
     */
    record Ready(long offset, byte[] prefixHash, String note) {
    }

    static byte[] header(String name, long size, int mode, FileIdentity identity) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            out.writeByte(HEADER);
            out.writeByte(identity == null ? VERSION_1 : VERSION_2);
            out.writeShort(n.length);
            out.write(n);
            out.writeLong(size);
            out.writeInt(mode);
            if (identity != null) {
                out.writeLong(identity.modifiedMillis());
                out.write(identity.firstChunkHash());
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("in-memory write failed", e);
        }
    }

    static Header parseHeader(byte[] m) throws IOException {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(m));
            if (in.readByte() != HEADER) {
                throw new IOException("expected a file header, got message type " + (m[0] & 0xff));
            }
            int version = in.readUnsignedByte();
            if (version != VERSION_1 && version != VERSION_2) {
                throw new IOException("unsupported file protocol version " + version);
            }
            int nameLen = in.readUnsignedShort();
            if (nameLen > FileTransfer.MAX_NAME_BYTES) {
                throw new IOException("unsafe file name: longer than " + FileTransfer.MAX_NAME_BYTES + " bytes");
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
            FileIdentity identity = null;
            if (version == VERSION_2) {
                long mtime = in.readLong();
                byte[] first = in.readNBytes(DIGEST_BYTES);
                if (first.length != DIGEST_BYTES) {
                    throw new EOFException();
                }
                identity = new FileIdentity(size, mtime, first);
            }
            if (in.available() != 0) {
                throw new IOException("malformed file header: trailing bytes");
            }
            return new Header(version, new String(n, StandardCharsets.UTF_8), size, mode, identity);
        } catch (EOFException e) {
            throw new IOException("malformed file header: truncated");
        }
    }

    static byte[] ready(int version, long offset, byte[] prefixHash, String note) {
        if (version == VERSION_1) {
            return new byte[] {READY};
        }
        byte[] text = clip(note).getBytes(StandardCharsets.UTF_8);
        int hashBytes = offset > 0 ? DIGEST_BYTES : 0;
        ByteBuffer b = ByteBuffer.allocate(1 + Long.BYTES + hashBytes + text.length);
        b.put(READY).putLong(offset);
        if (offset > 0) {
            b.put(prefixHash);
        }
        b.put(text);
        return b.array();
    }

    /** Parses a READY; a version-1 one (the type byte alone) means offset 0. */
    static Ready parseReady(byte[] m) throws IOException {
        if (m.length == 1) {
            return new Ready(0, null, "");
        }
        if (m.length < 1 + Long.BYTES) {
            throw new IOException("malformed READY of " + m.length + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(m, 1, m.length - 1);
        long offset = b.getLong();
        byte[] prefix = null;
        if (offset > 0) {
            if (b.remaining() < DIGEST_BYTES) {
                throw new IOException("malformed READY: no prefix digest for offset " + offset);
            }
            prefix = new byte[DIGEST_BYTES];
            b.get(prefix);
        }
        String note = new String(m, b.position(), b.remaining(), StandardCharsets.UTF_8);
        return new Ready(offset, prefix, note);
    }

    static byte[] error(int version, int code, String reason) {
        byte[] text = clip(reason == null ? "refused" : reason).getBytes(StandardCharsets.UTF_8);
        int head = version == VERSION_1 ? 1 : 2;
        byte[] m = new byte[head + text.length];
        m[0] = ERROR;
        if (head == 2) {
            m[1] = (byte) code;
        }
        System.arraycopy(text, 0, m, head, text.length);
        return m;
    }

    /**
     * The code of an ERROR: version 2 puts one byte below 0x20 before the text (a reason
     * never starts with a control character); anything else is a version-1 reason,
     * refused for good.
     */
    static int errorCode(byte[] m) {
        return m.length >= 2 && (m[1] & 0xff) < 0x20 ? m[1] : CODE_REFUSED;
    }

    static String errorReason(byte[] m) {
        int head = m.length >= 2 && (m[1] & 0xff) < 0x20 ? 2 : 1;
        return new String(m, head, m.length - head, StandardCharsets.UTF_8);
    }

    static byte[] withDigest(byte type, byte[] digest) {
        byte[] m = new byte[1 + DIGEST_BYTES];
        m[0] = type;
        System.arraycopy(digest, 0, m, 1, DIGEST_BYTES);
        return m;
    }

    /** @return the digest a VERIFIED or TRAILER carries, or null if it is malformed */
    static byte[] digestOf(byte[] m) {
        return m.length == 1 + DIGEST_BYTES ? Arrays.copyOfRange(m, 1, m.length) : null;
    }

    static byte[] restart(String reason) {
        byte[] text = clip(reason).getBytes(StandardCharsets.UTF_8);
        byte[] m = new byte[1 + text.length];
        m[0] = RESTART;
        System.arraycopy(text, 0, m, 1, text.length);
        return m;
    }

    static String textAfterType(byte[] m) {
        return new String(m, 1, m.length - 1, StandardCharsets.UTF_8);
    }

    private static String clip(String s) {
        return s.length() > MAX_REASON_CHARS ? s.substring(0, MAX_REASON_CHARS) : s;
    }
}
