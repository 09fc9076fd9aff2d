package io.swp.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * Encodes and decodes {@link Frame}s.
 *
 * <p>Frame layout: one version byte ({@link #VERSION}), then a MessagePack array of the
 * header fields and the payload, then a CRC32C of everything before it (4 bytes, big
 * endian). The CRC is the per-frame integrity check: it is checked before any field is
 * parsed, so a corrupted frame costs one pass over its bytes and nothing else. CRC32C is
 * hardware-accelerated on the JVM; end-to-end content integrity is BLAKE2b's job at the
 * file layer.
 *
 * <p>Values are written in MessagePack's shortest form, except in a stream frame's first
 * send, which is encoded around the payload where the sender already holds it
 * ({@link #encodeInPlace}) and so writes its integers in their fixed 9-byte form. The
 * decoder takes every MessagePack form of a value.
 *
 * <p>The decoder checks every length and count against the limits below before it
 * allocates, and reports every problem as a {@link MalformedFrameException}; an inbox name
 * must be well-formed UTF-8, so that every frame it returns encodes again to the same
 * names.
 */
public final class FrameCodec {
    /** Wire format version written in the first byte of every frame. */
    public static final int VERSION = 1;
    /** Longest inbox name, in UTF-8 bytes. */
    public static final int MAX_INBOX_BYTES = 255;
    /** Most SACK ranges a frame may carry. */
    public static final int MAX_SACK_RANGES = 32;
    /** Largest payload any frame may carry, whatever the transport allows. */
    public static final int MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
    /**
     * An upper bound on everything in a frame except the payload; a transport whose
     * frames may be {@code n} bytes can carry payloads of {@code n - MAX_OVERHEAD_BYTES}.
     */
    public static final int MAX_OVERHEAD_BYTES = 1 + 1 + 9 * 12 + 2 * (MAX_INBOX_BYTES + 2)
            + 3 + MAX_SACK_RANGES * 2 * 9 + 5 + 4;

    private static final int FIELD_COUNT = 14;
    private static final int CRC_BYTES = 4;

    private FrameCodec() {
    }

    /**
     * Encodes a frame into new bytes.
     *
     * @param p the frame
     * @return the frame bytes
     * @throws IllegalArgumentException if a field exceeds the limits of this codec
     */
    public static byte[] encode(Frame p) {
        return encode(p, p.from().getBytes(StandardCharsets.UTF_8), p.to().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Encodes a frame whose inbox names the caller has already encoded: an engine sends
     * every frame between the same two inboxes, so it encodes their names once instead of
     * twice per frame.
     *
     * @param p the frame
     * @param fromBytes {@code p.from()} in UTF-8
     * @param toBytes {@code p.to()} in UTF-8
     * @return the frame bytes
     * @throws IllegalArgumentException if a field exceeds the limits of this codec
     */
    static byte[] encode(Frame p, byte[] fromBytes, byte[] toBytes) {
        checkInbox(fromBytes.length);
        checkInbox(toBytes.length);
        long[] sack = p.sackRanges();
        if (sack.length / 2 > MAX_SACK_RANGES) {
            throw new IllegalArgumentException("too many SACK ranges: " + sack.length / 2);
        }
        int payloadLength = p.payloadLength();
        if (payloadLength > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("payload too large: " + payloadLength);
        }
        // The frame is sized exactly first and then written in place: one allocation and
        // one copy of the payload, where a general-purpose packer would buffer, trim and
        // copy again. The encoding is MessagePack's shortest form for every value, the
        // same bytes msgpack-core's packer writes (FrameCodecTest checks this).
        int sackBytes = 0;
        for (long v : sack) {
            sackBytes += longSize(v);
        }
        int bodyLen = 1 + arrayHeaderSize(FIELD_COUNT)
                + longSize(p.kind().code()) + longSize(p.flags())
                + stringHeaderSize(fromBytes.length) + fromBytes.length
                + stringHeaderSize(toBytes.length) + toBytes.length
                + longSize(p.srcNonce()) + longSize(p.dstNonce()) + longSize(p.seq()) + longSize(p.ack())
                + arrayHeaderSize(sack.length) + sackBytes
                + longSize(p.windowFrames()) + longSize(p.windowBytes())
                + longSize(p.tsVal()) + longSize(p.tsEcr())
                + binaryHeaderSize(payloadLength) + payloadLength;
        byte[] frame = new byte[bodyLen + CRC_BYTES];
        int pos = putHeader(frame, p, fromBytes, toBytes, false);
        System.arraycopy(p.payloadArray(), p.payloadOffset(), frame, pos, payloadLength);
        pos += payloadLength;
        if (pos != bodyLen) {
            throw new IllegalStateException("frame size computed as " + bodyLen + " but " + pos + " bytes written");
        }
        CRC32C crc = new CRC32C();
        crc.update(frame, 0, bodyLen);
        putInt(frame, bodyLen, (int) crc.getValue());
        return frame;
    }

    /**
     * What {@link #encodeInPlace} writes before the payload for frames between inboxes of
     * these lengths: a fixed size, whatever the header's values, because every integer
     * is written in its 9-byte form and the payload's length in its 5-byte form.
     *
     * @param fromLength the sender's inbox name in UTF-8 bytes
     * @param toLength the receiver's inbox name in UTF-8 bytes
     * @return the header's bytes
     */
    static int inPlaceHeaderBytes(int fromLength, int toLength) {
        return 1 + arrayHeaderSize(FIELD_COUNT) + 2 * WIDE_INTEGER_BYTES
                + stringHeaderSize(fromLength) + fromLength + stringHeaderSize(toLength) + toLength
                + 4 * WIDE_INTEGER_BYTES + arrayHeaderSize(0) + 4 * WIDE_INTEGER_BYTES + WIDE_BINARY_HEADER_BYTES;
    }

    /** @return the bytes {@link #encodeInPlace} needs after the payload: the CRC */
    static int inPlaceTailBytes() {
        return CRC_BYTES;
    }

    /**
     * Encodes a frame around its payload, in the array that holds it, and returns that
     * array: the payload must sit at {@link #inPlaceHeaderBytes} in
     * {@code p.payloadArray()} and end {@link #inPlaceTailBytes} before the array does.
     * This saves the sender a payload copy per frame.
     *
     * <p>The header is then not in MessagePack's shortest form: every integer takes its
     * 9-byte form (int 64) and the payload length its 5-byte form (bin 32), so that its
     * size does not depend on the values. Any MessagePack decoder, this one included,
     * reads both forms as the same values.
     *
     * <p>A frame that carries SACK ranges, whose size varies, or whose payload is not laid
     * out so, is encoded into a new array by {@link #encode(Frame, byte[], byte[])}
     * instead; callers tell the two apart by the identity of the result.
     *
     * @param p the frame
     * @param fromBytes {@code p.from()} in UTF-8
     * @param toBytes {@code p.to()} in UTF-8
     * @param payloadCrc the CRC32C of the payload, which the caller computed when it
     *     stored the payload; this method reads only the header it writes
     * @return the frame: {@code p.payloadArray()} itself when encoded in place
     * @throws IllegalArgumentException if a field exceeds the limits of this codec
     */
    static byte[] encodeInPlace(Frame p, byte[] fromBytes, byte[] toBytes, int payloadCrc) {
        byte[] frame = p.payloadArray();
        int header = inPlaceHeaderBytes(fromBytes.length, toBytes.length);
        int payloadLength = p.payloadLength();
        if (frame == null || p.sackRanges().length != 0 || p.payloadOffset() != header
                || frame.length != header + payloadLength + CRC_BYTES || payloadLength > MAX_PAYLOAD_BYTES) {
            return encode(p, fromBytes, toBytes);
        }
        checkInbox(fromBytes.length);
        checkInbox(toBytes.length);
        int pos = putHeader(frame, p, fromBytes, toBytes, true);
        if (pos != header) {
            throw new IllegalStateException("in-place header computed as " + header + " but " + pos + " bytes written");
        }
        CRC32C crc = new CRC32C();
        crc.update(frame, 0, header);
        putInt(frame, header + payloadLength, Crc32cCombine.combine((int) crc.getValue(), payloadCrc, payloadLength));
        return frame;
    }

    /**
     * Writes everything before the payload from the start of {@code frame}: integers and
     * the payload length in their shortest MessagePack forms, or in their widest
     * ({@code wide}, for {@link #encodeInPlace}, where the SACK list is empty).
     *
     * @return where the payload goes
     */
    private static int putHeader(byte[] frame, Frame p, byte[] fromBytes, byte[] toBytes, boolean wide) {
        int pos = 0;
        frame[pos++] = (byte) VERSION;
        pos = putArrayHeader(frame, pos, FIELD_COUNT);
        pos = putInteger(frame, pos, p.kind().code(), wide);
        pos = putInteger(frame, pos, p.flags(), wide);
        pos = putStringHeader(frame, pos, fromBytes.length);
        System.arraycopy(fromBytes, 0, frame, pos, fromBytes.length);
        pos += fromBytes.length;
        pos = putStringHeader(frame, pos, toBytes.length);
        System.arraycopy(toBytes, 0, frame, pos, toBytes.length);
        pos += toBytes.length;
        pos = putInteger(frame, pos, p.srcNonce(), wide);
        pos = putInteger(frame, pos, p.dstNonce(), wide);
        pos = putInteger(frame, pos, p.seq(), wide);
        pos = putInteger(frame, pos, p.ack(), wide);
        long[] sack = p.sackRanges();
        pos = putArrayHeader(frame, pos, sack.length);
        for (long v : sack) {
            pos = putInteger(frame, pos, v, wide);
        }
        pos = putInteger(frame, pos, p.windowFrames(), wide);
        pos = putInteger(frame, pos, p.windowBytes(), wide);
        pos = putInteger(frame, pos, p.tsVal(), wide);
        pos = putInteger(frame, pos, p.tsEcr(), wide);
        if (!wide) {
            return putBinaryHeader(frame, pos, p.payloadLength());
        }
        frame[pos] = (byte) BIN32;
        return putInt(frame, pos + 1, p.payloadLength());
    }

    private static int putInteger(byte[] b, int pos, long v, boolean wide) {
        return wide ? putWide(b, pos, v) : putLong(b, pos, v);
    }

    /** Bytes of an integer in its widest MessagePack form (int 64). */
    private static final int WIDE_INTEGER_BYTES = 9;
    /** Bytes of a binary header in its widest MessagePack form (bin 32). */
    private static final int WIDE_BINARY_HEADER_BYTES = 5;

    private static int putWide(byte[] b, int pos, long v) {
        b[pos] = (byte) INT64;
        return putLongBits(b, pos + 1, v);
    }

    // MessagePack format bytes (the specification's names), for the encoder above.
    private static final int FIXARRAY = 0x90;
    private static final int FIXSTR = 0xa0;
    private static final int BIN8 = 0xc4;
    private static final int BIN16 = 0xc5;
    private static final int BIN32 = 0xc6;
    private static final int UINT8 = 0xcc;
    private static final int UINT16 = 0xcd;
    private static final int UINT32 = 0xce;
    private static final int UINT64 = 0xcf;
    private static final int INT8 = 0xd0;
    private static final int INT16 = 0xd1;
    private static final int INT32 = 0xd2;
    private static final int INT64 = 0xd3;
    private static final int STR8 = 0xd9;
    private static final int STR16 = 0xda;
    private static final int STR32 = 0xdb;
    private static final int ARRAY16 = 0xdc;
    private static final int ARRAY32 = 0xdd;
    /** Smallest value a negative fixint holds (-32). */
    private static final long NEGATIVE_FIXINT_MIN = -(1L << 5);
    /** Largest length a fixarray holds, plus one. */
    private static final int FIXARRAY_LIMIT = 1 << 4;
    /** Largest length a fixstr holds, plus one. */
    private static final int FIXSTR_LIMIT = 1 << 5;

    /** @return the bytes of the shortest MessagePack encoding of {@code v} */
    private static int longSize(long v) {
        if (v < NEGATIVE_FIXINT_MIN) {
            if (v < Short.MIN_VALUE) {
                return v < Integer.MIN_VALUE ? 9 : 5;
            }
            return v < Byte.MIN_VALUE ? 3 : 2;
        }
        if (v <= Byte.MAX_VALUE) {
            return 1;
        }
        if (v < 1L << 16) {
            return v < 1 << 8 ? 2 : 3;
        }
        return v < 1L << 32 ? 5 : 9;
    }

    private static int putLong(byte[] b, int pos, long v) {
        if (v < NEGATIVE_FIXINT_MIN) {
            if (v < Short.MIN_VALUE) {
                if (v < Integer.MIN_VALUE) {
                    b[pos] = (byte) INT64;
                    return putLongBits(b, pos + 1, v);
                }
                b[pos] = (byte) INT32;
                return putInt(b, pos + 1, (int) v);
            }
            if (v < Byte.MIN_VALUE) {
                b[pos] = (byte) INT16;
                return putShort(b, pos + 1, (int) v);
            }
            b[pos] = (byte) INT8;
            b[pos + 1] = (byte) v;
            return pos + 2;
        }
        if (v <= Byte.MAX_VALUE) {
            b[pos] = (byte) v;
            return pos + 1;
        }
        if (v < 1L << 16) {
            if (v < 1 << 8) {
                b[pos] = (byte) UINT8;
                b[pos + 1] = (byte) v;
                return pos + 2;
            }
            b[pos] = (byte) UINT16;
            return putShort(b, pos + 1, (int) v);
        }
        if (v < 1L << 32) {
            b[pos] = (byte) UINT32;
            return putInt(b, pos + 1, (int) v);
        }
        b[pos] = (byte) UINT64;
        return putLongBits(b, pos + 1, v);
    }

    private static int arrayHeaderSize(int n) {
        return n < FIXARRAY_LIMIT ? 1 : n < 1 << 16 ? 3 : 5;
    }

    private static int putArrayHeader(byte[] b, int pos, int n) {
        if (n < FIXARRAY_LIMIT) {
            b[pos] = (byte) (FIXARRAY | n);
            return pos + 1;
        }
        if (n < 1 << 16) {
            b[pos] = (byte) ARRAY16;
            return putShort(b, pos + 1, n);
        }
        b[pos] = (byte) ARRAY32;
        return putInt(b, pos + 1, n);
    }

    private static int stringHeaderSize(int n) {
        return n < FIXSTR_LIMIT ? 1 : n < 1 << 8 ? 2 : n < 1 << 16 ? 3 : 5;
    }

    private static int putStringHeader(byte[] b, int pos, int n) {
        if (n < FIXSTR_LIMIT) {
            b[pos] = (byte) (FIXSTR | n);
            return pos + 1;
        }
        if (n < 1 << 8) {
            b[pos] = (byte) STR8;
            b[pos + 1] = (byte) n;
            return pos + 2;
        }
        if (n < 1 << 16) {
            b[pos] = (byte) STR16;
            return putShort(b, pos + 1, n);
        }
        b[pos] = (byte) STR32;
        return putInt(b, pos + 1, n);
    }

    private static int binaryHeaderSize(int n) {
        return n < 1 << 8 ? 2 : n < 1 << 16 ? 3 : 5;
    }

    private static int putBinaryHeader(byte[] b, int pos, int n) {
        if (n < 1 << 8) {
            b[pos] = (byte) BIN8;
            b[pos + 1] = (byte) n;
            return pos + 2;
        }
        if (n < 1 << 16) {
            b[pos] = (byte) BIN16;
            return putShort(b, pos + 1, n);
        }
        b[pos] = (byte) BIN32;
        return putInt(b, pos + 1, n);
    }

    private static int putShort(byte[] b, int pos, int v) {
        b[pos] = (byte) (v >>> 8);
        b[pos + 1] = (byte) v;
        return pos + 2;
    }

    private static int putInt(byte[] b, int pos, int v) {
        b[pos] = (byte) (v >>> 24);
        b[pos + 1] = (byte) (v >>> 16);
        b[pos + 2] = (byte) (v >>> 8);
        b[pos + 3] = (byte) v;
        return pos + 4;
    }

    private static int putLongBits(byte[] b, int pos, long v) {
        putInt(b, pos, (int) (v >>> 32));
        return putInt(b, pos + 4, (int) v);
    }

    /**
     * Decodes a whole frame.
     *
     * @param frame the frame bytes
     * @return the frame
     * @throws MalformedFrameException if the frame is truncated, corrupted, of another
     *     version, or has a field outside its bounds
     */
    public static Frame decode(byte[] frame) throws MalformedFrameException {
        return decode(frame, 0, frame.length);
    }

    /**
     * Decodes a frame held in part of an array.
     *
     * @param buf the bytes
     * @param off where the frame starts
     * @param len its length
     * @return the frame
     * @throws MalformedFrameException if the frame is not valid
     */
    public static Frame decode(byte[] buf, int off, int len) throws MalformedFrameException {
        return decode(buf, off, len, false);
    }

    /**
     * Decodes a frame the caller hands over, without copying the payload: the frame's
     * payload is a view of {@code frame}, which must not change afterwards (the network's
     * frame handler owns the frames it is given). Checks are the
     * same as {@link #decode(byte[])}'s.
     *
     * @param frame the frame bytes, owned by the returned frame from now on
     * @return the frame
     * @throws MalformedFrameException if the frame is not valid
     */
    public static Frame decodeOwned(byte[] frame) throws MalformedFrameException {
        return decode(frame, 0, frame == null ? 0 : frame.length, true);
    }

    private static Frame decode(byte[] buf, int off, int len, boolean share) throws MalformedFrameException {
        if (buf == null || off < 0 || len < 0 || off > buf.length - len) {
            throw new MalformedFrameException("frame bounds out of range");
        }
        if (len < 1 + 1 + CRC_BYTES) {
            throw new MalformedFrameException("frame too short: " + len + " bytes");
        }
        int bodyLen = len - CRC_BYTES;
        CRC32C crc = new CRC32C();
        crc.update(buf, off, bodyLen);
        int expected = ((buf[off + bodyLen] & 0xff) << 24) | ((buf[off + bodyLen + 1] & 0xff) << 16)
                | ((buf[off + bodyLen + 2] & 0xff) << 8) | (buf[off + bodyLen + 3] & 0xff);
        if ((int) crc.getValue() != expected) {
            throw new MalformedFrameException("frame checksum mismatch");
        }
        int version = buf[off] & 0xff;
        if (version != VERSION) {
            throw new MalformedFrameException("unsupported frame version " + version);
        }
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(buf, off + 1, bodyLen - 1)) {
            int fields = u.unpackArrayHeader();
            if (fields != FIELD_COUNT) {
                throw new MalformedFrameException("expected " + FIELD_COUNT + " fields, got " + fields);
            }
            FrameKind kind = FrameKind.fromCode(readInt(u, "kind"));
            if (kind == null) {
                throw new MalformedFrameException("unknown frame kind");
            }
            int flags = readInt(u, "flags");
            if ((flags & ~Frame.KNOWN_FLAGS) != 0) {
                throw new MalformedFrameException("unknown flags " + Integer.toHexString(flags));
            }
            Frame.Builder b = Frame.builder(kind).flags(flags)
                    .from(readInbox(u, "from")).to(readInbox(u, "to"))
                    .srcNonce(readLong(u, "srcNonce")).dstNonce(readLong(u, "dstNonce"))
                    .seq(readNonNegative(u, "seq")).ack(readNonNegative(u, "ack"));
            expect(u, ValueType.ARRAY, "sack");
            int sackLen = u.unpackArrayHeader();
            if (sackLen < 0 || sackLen > MAX_SACK_RANGES * 2 || (sackLen & 1) != 0) {
                throw new MalformedFrameException("bad SACK length " + sackLen);
            }
            long[] sack = new long[sackLen];
            for (int i = 0; i < sackLen; i++) {
                sack[i] = readNonNegative(u, "sack");
            }
            for (int i = 0; i < sackLen; i += 2) {
                if (sack[i] >= sack[i + 1]) {
                    throw new MalformedFrameException("empty or inverted SACK range");
                }
            }
            int winMsgs = readInt(u, "windowFrames");
            long winBytes = readLong(u, "windowBytes");
            if (winMsgs < 0 || winBytes < 0) {
                throw new MalformedFrameException("negative window");
            }
            b.sackRanges(sack).window(winMsgs, winBytes)
                    .tsVal(readLong(u, "tsVal")).tsEcr(readLong(u, "tsEcr"));
            expect(u, ValueType.BINARY, "payload");
            int payloadLen = u.unpackBinaryHeader();
            long remaining = (bodyLen - 1) - u.getTotalReadBytes();
            if (payloadLen < 0 || payloadLen > MAX_PAYLOAD_BYTES || payloadLen != remaining) {
                throw new MalformedFrameException("payload length " + payloadLen
                        + " does not match the " + remaining + " bytes left in the frame");
            }
            if (share) {
                // The payload is the last thing before the CRC (checked just above).
                b.payloadView(buf, off + bodyLen - payloadLen, payloadLen);
            } else {
                b.payload(u.readPayload(payloadLen));
            }
            return b.build();
        } catch (MessagePackException | IOException | IllegalArgumentException e) {
            throw new MalformedFrameException("undecodable frame: " + e.getMessage(), e);
        }
    }

    private static void checkInbox(int len) {
        if (len == 0 || len > MAX_INBOX_BYTES) {
            throw new IllegalArgumentException("inbox name must be 1.." + MAX_INBOX_BYTES
                    + " UTF-8 bytes, got " + len);
        }
    }

    /** Checks the next value's type family before reading it, so type confusion is reported. */
    private static void expect(MessageUnpacker u, ValueType type, String field)
            throws IOException, MalformedFrameException {
        if (!u.hasNext()) {
            throw new MalformedFrameException("frame ends before " + field);
        }
        ValueType actual = u.getNextFormat().getValueType();
        if (actual != type) {
            throw new MalformedFrameException(field + " has type " + actual + ", expected " + type);
        }
    }

    private static int readInt(MessageUnpacker u, String field) throws IOException, MalformedFrameException {
        long v = readLong(u, field);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new MalformedFrameException(field + " out of range");
        }
        return (int) v;
    }

    private static long readLong(MessageUnpacker u, String field) throws IOException, MalformedFrameException {
        if (!u.hasNext()) {
            throw new MalformedFrameException("frame ends before " + field);
        }
        if (u.getNextFormat().getValueType() != ValueType.INTEGER) {
            throw new MalformedFrameException(field + " is not an integer");
        }
        return u.unpackLong();
    }

    private static long readNonNegative(MessageUnpacker u, String field)
            throws IOException, MalformedFrameException {
        long v = readLong(u, field);
        if (v < 0) {
            throw new MalformedFrameException(field + " is negative");
        }
        return v;
    }

    private static String readInbox(MessageUnpacker u, String field) throws IOException, MalformedFrameException {
        if (!u.hasNext() || u.getNextFormat().getValueType() != ValueType.STRING) {
            throw new MalformedFrameException(field + " is not a string");
        }
        int len = u.unpackRawStringHeader();
        if (len <= 0 || len > MAX_INBOX_BYTES) {
            throw new MalformedFrameException(field + " length " + len + " out of range");
        }
        byte[] raw = u.readPayload(len);
        boolean ascii = true;
        for (byte c : raw) {
            if (c == 0) {
                throw new MalformedFrameException(field + " contains NUL");
            }
            ascii &= c > 0;
        }
        if (ascii) {
            return new String(raw, StandardCharsets.US_ASCII);
        }
        // Strictly: a lenient decode would turn each bad byte into U+FFFD (three bytes), so
        // the name would no longer be the one on the wire, nor fit the limit when encoded.
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedFrameException(field + " is not UTF-8");
        }
    }
}
