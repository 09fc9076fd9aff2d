package io.swp.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.zip.CRC32C;

/** Frames and frame bytes drawn from a fuzz input, for the fuzz targets. */
final class FuzzFrames {
    private static final String[] INBOXES = {"a", "b", "local", "remote", "inbox.ü.邮箱", "x".repeat(255)};
    private static final FrameKind[] KINDS = FrameKind.values();

    private FuzzFrames() {
    }

    /** @return an inbox name the codec accepts: 1..255 UTF-8 bytes, no NUL */
    static String inbox(FuzzData in) {
        if (in.consumeBoolean()) {
            return in.pick(INBOXES);
        }
        byte[] raw = in.consumeBytes(40);
        StringBuilder sb = new StringBuilder();
        for (byte b : raw) {
            sb.append((char) ('!' + Math.floorMod(b, 94)));
        }
        return sb.length() == 0 ? "i" : sb.toString();
    }

    /** @return a SACK range list the codec accepts: up to {@code maxRanges} non-empty, non-negative ranges */
    static long[] sackRanges(FuzzData in, long around, int maxRanges) {
        int n = in.consumeInt(0, maxRanges);
        long[] sack = new long[2 * n];
        for (int i = 0; i < n; i++) {
            long start = in.consumeBoolean() ? Math.max(0, around + in.consumeInt(-4, 40))
                    : in.consumeLong(0, Long.MAX_VALUE - 1);
            long room = Long.MAX_VALUE - start - 1;
            long end = start + 1 + (in.consumeBoolean() ? Math.min(room, in.consumeInt(0, 8)) : in.consumeLong(0, room));
            sack[2 * i] = start;
            sack[2 * i + 1] = end;
        }
        return sack;
    }

    /** @return any frame the codec can encode */
    static Frame arbitrary(FuzzData in) {
        return Frame.builder(in.pick(KINDS))
                .flags(in.consumeInt(0, Frame.KNOWN_FLAGS))
                .from(inbox(in)).to(inbox(in))
                .srcNonce(in.consumeBoolean() ? in.consumeInt(0, 3) : in.consumeLong())
                .dstNonce(in.consumeBoolean() ? in.consumeInt(0, 3) : in.consumeLong())
                .seq(in.consumeLong(0, Long.MAX_VALUE))
                .ack(in.consumeLong(0, Long.MAX_VALUE))
                .sackRanges(sackRanges(in, 0, FrameCodec.MAX_SACK_RANGES))
                .window(in.consumeInt(0, Integer.MAX_VALUE), in.consumeLong(0, Long.MAX_VALUE))
                .tsVal(in.consumeLong()).tsEcr(in.consumeLong())
                .payload(in.consumeBytes(300))
                .build();
    }

    /**
     * Edits encoded bytes a few times (flip, overwrite, insert, delete, truncate), then
     * fixes the CRC or not, as the input says.
     *
     * @return the edited bytes
     */
    static byte[] mutate(FuzzData in, byte[] frame) {
        byte[] b = frame;
        int edits = in.consumeInt(0, 4);
        for (int e = 0; e < edits && b.length > 0; e++) {
            int at = in.consumeInt(0, b.length - 1);
            switch (in.consumeInt(0, 4)) {
                case 0 -> b[at] ^= (byte) (1 << in.consumeInt(0, 7));
                case 1 -> b[at] = (byte) in.consumeInt(0, 255);
                case 2 -> {
                    byte[] longer = new byte[b.length + 1];
                    System.arraycopy(b, 0, longer, 0, at);
                    longer[at] = (byte) in.consumeInt(0, 255);
                    System.arraycopy(b, at, longer, at + 1, b.length - at);
                    b = longer;
                }
                case 3 -> {
                    byte[] shorter = new byte[b.length - 1];
                    System.arraycopy(b, 0, shorter, 0, at);
                    System.arraycopy(b, at + 1, shorter, at, b.length - at - 1);
                    b = shorter;
                }
                default -> b = java.util.Arrays.copyOf(b, at);
            }
        }
        return in.consumeBoolean() ? withCrc(b) : b;
    }

    /** @return {@code frame} with its last four bytes replaced by the CRC32C of the rest (if it has five) */
    static byte[] withCrc(byte[] frame) {
        if (frame.length < 5) {
            return frame;
        }
        CRC32C crc = new CRC32C();
        crc.update(frame, 0, frame.length - 4);
        int v = (int) crc.getValue();
        int at = frame.length - 4;
        frame[at] = (byte) (v >>> 24);
        frame[at + 1] = (byte) (v >>> 16);
        frame[at + 2] = (byte) (v >>> 8);
        frame[at + 3] = (byte) v;
        return frame;
    }

    /**
     * The decoder's invariants for one input: it decodes or throws
     * {@link MalformedFrameException} and nothing else; what decodes is within the
     * documented bounds, encodes again, and decodes the same from an owned array and at
     * an offset.
     */
    static void checkDecoding(byte[] bytes) {
        Frame f;
        try {
            f = FrameCodec.decode(bytes);
        } catch (MalformedFrameException e) {
            assertThrows(MalformedFrameException.class, () -> FrameCodec.decodeOwned(bytes.clone()));
            return;
        }
        assertTrue(f.seq() >= 0 && f.ack() >= 0, "negative sequence numbers");
        assertTrue(f.windowFrames() >= 0 && f.windowBytes() >= 0, "negative window");
        assertTrue(f.payloadLength() <= FrameCodec.MAX_PAYLOAD_BYTES, "payload too large");
        assertTrue((f.flags() & ~Frame.KNOWN_FLAGS) == 0, "unknown flags");
        long[] sack = f.sackRanges();
        assertTrue(sack.length % 2 == 0 && sack.length <= 2 * FrameCodec.MAX_SACK_RANGES, "SACK ranges");
        for (int i = 0; i < sack.length; i += 2) {
            assertTrue(0 <= sack[i] && sack[i] < sack[i + 1], "empty or negative SACK range");
        }
        byte[] again = FrameCodec.encode(f);
        try {
            assertEquals(f, FrameCodec.decode(again), "encode, decode");
            assertEquals(f, FrameCodec.decodeOwned(bytes.clone()), "decoded from an owned array");
            byte[] padded = new byte[bytes.length + 7];
            System.arraycopy(bytes, 0, padded, 3, bytes.length);
            assertEquals(f, FrameCodec.decode(padded, 3, bytes.length), "decoded at an offset");
        } catch (MalformedFrameException e) {
            throw new AssertionError("a frame that decoded once does not decode again", e);
        }
    }
}
