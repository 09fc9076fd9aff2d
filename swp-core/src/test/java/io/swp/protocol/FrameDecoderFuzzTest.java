package io.swp.protocol;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Fuzz target 1, the frame decoder: any bytes either decode or throw
 * {@link MalformedFrameException}, nothing else; what decodes is within the documented
 * bounds, encodes again, and decodes the same from a copy, an owned array or an offset.
 * Inputs are raw bytes or a valid frame with a few edits, their CRC fixed half the time
 * so that the fuzzer gets past it into the MessagePack.
 */
@Tag("fuzz")
class FrameDecoderFuzzTest {

    static void fuzz(FuzzData in) {
        byte[] bytes;
        if (in.consumeBoolean()) {
            bytes = FuzzFrames.mutate(in, FrameCodec.encode(FuzzFrames.arbitrary(in)));
        } else {
            boolean fixCrc = in.consumeBoolean();
            bytes = in.consumeRemainingAsBytes();
            if (fixCrc) {
                bytes = FuzzFrames.withCrc(bytes);
            }
        }
        FuzzFrames.checkDecoding(bytes);
    }

    @FuzzTest
    void decoder(FuzzedDataProvider data) {
        fuzz(FuzzData.of(data));
    }

    @Test
    void seededInputs() {
        SeededFuzzing.run("frame decoder", 0xDEC0DEL, 400, FrameDecoderFuzzTest::fuzz);
    }
}
