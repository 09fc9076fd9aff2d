package io.swp.hash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SortedSet;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * libsodium and Bouncy Castle give the same digest for random messages of every length
 * around BLAKE2b's 128-byte block boundaries and the native side's 64 KiB input buffer,
 * fed in random pieces from random offsets.
 */
class Blake2bCrossCheckTest {
    private static final int BLOCK = 128;

    static SortedSet<Integer> lengths() {
        SortedSet<Integer> lengths = new TreeSet<>();
        for (int n = 0; n <= 300; n++) {
            lengths.add(n);
        }
        for (int k = 1; k <= 1024; k *= 2) { // up to 128 KiB
            for (int k2 : new int[] {k, k + 1, 3 * k}) {
                lengths.add(BLOCK * k2 - 1);
                lengths.add(BLOCK * k2);
                lengths.add(BLOCK * k2 + 1);
            }
        }
        int chunk = LibsodiumBlake2b256.MAX_CHUNK_BYTES;
        for (int n : new int[] {chunk - 1, chunk, chunk + 1, 2 * chunk + 1, 3 * chunk + BLOCK + 1}) {
            lengths.add(n);
        }
        return lengths;
    }

    @Test
    void sameDigestForEveryLengthAroundBlockBoundariesAndRandomSplits() {
        Blake2b256 sodium = Blake2bVectorsTest.digest(Blake2b.Implementation.LIBSODIUM);
        Blake2b256 java = Blake2b.newBlake2b256(Blake2b.Implementation.BOUNCY_CASTLE);
        SplittableRandom random = new SplittableRandom(20261201);
        for (int n : lengths()) {
            for (int round = 0; round < 3; round++) {
                int lead = random.nextInt(4);
                byte[] message = new byte[lead + n + random.nextInt(4)];
                random.nextBytes(message);

                // one piece each, as a reference for both
                sodium.update(message, lead, n);
                java.update(message, lead, n);
                byte[] expected = java.digest();
                assertArrayEquals(expected, sodium.digest(), "length " + n + ", one update");

                // random split points, different ones for each implementation
                feedInRandomPieces(sodium, message, lead, n, random);
                feedInRandomPieces(java, message, lead, n, random);
                assertArrayEquals(expected, sodium.digest(), "length " + n + ", libsodium in random pieces");
                assertArrayEquals(expected, java.digest(), "length " + n + ", Bouncy Castle in random pieces");
            }
        }
    }

    @Test
    void byteBuffersDirectAndHeapGiveTheArrayDigestAndAreConsumed() {
        SplittableRandom random = new SplittableRandom(20261202);
        for (Blake2b.Implementation impl : Blake2b.Implementation.values()) {
            Blake2b256 viaBuffer = impl == Blake2b.Implementation.LIBSODIUM
                    ? Blake2bVectorsTest.digest(impl) : Blake2b.newBlake2b256(impl);
            Blake2b256 ref = Blake2b.newBlake2b256(Blake2b.Implementation.BOUNCY_CASTLE);
            for (int n : new int[] {0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 65_535, 65_536, 65_537, 3 * 65_536 + 5}) {
                byte[] message = new byte[n + 6];
                random.nextBytes(message);
                ref.update(message, 3, n);
                byte[] expected = ref.digest();
                for (boolean direct : new boolean[] {true, false}) {
                    java.nio.ByteBuffer b = direct ? java.nio.ByteBuffer.allocateDirect(n + 6)
                            : java.nio.ByteBuffer.allocate(n + 6);
                    b.put(message).position(3).limit(3 + n);
                    // an odd split, so a position inside a direct buffer is honoured
                    int half = n / 3;
                    viaBuffer.update(b.duplicate().limit(3 + half));
                    b.position(3 + half);
                    viaBuffer.update(b);
                    assertEquals(b.limit(), b.position(), "the buffer is consumed");
                    assertArrayEquals(expected, viaBuffer.digest(), impl + ", " + (direct ? "direct" : "heap")
                            + " buffer of " + n + " bytes");
                }
            }
        }
    }

    @Test
    void independentDigestsDoNotShareState() {
        Blake2b256 a = Blake2bVectorsTest.digest(Blake2b.Implementation.LIBSODIUM);
        Blake2b256 b = Blake2bVectorsTest.digest(Blake2b.Implementation.LIBSODIUM);
        Blake2b256 ref = Blake2b.newBlake2b256(Blake2b.Implementation.BOUNCY_CASTLE);
        byte[] x = new byte[1000];
        new SplittableRandom(1).nextBytes(x);
        a.update(x, 0, 500);
        b.update(x, 500, 500);
        a.update(x, 500, 500);
        ref.update(x);
        assertArrayEquals(ref.digest(), a.digest());
        ref.update(x, 500, 500);
        assertArrayEquals(ref.digest(), b.digest());
    }

    /** Pieces of 0 to a little over 64 KiB, biased towards small ones and ones near a block. */
    private static void feedInRandomPieces(Blake2b256 d, byte[] message, int off, int len, SplittableRandom random) {
        int end = off + len;
        while (off < end) {
            int piece;
            switch (random.nextInt(4)) {
                case 0: piece = random.nextInt(8); break;
                case 1: piece = BLOCK + random.nextInt(3) - 1; break;
                case 2: piece = random.nextInt(4 * BLOCK); break;
                default: piece = random.nextInt(LibsodiumBlake2b256.MAX_CHUNK_BYTES + 2 * BLOCK);
            }
            piece = Math.min(piece, end - off);
            d.update(message, off, piece);
            off += piece;
        }
        d.update(message, end, 0);
    }
}
