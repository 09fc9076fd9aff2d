package io.swp.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class Crc32cCombineTest {

    private static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    @Test
    void joiningTheCrcsOfTwoPartsGivesTheCrcOfTheWhole() {
        SplittableRandom random = new SplittableRandom(20261201);
        int[] lengths = {0, 1, 2, 3, 7, 8, 9, 63, 64, 65, 255, 256, 1000, 4096, 16_384, 16_385, 65_536, 100_003};
        for (int first : lengths) {
            for (int second : lengths) {
                byte[] whole = new byte[first + second];
                random.nextBytes(whole);
                assertEquals(crc(whole, 0, whole.length),
                        Crc32cCombine.combine(crc(whole, 0, first), crc(whole, first, second), second),
                        first + " + " + second + " bytes");
            }
        }
    }

    @Test
    void randomSplitsOfRandomLengthsAgree() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 2_000; i++) {
            byte[] whole = new byte[random.nextInt(40_000)];
            random.nextBytes(whole);
            int cut = random.nextInt(whole.length + 1);
            assertEquals(crc(whole, 0, whole.length), Crc32cCombine.combine(crc(whole, 0, cut),
                    crc(whole, cut, whole.length - cut), whole.length - cut), "seed 7, case " + i);
        }
    }

    @Test
    void aNegativeLengthIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Crc32cCombine.combine(1, 2, -1));
    }
}
