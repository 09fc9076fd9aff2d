package io.swp.fanout;

/**
 * A systematic erasure code over GF(2^8) for blocks of frames: parity row {@code j} of a
 * block of {@code k} symbols is {@code sum_i C[j][i] * symbol_i}, with the Cauchy matrix
 * {@code C[j][i] = 1 / (x_j + y_i)}, {@code y_i = i}, {@code x_j = k + j}. Every square
 * submatrix of a Cauchy matrix is invertible, so a receiver missing {@code m} symbols of a
 * block recovers them from any {@code m} parity rows, whichever rows and whichever
 * symbols: one parity frame repairs a different loss at every receiver. At most
 * {@code 256 - k} rows exist per block.
 *
 * <p>Arithmetic: the field GF(2^8) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d);
 * addition is XOR, multiplication a lookup in a 64 KiB table. Pure functions, no state.
 */
final class BlockCode {
    private static final int POLY = 0x11d;
    private static final byte[] EXP = new byte[512];
    private static final int[] LOG = new int[256];
    /** MUL[a][b] = a * b. */
    private static final byte[][] MUL = new byte[256][256];

    static {
        int x = 1;
        for (int i = 0; i < 255; i++) {
            EXP[i] = (byte) x;
            LOG[x] = i;
            x <<= 1;
            if ((x & 0x100) != 0) {
                x ^= POLY;
            }
        }
        for (int i = 255; i < EXP.length; i++) {
            EXP[i] = EXP[i - 255];
        }
        for (int a = 1; a < 256; a++) {
            for (int b = 1; b < 256; b++) {
                MUL[a][b] = EXP[LOG[a] + LOG[b]];
            }
        }
    }

    private BlockCode() {
    }

    static int mul(int a, int b) {
        return MUL[a][b] & 0xff;
    }

    static int inv(int a) {
        if (a == 0) {
            throw new ArithmeticException("0 has no inverse");
        }
        return EXP[255 - LOG[a]] & 0xff;
    }

    /** @return the coefficient of symbol {@code i} in parity row {@code j} of a block of {@code k} */
    static int coefficient(int k, int j, int i) {
        return inv((k + j) ^ i);
    }

    /** @return how many parity rows a block of {@code k} symbols has */
    static int maxRows(int k) {
        return 256 - k;
    }

    /** {@code dst[0..len) ^= coef * src[0..len)}. */
    static void mulAdd(byte[] dst, byte[] src, int srcOff, int len, int coef) {
        if (coef == 0) {
            return;
        }
        byte[] row = MUL[coef];
        for (int i = 0; i < len; i++) {
            dst[i] ^= row[src[srcOff + i] & 0xff];
        }
    }

    /**
     * The symbol of one frame: flags (1 byte), payload length (4 bytes), payload, zeros
     * to {@code length}; so a decoded symbol gives back the frame's flags and exact length.
     */
    static byte[] symbol(long flags, byte[] payload, int length) {
        byte[] s = new byte[length];
        s[0] = (byte) flags;
        s[1] = (byte) (payload.length >>> 24);
        s[2] = (byte) (payload.length >>> 16);
        s[3] = (byte) (payload.length >>> 8);
        s[4] = (byte) payload.length;
        System.arraycopy(payload, 0, s, 5, payload.length);
        return s;
    }

    /** Bytes of a symbol beyond the payload. */
    static final int SYMBOL_OVERHEAD = 5;

    /**
     * Parity row {@code j} of a block.
     *
     * @param k symbols in the block
     * @param j the row, {@code 0 <= j < maxRows(k)}
     * @param flags each symbol's frame flags
     * @param payloads each symbol's payload
     * @return the parity, {@code 5 + max payload length} bytes
     */
    static byte[] encode(int k, int j, long[] flags, byte[][] payloads) {
        int length = 0;
        for (byte[] p : payloads) {
            length = Math.max(length, p.length);
        }
        length += SYMBOL_OVERHEAD;
        byte[] parity = new byte[length];
        byte[] header = new byte[SYMBOL_OVERHEAD];
        for (int i = 0; i < k; i++) {
            int c = coefficient(k, j, i);
            header[0] = (byte) flags[i];
            int n = payloads[i].length;
            header[1] = (byte) (n >>> 24);
            header[2] = (byte) (n >>> 16);
            header[3] = (byte) (n >>> 8);
            header[4] = (byte) n;
            mulAdd(parity, header, 0, SYMBOL_OVERHEAD, c);
            byte[] rowTable = MUL[c];
            byte[] p = payloads[i];
            for (int b = 0; b < n; b++) {
                parity[SYMBOL_OVERHEAD + b] ^= rowTable[p[b] & 0xff];
            }
        }
        return parity;
    }

