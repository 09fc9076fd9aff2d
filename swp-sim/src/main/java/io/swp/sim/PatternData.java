package io.swp.sim;

/**
 * Deterministic test data: the byte at each position of a stream is a function of the
 * stream's seed and the position, so a receiver can verify what it reads without a copy
 * of what was sent.
 */
public final class PatternData {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final int WORD = Long.BYTES;

    private PatternData() {
    }

    /**
     * Fills {@code dst[off, off+len)} with the stream's bytes from {@code position}.
     *
     * @param seed the stream's seed
     * @param position offset in the stream of {@code dst[off]}
     * @param dst destination
     * @param off where to start in {@code dst}
     * @param len how many bytes
     */
    public static void fill(long seed, long position, byte[] dst, int off, int len) {
        int i = 0;
        while (i < len) {
            long pos = position + i;
            long word = wordAt(seed, pos / WORD);
            int shift = (int) (pos % WORD);
            int n = Math.min(WORD - shift, len - i);
            for (int k = 0; k < n; k++) {
                dst[off + i + k] = (byte) (word >>> ((shift + k) * Byte.SIZE));
            }
            i += n;
        }
    }

    /**
     * @param seed the stream's seed
     * @param position offset in the stream of {@code src[off]}
     * @param src bytes to check
     * @param off where they start
     * @param len how many
     * @return the stream offset of the first byte that differs, or -1 if all match
     */
    public static long firstMismatch(long seed, long position, byte[] src, int off, int len) {
        byte[] expected = new byte[len];
        fill(seed, position, expected, 0, len);
        int m = java.util.Arrays.mismatch(expected, 0, len, src, off, off + len);
        return m < 0 ? -1 : position + m;
    }

    private static long wordAt(long seed, long index) {
        // SplitMix64's finaliser: consecutive indices give unrelated words.
        long z = seed + (index + 1) * GOLDEN;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
