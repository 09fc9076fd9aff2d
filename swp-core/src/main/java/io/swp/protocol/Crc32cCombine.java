package io.swp.protocol;

/**
 * Joins two CRC32Cs ({@link java.util.zip.CRC32C}, as {@code (int) getValue()}): given
 * the CRC of {@code a} and the CRC of {@code b}, the CRC of {@code a} followed by
 * {@code b}, without reading either again.
 *
 * <p>Why: a stream frame's payload is checksummed by the writer, right after it copied
 * the bytes in and while they are still in its core's cache; the sending loop then
 * checksums only the header it writes and joins the two, instead of reading 16 KiB of
 * payload it has never touched.
 *
 * <p>How: a CRC is the message as a polynomial over GF(2), modulo the generator. Putting
 * {@code n} bytes behind {@code a} multiplies its polynomial by x<sup>8n</sup>, and the
 * pre- and post-conditioning of the two CRCs cancel, so
 * {@code crc(a b) = crc(a) * x^(8 |b|) mod P + crc(b)}. Polynomials are held
 * bit-reflected, as CRC32C computes them: bit 31 is the coefficient of x<sup>0</sup>.
 */
final class Crc32cCombine {
    /** The Castagnoli generator polynomial, bit-reflected. */
    private static final int POLY = 0x82f63b78;
    /** x<sup>0</sup>, bit-reflected. */
    private static final int ONE = 1 << 31;
    /** {@code POWERS[k]} = x^(2^k) mod P, for exponents up to 8 bytes of length. */
    private static final int[] POWERS = new int[64];

    static {
        POWERS[0] = ONE >>> 1; // x^1
        for (int k = 1; k < POWERS.length; k++) {
            POWERS[k] = multiply(POWERS[k - 1], POWERS[k - 1]);
        }
    }

    private Crc32cCombine() {
    }

    /**
     * @param crcFirst the CRC32C of the first part
     * @param crcSecond the CRC32C of the second part
     * @param secondLength the second part's length in bytes
     * @return the CRC32C of the first part followed by the second
     */
    static int combine(int crcFirst, int crcSecond, long secondLength) {
        if (secondLength < 0) {
            throw new IllegalArgumentException("negative length " + secondLength);
        }
        return multiply(xToThe8Times(secondLength), crcFirst) ^ crcSecond;
    }

    /** @return x<sup>8n</sup> mod P: the product of x^(2^k) over the set bits k of 8n */
    private static int xToThe8Times(long n) {
        int product = ONE;
        for (int k = 3; n != 0; k++, n >>>= 1) {
            if ((n & 1) != 0) {
                product = multiply(POWERS[k], product);
            }
        }
        return product;
    }

    /**
     * @return a(x) b(x) mod P, bit-reflected; {@code a} must not be 0 (no power of x is):
     *     the loop stops after a's last set coefficient
     */
    private static int multiply(int a, int b) {
        int product = 0;
        for (int bit = ONE; ; bit >>>= 1) {
            if ((a & bit) != 0) {
                product ^= b;
                if ((a & (bit - 1)) == 0) {
                    return product;
                }
            }
            b = (b & 1) != 0 ? (b >>> 1) ^ POLY : b >>> 1; // b(x) * x mod P
        }
    }
}
