package io.swp.fanout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class BlockCodeTest {
    @Test
    void fieldInverses() {
        for (int a = 1; a < 256; a++) {
            assertEquals(1, BlockCode.mul(a, BlockCode.inv(a)), "a = " + a);
        }
    }

    @Test
    void anyMissingSymbolsComeBackFromAsManyRows() {
        Random random = new Random(5);
        for (int trial = 0; trial < 300; trial++) {
            int k = 1 + random.nextInt(64);
            long[] flags = new long[k];
            byte[][] payloads = new byte[k][];
            for (int i = 0; i < k; i++) {
                flags[i] = random.nextInt(16);
                payloads[i] = new byte[random.nextInt(300)];
                random.nextBytes(payloads[i]);
            }
            int missing = 1 + random.nextInt(Math.min(k, 12));
            byte[][] known = new byte[k][];
            int length = BlockCode.encode(k, 0, flags, payloads).length;
            for (int i = 0; i < k; i++) {
                known[i] = BlockCode.symbol(flags[i], payloads[i], payloads[i].length + BlockCode.SYMBOL_OVERHEAD);
            }
            for (int n = 0; n < missing; ) {
                int i = random.nextInt(k);
                if (known[i] != null) {
                    known[i] = null;
                    n++;
                }
            }
            int[] rows = new int[missing];
            byte[][] parities = new byte[missing][];
            for (int r = 0; r < missing; r++) {
                rows[r] = r * 3 + random.nextInt(3);
                parities[r] = BlockCode.encode(k, rows[r], flags, payloads);
                assertEquals(length, parities[r].length);
            }
            byte[][] got = BlockCode.decode(k, known, rows, parities);
            for (int i = 0; i < k; i++) {
                if (known[i] == null) {
                    assertEquals(flags[i], BlockCode.flagsOf(got[i]), "trial " + trial);
                    assertArrayEquals(payloads[i], BlockCode.payloadOf(got[i]), "trial " + trial + " symbol " + i);
                }
            }
        }
    }
}
