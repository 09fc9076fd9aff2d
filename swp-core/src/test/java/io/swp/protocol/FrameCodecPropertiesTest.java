package io.swp.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/**
 * Properties of the codec (jqwik): every valid frame survives encode and decode unchanged,
 * and any bytes at all either decode or throw {@link MalformedFrameException}. Seeds are
 * fixed, so the build is the same every time; jqwik prints the seed and the shrunk
 * example of a failure.
 */
class FrameCodecPropertiesTest {

    /** The first half of a frame's fields. */
    private record Head(FrameKind kind, int flags, String from, String to, long srcNonce, long dstNonce, long seq,
                        long ack) {
    }

    /** The second half. */
    private record Tail(long[] sack, int windowFrames, long windowBytes, long tsVal, long tsEcr, byte[] payload) {
    }

    @Provide
    Arbitrary<Frame> frames() {
        Arbitrary<Head> head = Combinators.combine(Arbitraries.of(FrameKind.class),
                Arbitraries.integers().between(0, Frame.KNOWN_FLAGS), inboxes(), inboxes(), Arbitraries.longs(),
                Arbitraries.longs(), Arbitraries.longs().greaterOrEqual(0), Arbitraries.longs().greaterOrEqual(0))
                .as(Head::new);
        Arbitrary<Tail> tail = Combinators.combine(sackRanges(), Arbitraries.integers().greaterOrEqual(0),
                Arbitraries.longs().greaterOrEqual(0), Arbitraries.longs(), Arbitraries.longs(), payloads())
                .as(Tail::new);
        return Combinators.combine(head, tail).as((h, t) -> Frame.builder(h.kind()).flags(h.flags())
                .from(h.from()).to(h.to()).srcNonce(h.srcNonce()).dstNonce(h.dstNonce()).seq(h.seq()).ack(h.ack())
                .sackRanges(t.sack()).window(t.windowFrames(), t.windowBytes()).tsVal(t.tsVal()).tsEcr(t.tsEcr())
                .payload(t.payload()).build());
    }

    /** Inbox names the codec takes: 1..255 UTF-8 bytes without NUL, ASCII or not, up to the limit. */
    private static Arbitrary<String> inboxes() {
        Arbitrary<String> ascii = Arbitraries.strings().withCharRange('!', '~').ofMinLength(1).ofMaxLength(64);
        Arbitrary<String> unicode = Arbitraries.strings().withCharRange('\u00a0', '\ud7ff').ofMinLength(1)
                .ofMaxLength(85);
        Arbitrary<String> longest = Arbitraries.of("x".repeat(FrameCodec.MAX_INBOX_BYTES),
                "é".repeat(FrameCodec.MAX_INBOX_BYTES / 2) + "x", "📬".repeat(FrameCodec.MAX_INBOX_BYTES / 4));
        return Arbitraries.frequencyOf(
                        Tuple.of(6, ascii), Tuple.of(3, unicode), Tuple.of(1, longest))
                .filter(s -> s.getBytes(StandardCharsets.UTF_8).length <= FrameCodec.MAX_INBOX_BYTES);
    }

    /** Up to 32 non-empty ranges of non-negative numbers, in any order, overlapping or not. */
    private static Arbitrary<long[]> sackRanges() {
        Arbitrary<long[]> range = Arbitraries.longs().between(0, Long.MAX_VALUE - 1).flatMap(start -> Arbitraries
                .longs().between(start + 1, Long.MAX_VALUE).map(end -> new long[] {start, end}));
        return range.list().ofMaxSize(FrameCodec.MAX_SACK_RANGES).map(FrameCodecPropertiesTest::flatten);
    }

    private static long[] flatten(List<long[]> ranges) {
        long[] out = new long[2 * ranges.size()];
        for (int i = 0; i < ranges.size(); i++) {
            out[2 * i] = ranges.get(i)[0];
            out[2 * i + 1] = ranges.get(i)[1];
        }
        return out;
    }

    /** Small payloads mostly; now and then one past each MessagePack binary header width. */
    private static Arbitrary<byte[]> payloads() {
        return Arbitraries.frequencyOf(
                Tuple.of(20, Arbitraries.bytes().array(byte[].class).ofMaxSize(600)),
                Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMinSize(255).ofMaxSize(70_000)));
    }

    @Property(tries = 1000, seed = "20261123")
    void everyValidFrameSurvivesEncodeAndDecode(@ForAll("frames") Frame f) throws MalformedFrameException {
        byte[] encoded = FrameCodec.encode(f);
        Frame back = FrameCodec.decode(encoded);
        assertEquals(f, back);
        assertArrayEquals(f.payload(), back.payload());
        assertArrayEquals(f.sackRanges(), back.sackRanges());
        assertEquals(f, FrameCodec.decodeOwned(encoded.clone()));
        assertArrayEquals(encoded, FrameCodec.encode(back), "one encoding per frame");
    }

    @Property(tries = 3000, seed = "20261124")
    void anyBytesDecodeOrAreMalformed(@ForAll byte[] bytes, @ForAll boolean fixCrc) {
        FuzzFrames.checkDecoding(fixCrc ? FuzzFrames.withCrc(bytes.clone()) : bytes);
    }

    @Property(tries = 3000, seed = "20261125")
    void aValidFrameWithOneByteChangedDecodesOrIsMalformed(@ForAll("frames") Frame f,
            @ForAll @IntRange(min = 0, max = 100_000) int position, @ForAll byte value, @ForAll boolean fixCrc) {
        byte[] encoded = FrameCodec.encode(f);
        encoded[position % encoded.length] = value;
        FuzzFrames.checkDecoding(fixCrc ? FuzzFrames.withCrc(encoded) : encoded);
    }

    @Property(tries = 1000, seed = "20261126")
    void aTruncatedFrameIsMalformed(@ForAll("frames") Frame f, @ForAll @IntRange(min = 0, max = 100_000) int cut,
                                    @ForAll boolean fixCrc) {
        byte[] encoded = FrameCodec.encode(f);
        byte[] shorter = Arrays.copyOf(encoded, cut % encoded.length);
        byte[] input = fixCrc ? FuzzFrames.withCrc(shorter) : shorter;
        assertThrows(MalformedFrameException.class, () -> FrameCodec.decode(input));
    }
}
