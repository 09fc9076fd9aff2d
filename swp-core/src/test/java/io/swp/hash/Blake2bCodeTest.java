package io.swp.hash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libsodium's two BLAKE2b codes, SIMD and portable, and the choice between them at load
 * ({@value Blake2b#CODE_PROPERTY}): whichever runs, the digests are Bouncy Castle's. Which
 * one the measurement picks depends on the CPU, so only its form is asserted. Each case
 * runs in its own JVM, because the choice is made once per process.
 */
class Blake2bCodeTest {
    private static final String DIGESTS_OK = "ok as loaded, 312 lengths";

    @BeforeEach
    void needsLibsodium() {
        assumeTrue(Blake2b.nativeUnavailableReason().isEmpty(), "no libsodium here");
    }

    @Test
    void measuredChoiceNamesBothRatesAndGivesTheSameDigests(@TempDir Path dir) throws Exception {
        ChildJvm.Output child = ChildJvm.run(dir, CodeProbe.class, List.of());
        String code = child.lines().get(0);
        assertTrue(code.matches("code (SIMD \\(\\d+ MB/s against \\d+ portable\\)"
                + "|portable \\(\\d+ MB/s against \\d+ SIMD\\))"), code);
        assertEquals(DIGESTS_OK, child.lines().get(1), child.stderr());
    }

    @Test
    void simdWhenAskedFor(@TempDir Path dir) throws Exception {
        ChildJvm.Output child = ChildJvm.run(dir, CodeProbe.class, List.of("-D" + Blake2b.CODE_PROPERTY + "=simd"));
        assertEquals(List.of("code SIMD (-Dswp.blake2b.code=simd)", DIGESTS_OK), child.lines(), child.stderr());
    }

    /** Also the path a measurement takes when the portable code wins: SIMD, then a fresh library. */
    @Test
    void portableWhenAskedForAndAfterSwitchingToSimdAndReloading(@TempDir Path dir) throws Exception {
        ChildJvm.Output child = ChildJvm.run(dir, CodeProbe.class,
                List.of("-D" + Blake2b.CODE_PROPERTY + "=portable"), "cycle");
        assertEquals(List.of("code portable (-Dswp.blake2b.code=portable)", DIGESTS_OK,
                "ok after sodium_init, 312 lengths", "ok after reload, 312 lengths"), child.lines(), child.stderr());
    }

    @Test
    void anUnknownValueIsIgnoredWithOneWarning(@TempDir Path dir) throws Exception {
        ChildJvm.Output child = ChildJvm.run(dir, CodeProbe.class, List.of("-D" + Blake2b.CODE_PROPERTY + "=avx9"));
        assertTrue(child.lines().get(0).contains(" MB/s against "), child.lines().get(0));
        assertEquals(1, child.stderr().lines().filter(l -> l.contains("WARN") && l.contains("avx9")).count(),
                child.stderr());
    }
}
