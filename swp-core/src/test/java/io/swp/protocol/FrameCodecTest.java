package io.swp.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

class FrameCodecTest {

    private static Frame.Builder full(FrameKind kind) {
        return Frame.builder(kind).flags(Frame.FLAG_END_OF_MESSAGE).from("alice.inbox").to("bob.inbox")
                .srcNonce(0x1234_5678_9abc_def0L).dstNonce(-42).seq(7).ack(5)
                .sackRanges(new long[] {20, 30, 9, 12}).window(1024, 16L * 1024 * 1024)
                .tsVal(-1L).tsEcr(Long.MAX_VALUE).payload(new byte[] {1, 2, 3});
    }

    private static Frame decode(byte[] frame) {
        try {
            return FrameCodec.decode(frame);
        } catch (MalformedFrameException e) {
            throw new AssertionError(e);
        }
    }

    /** Asserts that decoding fails with exactly MalformedFrameException, nothing else. */
    private static void assertMalformed(byte[] frame, String what) {
        try {
            FrameCodec.decode(frame);
            fail(what + ": decoded");
        } catch (MalformedFrameException expected) {
            // the only acceptable outcome
        } catch (RuntimeException | Error e) {
            throw new AssertionError(what + ": threw " + e, e);
        }
    }

    /** The engine's path, with inbox names it encoded once, writes the same bytes as encode(Frame). */
    @Test
    void encodingWithPreEncodedInboxesGivesTheSameBytes() {
        for (String[] inboxes : new String[][] {{"alice.inbox", "bob.inbox"}, {"caf\u00e9.\u00fc", "\u65e5\u672c.x"}}) {
            Frame f = full(FrameKind.DATA).from(inboxes[0]).to(inboxes[1]).payload(new byte[16 * 1024]).build();
            byte[] expected = FrameCodec.encode(f);
            byte[] actual = FrameCodec.encode(f, inboxes[0].getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    inboxes[1].getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertArrayEquals(expected, actual);
            assertEquals(f, decode(actual));
        }
    }

    @Test
    void everyKindRoundTrips() {
        for (FrameKind kind : FrameKind.values()) {
            Frame p = full(kind).build();
            assertEquals(p, decode(FrameCodec.encode(p)), kind.toString());
        }
    }

    @Test
    void flagsSackRangesUnicodeInboxesAndPayloadSizesRoundTrip() {
        long[] manyRanges = new long[2 * FrameCodec.MAX_SACK_RANGES];
        for (int i = 0; i < manyRanges.length; i += 2) {
            manyRanges[i] = 1000L * i + Integer.MAX_VALUE;
            manyRanges[i + 1] = manyRanges[i] + 1 + i;
        }
        byte[] large = new byte[1 << 20];
        new Random(3).nextBytes(large);
        List<Frame> packets = List.of(
                full(FrameKind.DATA).flags(Frame.KNOWN_FLAGS).build(),
                full(FrameKind.DATA).flags(0).payload(new byte[0]).sackRanges(new long[0]).build(),
                full(FrameKind.DATA).payload(large).sackRanges(manyRanges).build(),
                full(FrameKind.ACK).from("ünïcødé.邮箱.📬").to("b".repeat(FrameCodec.MAX_INBOX_BYTES)).build(),
                full(FrameKind.SYN).seq(0).ack(0).dstNonce(0).window(0, 0).tsVal(0).tsEcr(0).build(),
                full(FrameKind.FIN).seq(Long.MAX_VALUE).ack(Long.MAX_VALUE).window(Integer.MAX_VALUE, Long.MAX_VALUE)
                        .build());
        for (Frame p : packets) {
            Frame back = decode(FrameCodec.encode(p));
            assertEquals(p, back, p.toString());
            assertArrayEquals(p.payload(), back.payload());
            assertArrayEquals(p.sackRanges(), back.sackRanges());
        }
    }

    /** The frame as msgpack-core's own packer lays it out: the reference for the hand-written encoder. */
    private static byte[] referenceEncoding(Frame p) throws IOException {
        try (MessageBufferPacker pk = MessagePack.newDefaultBufferPacker()) {
            pk.writePayload(new byte[] {(byte) FrameCodec.VERSION});
            pk.packArrayHeader(14);
            pk.packInt(p.kind().code());
            pk.packInt(p.flags());
            pk.packString(p.from());
            pk.packString(p.to());
            pk.packLong(p.srcNonce());
            pk.packLong(p.dstNonce());
            pk.packLong(p.seq());
            pk.packLong(p.ack());
            pk.packArrayHeader(p.sackRanges().length);
            for (long v : p.sackRanges()) {
                pk.packLong(v);
            }
            pk.packInt(p.windowFrames());
            pk.packLong(p.windowBytes());
            pk.packLong(p.tsVal());
            pk.packLong(p.tsEcr());
            pk.packBinaryHeader(p.payload().length);
            pk.writePayload(p.payload());
            byte[] body = pk.toByteArray();
            CRC32C crc = new CRC32C();
            crc.update(body);
            byte[] frame = Arrays.copyOf(body, body.length + 4);
            int c = (int) crc.getValue();
            for (int i = 0; i < 4; i++) {
                frame[body.length + i] = (byte) (c >>> (24 - 8 * i));
            }
            return frame;
        }
    }

    @Test
    void encodingIsByteForByteWhatMsgpackCoreWrites() throws IOException {
        // Every integer width boundary MessagePack has, on both sides, plus random values.
        List<Long> edges = new ArrayList<>();
        for (long b : new long[] {0, 1L << 7, 1L << 8, 1L << 15, 1L << 16, 1L << 31, 1L << 32, 1L << 5}) {
            for (long d = -1; d <= 1; d++) {
                edges.add(b + d);
                edges.add(-(b + d));
            }
        }
        edges.add(Long.MAX_VALUE);
        edges.add(Long.MIN_VALUE);
        edges.add((long) Integer.MIN_VALUE);
        edges.add((long) Integer.MAX_VALUE);
        long seed = 20261124L;
        Random r = new Random(seed);
        int[] payloadSizes = {0, 1, 255, 256, 65_535, 65_536, 70_000};
        int[] inboxLengths = {1, 31, 32, 255};
        for (int i = 0; i < 2_000; i++) {
            long[] v = new long[8];
            for (int k = 0; k < v.length; k++) {
                v[k] = r.nextBoolean() ? edges.get(r.nextInt(edges.size())) : r.nextLong() >> r.nextInt(64);
            }
            int ranges = r.nextInt(FrameCodec.MAX_SACK_RANGES + 1);
            long[] sack = new long[2 * ranges];
            for (int k = 0; k < sack.length; k++) {
                sack[k] = Math.abs(edges.get(r.nextInt(edges.size())));
            }
            byte[] payload = new byte[payloadSizes[r.nextInt(payloadSizes.length)]];
            r.nextBytes(payload);
            Frame p = Frame.builder(FrameKind.values()[r.nextInt(FrameKind.values().length)])
                    .flags(r.nextInt(Frame.KNOWN_FLAGS + 1))
                    .from("f".repeat(inboxLengths[r.nextInt(inboxLengths.length)]))
                    .to(i % 7 == 0 ? "ü.inbox.ß" : "t".repeat(inboxLengths[r.nextInt(inboxLengths.length)]))
                    .srcNonce(v[0]).dstNonce(v[1]).seq(Math.abs(v[2])).ack(Math.abs(v[3])).sackRanges(sack)
                    .window((int) Math.abs(v[4] % Integer.MAX_VALUE), Math.abs(v[5]))
                    .tsVal(v[6]).tsEcr(v[7]).payload(payload).build();
            assertArrayEquals(referenceEncoding(p), FrameCodec.encode(p), "seed " + seed + ", packet " + i + ": " + p);
        }
    }

    @Test
    void anOwnedDecodeSharesTheFrameAndBehavesLikeACopyingOne() throws MalformedFrameException {
        long seed = 77L;
        Random r = new Random(seed);
        for (int size : new int[] {0, 1, 255, 256, 16_384, 65_536}) {
            byte[] payload = new byte[size];
            r.nextBytes(payload);
            Frame p = full(FrameKind.DATA).payload(payload).build();
            byte[] frame = FrameCodec.encode(p);
            Frame copied = FrameCodec.decode(frame);
            Frame shared = FrameCodec.decodeOwned(frame.clone());
            assertEquals(copied, shared, "seed " + seed + ", size " + size);
            assertEquals(size, shared.payloadLength());
            assertArrayEquals(payload, shared.payload());
            if (size > 0) {
                assertTrue(shared.payloadArray().length > size, "the view keeps the frame, not a copy");
            }
            // A view re-encodes to the very same frame, and survives the builder.
            assertArrayEquals(frame, FrameCodec.encode(shared));
            assertArrayEquals(frame, FrameCodec.encode(shared.toBuilder().build()));
        }
        // The owned decode rejects exactly what the copying one rejects.
        byte[] frame = FrameCodec.encode(full(FrameKind.DATA).payload(new byte[300]).build());
        for (int cut = 0; cut < frame.length; cut++) {
            byte[] truncated = Arrays.copyOf(frame, cut);
            assertThrows(MalformedFrameException.class, () -> FrameCodec.decodeOwned(truncated), "cut " + cut);
        }
        for (int bit = 0; bit < frame.length * 8; bit += 7) {
            byte[] flipped = frame.clone();
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThrows(MalformedFrameException.class, () -> FrameCodec.decodeOwned(flipped), "bit " + bit);
        }
    }

    @Test
    void encodeRejectsFieldsBeyondTheLimits() {
        assertThrows(IllegalArgumentException.class,
                () -> FrameCodec.encode(full(FrameKind.ACK).from("").build()));
        assertThrows(IllegalArgumentException.class,
                () -> FrameCodec.encode(full(FrameKind.ACK).to("x".repeat(FrameCodec.MAX_INBOX_BYTES + 1)).build()));
        assertThrows(IllegalArgumentException.class, () -> FrameCodec.encode(
                full(FrameKind.ACK).sackRanges(new long[2 * FrameCodec.MAX_SACK_RANGES + 2]).build()));
    }

    @Test
    void theOverheadBoundHoldsForTheLargestHeader() {
        long[] ranges = new long[2 * FrameCodec.MAX_SACK_RANGES];
        Arrays.fill(ranges, Long.MAX_VALUE);
        for (int i = 0; i < ranges.length; i += 2) {
            ranges[i] = Long.MAX_VALUE - 1000 + i;
            ranges[i + 1] = ranges[i] + 1;
        }
        String inbox = "é".repeat(FrameCodec.MAX_INBOX_BYTES / 2) + "x";
        Frame p = full(FrameKind.DATA).from(inbox).to(inbox).sackRanges(ranges).flags(Integer.MAX_VALUE & 3)
                .srcNonce(Long.MIN_VALUE).dstNonce(Long.MIN_VALUE).seq(Long.MAX_VALUE).ack(Long.MAX_VALUE)
                .window(Integer.MAX_VALUE, Long.MAX_VALUE).tsVal(Long.MIN_VALUE).tsEcr(Long.MIN_VALUE)
                .payload(new byte[70_000]).build();
        int overhead = FrameCodec.encode(p).length - p.payload().length;
        assertTrue(overhead <= FrameCodec.MAX_OVERHEAD_BYTES, overhead + " > " + FrameCodec.MAX_OVERHEAD_BYTES);
    }

    @Test
    void everyTruncationIsMalformed() {
        for (FrameKind kind : FrameKind.values()) {
            byte[] frame = FrameCodec.encode(full(kind).build());
            for (int len = 0; len < frame.length; len++) {
                assertMalformed(Arrays.copyOf(frame, len), kind + " truncated to " + len);
            }
        }
    }

    @Test
    void everySingleBitFlipIsMalformed() {
        byte[] frame = FrameCodec.encode(full(FrameKind.DATA).payload(new byte[100]).build());
        for (int bit = 0; bit < frame.length * 8; bit++) {
            byte[] copy = frame.clone();
            copy[bit / 8] ^= (byte) (1 << (bit % 8));
            assertMalformed(copy, "bit " + bit + " flipped");
        }
    }

    @Test
    void randomGarbageIsMalformed() {
        long seed = 20_241_124;
        Random random = new Random(seed);
        for (int i = 0; i < 5_000; i++) {
            byte[] garbage = new byte[random.nextInt(300)];
            random.nextBytes(garbage);
            assertMalformed(garbage, "seed " + seed + " case " + i);
        }
    }

    @Test
    void garbageWithAValidChecksumIsMalformed() {
        // Past the CRC, the parser itself must reject anything: random bodies, and valid
        // frames with bytes mutated and the CRC recomputed.
        long seed = 77;
        Random random = new Random(seed);
        byte[] valid = FrameCodec.encode(full(FrameKind.DATA).build());
        int decoded = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] body;
            if (i % 2 == 0) {
                body = new byte[1 + random.nextInt(200)];
                random.nextBytes(body);
                body[0] = (byte) FrameCodec.VERSION;
            } else {
                body = Arrays.copyOf(valid, valid.length - 4);
                for (int m = 1 + random.nextInt(4); m > 0; m--) {
                    body[1 + random.nextInt(body.length - 1)] = (byte) random.nextInt(256);
                }
            }
            byte[] frame = withCrc(body);
            try {
                Frame p = FrameCodec.decode(frame);
                decoded++;
                // Whatever decodes must re-encode to a frame that decodes to the same packet.
                assertEquals(p, FrameCodec.decode(FrameCodec.encode(p)), "seed " + seed + " case " + i);
            } catch (MalformedFrameException expected) {
                // fine
            } catch (RuntimeException | Error e) {
                throw new AssertionError("seed " + seed + " case " + i + ": " + e, e);
            }
        }
        assertTrue(decoded < 20_000);
    }

    @Test
    void oversizedDeclaredLengthsAreRejectedWithoutAllocating() throws IOException {
        // Controls: the crafting helpers make valid frames when the lengths are honest.
        assertEquals(3, decode(craft(pk -> {
            pk.packBinaryHeader(3);
            pk.writePayload(new byte[] {7, 8, 9});
        }, true)).payload().length);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        List<byte[]> crafted = new ArrayList<>();
        crafted.add(craft(pk -> pk.packBinaryHeader(Integer.MAX_VALUE), true));   // 2 GiB payload
        crafted.add(craft(pk -> pk.packBinaryHeader(FrameCodec.MAX_PAYLOAD_BYTES + 1), true));
        crafted.add(craft(pk -> pk.packBinaryHeader(1000), true));               // more than is left
        crafted.add(craftWithInbox(Integer.MAX_VALUE));                           // 2 GiB inbox name
        crafted.add(craftWithSack(Integer.MAX_VALUE));                            // 2^31 SACK entries
        crafted.add(craftWithSack(2 * FrameCodec.MAX_SACK_RANGES + 2));
        for (int i = 0; i < crafted.size(); i++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            assertMalformed(crafted.get(i), "crafted frame " + i);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < 1_000_000, "crafted frame " + i + " allocated " + allocated + " bytes");
        }
    }

    @FunctionalInterface
    private interface PayloadWriter {
        void write(MessageBufferPacker pk) throws IOException;
    }

    /** A frame with a valid header and CRC whose payload part is written by {@code payload}. */
    private static byte[] craft(PayloadWriter payload, boolean header) throws IOException {
        try (MessageBufferPacker pk = MessagePack.newDefaultBufferPacker()) {
            pk.writePayload(new byte[] {(byte) FrameCodec.VERSION});
            pk.packArrayHeader(14);
            pk.packInt(FrameKind.DATA.code()).packInt(0).packString("a").packString("b");
            pk.packLong(1).packLong(2).packLong(0).packLong(0).packArrayHeader(0);
            pk.packInt(1).packLong(1).packLong(0).packLong(0);
            payload.write(pk);
            return withCrc(pk.toByteArray());
        }
    }

    private static byte[] craftWithInbox(int declaredLength) throws IOException {
        try (MessageBufferPacker pk = MessagePack.newDefaultBufferPacker()) {
            pk.writePayload(new byte[] {(byte) FrameCodec.VERSION});
            pk.packArrayHeader(14);
            pk.packInt(FrameKind.DATA.code()).packInt(0).packRawStringHeader(declaredLength);
            pk.writePayload(new byte[] {'a', 'b', 'c'});
            return withCrc(pk.toByteArray());
        }
    }

    private static byte[] craftWithSack(int declaredEntries) throws IOException {
        try (MessageBufferPacker pk = MessagePack.newDefaultBufferPacker()) {
            pk.writePayload(new byte[] {(byte) FrameCodec.VERSION});
            pk.packArrayHeader(14);
            pk.packInt(FrameKind.DATA.code()).packInt(0).packString("a").packString("b");
            pk.packLong(1).packLong(2).packLong(0).packLong(0).packArrayHeader(declaredEntries);
            pk.packLong(1).packLong(2);
            return withCrc(pk.toByteArray());
        }
    }

    private static byte[] withCrc(byte[] body) {
        byte[] frame = Arrays.copyOf(body, body.length + 4);
        CRC32C crc = new CRC32C();
        crc.update(body, 0, body.length);
        int c = (int) crc.getValue();
        frame[body.length] = (byte) (c >>> 24);
        frame[body.length + 1] = (byte) (c >>> 16);
        frame[body.length + 2] = (byte) (c >>> 8);
        frame[body.length + 3] = (byte) c;
        return frame;
    }

    @Test
    void anInboxThatIsNotUtf8IsMalformed() throws IOException {
        // 255 bytes, each a lone continuation byte: decoded leniently, each would become
        // U+FFFD, three bytes, and the frame could not be encoded again (found by fuzzing).
        byte[] name = new byte[FrameCodec.MAX_INBOX_BYTES];
        Arrays.fill(name, (byte) 0x80);
        for (byte[] inbox : new byte[][] {name, {'a', (byte) 0xC3}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}}) {
            try (MessageBufferPacker pk = MessagePack.newDefaultBufferPacker()) {
                pk.writePayload(new byte[] {(byte) FrameCodec.VERSION});
                pk.packArrayHeader(14);
                pk.packInt(FrameKind.DATA.code()).packInt(0).packRawStringHeader(inbox.length);
                pk.writePayload(inbox);
                pk.packString("b").packLong(1).packLong(2).packLong(0).packLong(0).packArrayHeader(0);
                pk.packInt(1).packLong(1).packLong(0).packLong(0).packBinaryHeader(0);
                assertMalformed(withCrc(pk.toByteArray()), "inbox " + Arrays.toString(inbox));
            }
        }
        Frame unicode = full(FrameKind.DATA).from("ünïcødé.邮箱.📬").build();
        assertEquals(unicode, decode(FrameCodec.encode(unicode)), "well-formed UTF-8 still decodes");
    }
}
