package io.swp.protocol;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * Encodes and decodes {@link Packet}s.
 *
 * <p>Frame layout: one version byte ({@link #VERSION}), then a MessagePack array of the
 * header fields and the payload, then a CRC32C of everything before it (4 bytes, big
 * endian). The CRC is the per-frame integrity check: it is checked before any field is
 * parsed, so a corrupted frame costs one pass over its bytes and nothing else. CRC32C is
 * hardware-accelerated on the JVM; end-to-end content integrity is BLAKE2b's job at the
 * file layer.
 *
 * <p>The decoder checks every length and count against the limits below before it
 * allocates, and reports every problem as a {@link MalformedFrameException}.
 */
public final class PacketCodec {
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

    private PacketCodec() {
    }

    /**
     * Encodes a packet into a new frame.
     *
     * @param p the packet
     * @return the frame bytes
     * @throws IllegalArgumentException if a field exceeds the limits of this codec
     */
    public static byte[] encode(Packet p) {
        byte[] fromBytes = p.from().getBytes(StandardCharsets.UTF_8);
        byte[] toBytes = p.to().getBytes(StandardCharsets.UTF_8);
        checkInbox(fromBytes.length);
        checkInbox(toBytes.length);
        long[] sack = p.sackRanges();
        if (sack.length / 2 > MAX_SACK_RANGES) {
            throw new IllegalArgumentException("too many SACK ranges: " + sack.length / 2);
        }
        byte[] payload = p.payload();
        if (payload.length > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("payload too large: " + payload.length);
        }
        try (MessageBufferPacker pk = MessagePack.newDefaultBufferPacker()) {
            pk.writePayload(new byte[] {(byte) VERSION});
            pk.packArrayHeader(FIELD_COUNT);
            pk.packInt(p.kind().code());
            pk.packInt(p.flags());
            pk.packRawStringHeader(fromBytes.length);
            pk.writePayload(fromBytes);
            pk.packRawStringHeader(toBytes.length);
            pk.writePayload(toBytes);
            pk.packLong(p.srcNonce());
            pk.packLong(p.dstNonce());
            pk.packLong(p.seq());
            pk.packLong(p.ack());
            pk.packArrayHeader(sack.length);
            for (long v : sack) {
                pk.packLong(v);
            }
            pk.packInt(p.windowMessages());
            pk.packLong(p.windowBytes());
            pk.packLong(p.tsVal());
            pk.packLong(p.tsEcr());
            pk.packBinaryHeader(payload.length);
            pk.writePayload(payload);
            byte[] body = pk.toByteArray();
            byte[] frame = Arrays.copyOf(body, body.length + CRC_BYTES);
            CRC32C crc = new CRC32C();
            crc.update(body, 0, body.length);
            int c = (int) crc.getValue();
            frame[body.length] = (byte) (c >>> 24);
            frame[body.length + 1] = (byte) (c >>> 16);
            frame[body.length + 2] = (byte) (c >>> 8);
            frame[body.length + 3] = (byte) c;
            return frame;
        } catch (IOException e) {
            throw new IllegalStateException("in-memory packing failed", e);
        }
    }

    /**
     * Decodes a whole frame.
     *
     * @param frame the frame bytes
     * @return the packet
     * @throws MalformedFrameException if the frame is truncated, corrupted, of another
     *     version, or has a field outside its bounds
     */
    public static Packet decode(byte[] frame) throws MalformedFrameException {
        return decode(frame, 0, frame.length);
    }

    /**
     * Decodes a frame held in part of an array.
     *
     * @param buf the bytes
     * @param off where the frame starts
     * @param len its length
     * @return the packet
     * @throws MalformedFrameException if the frame is not valid
     */
    public static Packet decode(byte[] buf, int off, int len) throws MalformedFrameException {
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
            PacketKind kind = PacketKind.fromCode(readInt(u, "kind"));
            if (kind == null) {
                throw new MalformedFrameException("unknown packet kind");
            }
            int flags = readInt(u, "flags");
            if ((flags & ~Packet.KNOWN_FLAGS) != 0) {
                throw new MalformedFrameException("unknown flags " + Integer.toHexString(flags));
            }
            Packet.Builder b = Packet.builder(kind).flags(flags)
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
            int winMsgs = readInt(u, "windowMessages");
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
            b.payload(u.readPayload(payloadLen));
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
        for (byte c : raw) {
            if (c == 0) {
                throw new MalformedFrameException(field + " contains NUL");
            }
        }
        return new String(raw, StandardCharsets.UTF_8);
    }
}
