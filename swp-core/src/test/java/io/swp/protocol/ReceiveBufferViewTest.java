package io.swp.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Frames whose payload is a view into a larger array (as decoded frames are) read back exactly. */
class ReceiveBufferViewTest {

    /** A data packet whose payload sits between junk bytes, as in a received frame. */
    private static Frame view(long seq, byte[] payload, Random r) {
        byte[] frame = new byte[payload.length + 37 + 4];
        r.nextBytes(frame);
        System.arraycopy(payload, 0, frame, 37, payload.length);
        return Frame.builder(FrameKind.DATA).seq(seq).payloadView(frame, 37, payload.length).build();
    }

    @Test
    void streamReadsInOddSizesReturnOnlyThePayloadBytes() {
        long seed = 5L;
        Random r = new Random(seed);
        ReceiveBuffer buf = new ReceiveBuffer(64, 1 << 20, 8);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int seq = 0; seq < 20; seq++) {
            byte[] payload = new byte[1 + r.nextInt(3_000)];
            r.nextBytes(payload);
            expected.writeBytes(payload);
            buf.offer(view(seq, payload, r));
        }
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] out = new byte[4_096];
        for (int n; (n = buf.read(out, 0, 1 + r.nextInt(out.length))) > 0; ) {
            got.write(out, 0, n);
        }
        assertArrayEquals(expected.toByteArray(), got.toByteArray(), "seed " + seed);
    }

    @Test
    void aChunkAfterAPartialReadIsTheRestOfThatPayload() {
        Random r = new Random(6);
        ReceiveBuffer buf = new ReceiveBuffer(64, 1 << 20, 8);
        byte[] first = new byte[1_000];
        byte[] second = new byte[500];
        r.nextBytes(first);
        r.nextBytes(second);
        buf.offer(view(0, first, r));
        buf.offer(view(1, second, r));
        byte[] out = new byte[300];
        assertEquals(300, buf.read(out, 0, 300));
        assertArrayEquals(Arrays.copyOf(first, 300), out);
        assertArrayEquals(Arrays.copyOfRange(first, 300, 1_000), buf.pollChunk().data());
        assertArrayEquals(second, buf.pollChunk().data());
        assertNull(buf.pollChunk());
    }
}