    /**
     * Recovers the missing symbols of a block.
     *
     * @param k symbols in the block
     * @param known the symbols held, null where missing (each at least as long as the parity
     *     after {@link #symbol}; shorter ones are zero-padded implicitly)
     * @param rows parity row indexes, at least as many as symbols missing
     * @param parities the parity of each row, all of one length
     * @return the recovered symbols by position (null where known), or null if the
     *     parities do not fit together (different lengths)
     */
    static byte[][] decode(int k, byte[][] known, int[] rows, byte[][] parities) {
        int missing = 0;
        for (byte[] s : known) {
            if (s == null) {
                missing++;
            }
        }
        byte[][] out = new byte[k][];
        if (missing == 0) {
            return out;
        }
        if (rows.length < missing) {
            throw new IllegalArgumentException(missing + " symbols missing, " + rows.length + " rows");
        }
        int length = parities[0].length;
        int[] lost = new int[missing];
        for (int i = 0, n = 0; i < k; i++) {
            if (known[i] == null) {
                lost[n++] = i;
            }
        }
        // Right-hand sides: each used row minus the known symbols' share.
        byte[][] rhs = new byte[missing][];
        int[][] a = new int[missing][missing];
        for (int r = 0; r < missing; r++) {
            if (parities[r].length != length) {
                return null;
            }
            rhs[r] = parities[r].clone();
            for (int i = 0; i < k; i++) {
                if (known[i] != null) {
                    mulAdd(rhs[r], known[i], 0, Math.min(length, known[i].length), coefficient(k, rows[r], i));
                }
            }
            for (int c = 0; c < missing; c++) {
                a[r][c] = coefficient(k, rows[r], lost[c]);
            }
        }
        // Gauss-Jordan elimination on [a | rhs]; a Cauchy submatrix is never singular.
        for (int col = 0; col < missing; col++) {
            int pivot = col;
            while (a[pivot][col] == 0) {
                pivot++;
            }
            int[] tr = a[pivot];
            a[pivot] = a[col];
            a[col] = tr;
            byte[] tb = rhs[pivot];
            rhs[pivot] = rhs[col];
            rhs[col] = tb;
            int scale = inv(a[col][col]);
            for (int c = 0; c < missing; c++) {
                a[col][c] = mul(a[col][c], scale);
            }
            scaleInPlace(rhs[col], scale);
            for (int r = 0; r < missing; r++) {
                int f = a[r][col];
                if (r != col && f != 0) {
                    for (int c = 0; c < missing; c++) {
                        a[r][c] ^= mul(f, a[col][c]);
                    }
                    mulAdd(rhs[r], rhs[col], 0, length, f);
                }
            }
        }
        for (int c = 0; c < missing; c++) {
            out[lost[c]] = rhs[c];
        }
        return out;
    }

    private static void scaleInPlace(byte[] v, int scale) {
        byte[] row = MUL[scale];
        for (int i = 0; i < v.length; i++) {
            v[i] = row[v[i] & 0xff];
        }
    }

    /** @return the flags a decoded symbol carries */
    static long flagsOf(byte[] symbol) {
        return symbol[0] & 0xff;
    }

    /**
     * @return the payload a decoded symbol carries, or null if its length field is impossible
     */
    static byte[] payloadOf(byte[] symbol) {
        long n = ((symbol[1] & 0xffL) << 24) | ((symbol[2] & 0xff) << 16) | ((symbol[3] & 0xff) << 8) | (symbol[4] & 0xff);
        if (n > symbol.length - SYMBOL_OVERHEAD) {
            return null;
        }
        byte[] p = new byte[(int) n];
        System.arraycopy(symbol, SYMBOL_OVERHEAD, p, 0, (int) n);
        return p;
    }
}
