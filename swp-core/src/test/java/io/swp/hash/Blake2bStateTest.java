package io.swp.hash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What resumable file transfers rely on: a digest can be copied (to finish a prefix's
 * digest and go on), and libsodium's state can be exported and continued later, while a
 * state that does not fit is refused rather than handed to native code.
 */
class Blake2bStateTest {
    private static final int[] LENGTHS = {0, 1, 127, 128, 129, 255, 256, 257, 300, 65_535, 65_536, 65_537, 200_000};

    private static byte[] message(int n, long seed) {
        byte[] m = new byte[n];
        new SplittableRandom(seed).nextBytes(m);
        return m;
    }

    private static byte[] reference(byte[] m) {
        Blake2b256 d = Blake2b.newBlake2b256(Blake2b.Implementation.BOUNCY_CASTLE);
        d.update(m);
        return d.digest();
    }

    @ParameterizedTest
    @EnumSource(Blake2b.Implementation.class)
    void aCopyFinishesThePrefixAndLeavesTheOriginalGoingOn(Blake2b.Implementation impl) {
        byte[] m = message(150_000, 1);
        for (int split : LENGTHS) {
            if (split > m.length) {
                continue;
            }
            Blake2b256 d = Blake2bVectorsTest.digest(impl);
            d.update(m, 0, split);
            Blake2b256 prefix = d.copy();
            assertEquals(impl, prefix.implementation());
            d.update(m, split, m.length - split);
            assertArrayEquals(reference(java.util.Arrays.copyOf(m, split)), prefix.digest(), "prefix " + split);
            assertArrayEquals(reference(m), d.digest(), "whole after a copy at " + split);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 127, 128, 129, 256, 300, 65_536, 65_537, 200_000})
    void libsodiumStateExportedAndImportedContinuesTheSameDigest(int split) {
        Blake2b256 d = Blake2bVectorsTest.digest(Blake2b.Implementation.LIBSODIUM);
        assertTrue(Libsodium.STATE_LAYOUT_KNOWN, "the bundled libsodium has the known layout");
        byte[] m = message(250_000, 2);
        d.update(m, 0, split);
        byte[] state = d.exportState().orElseThrow();
        Blake2b256 resumed = Blake2b.importState(Blake2b.Implementation.LIBSODIUM, state, split).orElseThrow();
        resumed.update(m, split, m.length - split);
        assertArrayEquals(reference(m), resumed.digest());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 64, 80, 88, 352, 360})
    void aStateThatDoesNotFitIsRefused(int corruptAt) {
        Blake2b256 d = Blake2bVectorsTest.digest(Blake2b.Implementation.LIBSODIUM);
        byte[] m = message(1000, 3);
        d.update(m);
        byte[] state = d.exportState().orElseThrow();
        assertTrue(Blake2b.importState(Blake2b.Implementation.LIBSODIUM, state, 1000).isPresent());
        assertTrue(Blake2b.importState(Blake2b.Implementation.LIBSODIUM, state, 999).isEmpty(), "wrong length");
        assertTrue(Blake2b.importState(Blake2b.Implementation.LIBSODIUM, java.util.Arrays.copyOf(state, 100), 1000)
                .isEmpty(), "truncated");
        assertTrue(Blake2b.importState(Blake2b.Implementation.BOUNCY_CASTLE, state, 1000).isEmpty(),
                "Bouncy Castle cannot continue a state");
        if (corruptAt > 0) {
            byte[] bad = state.clone();
            // the high byte of a counter, a flag or the buffer length; or the last-node marker
            bad[corruptAt == 360 ? corruptAt : corruptAt + 7] = 0x40;
            assertTrue(Blake2b.importState(Blake2b.Implementation.LIBSODIUM, bad, 1000).isEmpty(),
                    "corrupt at " + corruptAt);
        }
    }

    @ParameterizedTest
    @EnumSource(Blake2b.Implementation.class)
    void onlyLibsodiumExports(Blake2b.Implementation impl) {
        Blake2b256 d = Blake2bVectorsTest.digest(impl);
        assertEquals(impl == Blake2b.Implementation.LIBSODIUM, d.exportState().isPresent());
    }
}
