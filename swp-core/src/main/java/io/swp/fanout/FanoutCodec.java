package io.swp.fanout;

import io.swp.protocol.MalformedFrameException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;

/**
 * Encodes and decodes {@link FanoutFrame}s, in the style of the session codec
 * ({@code io.swp.protocol.FrameCodec}): one format byte, a MessagePack array of the eight
 * fields, then a CRC32C (4 bytes, big endian) of everything before it, checked before any
 * field is parsed.
 *
 * <p>The format byte, {@link #FORMAT} ({@code 'F'}), differs from every version the
 * session codec accepts, so a one-to-many frame that reaches a session inbox (or the
 * reverse) is rejected as malformed by the first byte instead of being misread.
 *
 * <p>The decoder checks every length and count before it allocates and reports every
 * problem as a {@link MalformedFrameException}, which the runtime counts and drops.
 */
public final class FanoutCodec {
    /** First byte of every one-to-many frame. */
    public static final int FORMAT = 'F';
    /** Longest inbox name, in UTF-8 bytes (as for sessions). */
    public static final int MAX_INBOX_BYTES = 255;
    /** Most ranges one NACK carries. */
    public static final int MAX_NACK_RANGES = 64;
    /** Largest payload a frame may carry, whatever the transport allows. */
    public static final int MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
    /** An upper bound on everything in a frame except the payload. */
    public static final int MAX_OVERHEAD_BYTES = 1 + 1 + 5 * 9 + 2 + MAX_INBOX_BYTES + 3
            + MAX_NACK_RANGES * 2 * 9 + 5 + 4;

    private static final int FIELDS = 8;
    private static final int CRC_BYTES = 4;

    private FanoutCodec() {
    }

    /**
     * @param f the frame
     * @return its encoding
     * @throws IllegalArgumentException if a field exceeds this codec's limits
     */
    public static byte[] encode(FanoutFrame f) {
        byte[] inbox = f.inbox().getBytes(StandardCharsets.UTF_8);
        if (inbox.length > MAX_INBOX_BYTES) {
            throw new IllegalArgumentException("inbox longer than " + MAX_INBOX_BYTES + " bytes");
        }
        if (f.ranges().length % 2 != 0 || f.ranges().length / 2 > MAX_NACK_RANGES) {
            throw new IllegalArgumentException("bad NACK ranges: " + f.ranges().length + " bounds");
        }
        if (f.payload().length > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("payload too large: " + f.payload().length);
        }
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packByte((byte) FORMAT);
            p.packArrayHeader(FIELDS);
            p.packInt(f.kind().code());
            p.packLong(f.stream());
            p.packLong(f.seq());
            p.packLong(f.aux());
            p.packLong(f.receiver());
            p.packRawStringHeader(inbox.length);
            p.writePayload(inbox);
            p.packArrayHeader(f.ranges().length);
            for (long v : f.ranges()) {
                p.packLong(v);
            }
            p.packBinaryHeader(f.payload().length);
            p.writePayload(f.payload());
            // packByte of a small positive value writes the value itself: the first byte is FORMAT.
            int body = (int) p.getTotalWrittenBytes();
            byte[] out = new byte[body + CRC_BYTES];
            int pos = 0;
            for (org.msgpack.core.buffer.MessageBuffer b : p.toBufferList()) {
                b.getBytes(0, out, pos, b.size());
                pos += b.size();
            }
            CRC32C crc = new CRC32C();
            crc.update(out, 0, body);
            ByteBuffer.wrap(out, body, CRC_BYTES).putInt((int) crc.getValue());
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("in-memory packing failed", e);
        }
    }

    /**
     * @param frame the frame bytes; the payload of the result is a copy
     * @return the decoded frame
     * @throws MalformedFrameException if the frame is truncated, corrupted, of another
     *     format, or has a field outside its bounds
     */
    public static FanoutFrame decode(byte[] frame) throws MalformedFrameException {
        if (frame == null || frame.length < 2 + CRC_BYTES) {
            throw new MalformedFrameException("fan-out frame too short");
        }
        int body = frame.length - CRC_BYTES;
        CRC32C crc = new CRC32C();
        crc.update(frame, 0, body);
        if ((int) crc.getValue() != ByteBuffer.wrap(frame, body, CRC_BYTES).getInt()) {
            throw new MalformedFrameException("fan-out frame checksum mismatch");
        }
        if (frame[0] != FORMAT) {
            throw new MalformedFrameException("not a fan-out frame (format byte " + (frame[0] & 0xff) + ")");
        }
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(frame, 1, body - 1)) {
            int fields = u.unpackArrayHeader();
            if (fields != FIELDS) {
                throw new MalformedFrameException("expected " + FIELDS + " fields, got " + fields);
            }
            FanoutKind kind = FanoutKind.ofCode(u.unpackLong());
            if (kind == null) {
                throw new MalformedFrameException("unknown fan-out frame kind");
            }
            long stream = u.unpackLong();
            if (stream == 0) {
                throw new MalformedFrameException("stream nonce 0");
            }
            long seq = u.unpackLong();
            long aux = u.unpackLong();
            long receiver = u.unpackLong();
            if (seq < 0 || aux < 0) {
                throw new MalformedFrameException("negative sequence or field");
            }
            if (kind == FanoutKind.DATA && (aux & ~FanoutFrame.DATA_FLAGS) != 0) {
                throw new MalformedFrameException("unknown DATA flags " + Long.toHexString(aux));
            }
            int inboxLen = u.unpackRawStringHeader();
            if (inboxLen < 0 || inboxLen > MAX_INBOX_BYTES) {
                throw new MalformedFrameException("inbox of " + inboxLen + " bytes");
            }
            String inbox = utf8(u.readPayload(inboxLen));
            int bounds = u.unpackArrayHeader();
            if (bounds < 0 || bounds % 2 != 0 || bounds / 2 > MAX_NACK_RANGES) {
                throw new MalformedFrameException("bad NACK range count " + bounds);
            }
            long[] ranges = new long[bounds];
            for (int i = 0; i < bounds; i += 2) {
                ranges[i] = u.unpackLong();
                ranges[i + 1] = u.unpackLong();
                if (ranges[i] < 0 || ranges[i + 1] < ranges[i]) {
                    throw new MalformedFrameException("bad NACK range [" + ranges[i] + ", " + ranges[i + 1] + "]");
                }
            }
            int len = u.unpackBinaryHeader();
            if (len < 0 || len > MAX_PAYLOAD_BYTES || len > body - 1 - u.getTotalReadBytes()) {
                throw new MalformedFrameException("payload of " + len + " bytes");
            }
            byte[] payload = u.readPayload(len);
            if (u.hasNext()) {
                throw new MalformedFrameException("trailing bytes after the fan-out frame");
            }
            return new FanoutFrame(kind, stream, seq, aux, receiver, inbox, ranges, payload);
        } catch (MessagePackException | IOException | IllegalArgumentException e) {
            throw new MalformedFrameException("undecodable fan-out frame: " + e.getMessage(), e);
        }
    }

    private static String utf8(byte[] b) throws MalformedFrameException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedFrameException("inbox is not UTF-8");
        }
    }
}
