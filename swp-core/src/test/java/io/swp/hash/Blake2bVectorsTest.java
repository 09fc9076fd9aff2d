package io.swp.hash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Known BLAKE2b-256 digests, for both implementations.
 *
 * <p>The expected values were not taken from either implementation under test: they were
 * produced on the project machine (2026-12-01) with CPython 3.11.7,
 * {@code hashlib.blake2b(message, digest_size=32).hexdigest()}, and each was checked
 * against GNU coreutils 9.1 {@code b2sum -l 256} of the same bytes (both are the BLAKE2
 * reference C code). "seq(n)" is the n bytes 0, 1, 2, ... (mod 256).
 */
class Blake2bVectorsTest {

    record Vector(String name, byte[] message, String hex) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final List<Vector> VECTORS = List.of(
            new Vector("empty", new byte[0], "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"),
            new Vector("abc", ascii("abc"), "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"),
            new Vector("quick brown fox", ascii("The quick brown fox jumps over the lazy dog"),
                    "01718cec35cd3d796dd00020e0bfecb473ad23457d063b75eff29c0ffa2e58a9"),
            new Vector("seq(1)", seq(1), "03170a2e7597b7b7e3d84c05391d139a62b157e78786d8c082f29dcf4c111314"),
            new Vector("seq(127)", seq(127), "f2fe67ff342e21b8f45e8f2e0bcd1d9243245d50ee6c78042e9c491388791c72"),
            new Vector("seq(128), one full block", seq(128),
                    "c3582f71ebb2be66fa5dd750f80baae97554f3b015663c8be377cfcb2488c1d1"),
            new Vector("seq(129)", seq(129), "f7f3c46ba2564ff4c4c162da1f5b605f9f1c4aa6a20652a9f9a337c1a2f5b9c9"),
            new Vector("seq(255)", seq(255), "1d0850ee9bca0abc9601e9deabe1418fedec2fb6ac4150bd5302d2430f9be943"),
            new Vector("seq(256)", seq(256), "39a7eb9fedc19aabc83425c6755dd90e6f9d0c804964a1f4aaeea3b9fb599835"),
            new Vector("seq(257)", seq(257), "45f7f084c30bac7cbae2e1963bc6e6b0d8cb227a12927e97fb941d288fb1f9a3"),
            new Vector("a x 1,000,000", repeat('a', 1_000_000),
                    "0741850f36cba4259628355d1073e24ddb9ca0e1bfac36fd39ae5dc2101e23a4"));

    static Stream<Arguments> cases() {
        return Stream.of(Blake2b.Implementation.values())
                .flatMap(impl -> VECTORS.stream().map(v -> Arguments.of(impl, v)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void wholeMessageInOneUpdate(Blake2b.Implementation impl, Vector v) {
        Blake2b256 d = digest(impl);
        d.update(v.message());
        assertEquals(v.hex(), hex(d.digest()));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void oneByteAtATimeFromAnOffset(Blake2b.Implementation impl, Vector v) {
        if (v.message().length > 10_000) {
            return; // a million native calls prove nothing more than a thousand
        }
        byte[] padded = new byte[v.message().length + 2];
        System.arraycopy(v.message(), 0, padded, 1, v.message().length);
        Blake2b256 d = digest(impl);
        for (int i = 0; i < v.message().length; i++) {
            d.update(padded, 1 + i, 1);
            d.update(padded, 0, 0);
        }
        assertEquals(v.hex(), hex(d.digest()));
    }

    @ParameterizedTest
    @EnumSource(Blake2b.Implementation.class)
    void digestStartsANewMessage(Blake2b.Implementation impl) {
        Blake2b256 d = digest(impl);
        d.update(ascii("something else first"));
        d.digest();
        d.update(ascii("abc"));
        assertEquals(VECTORS.get(1).hex(), hex(d.digest()));
        assertEquals(VECTORS.get(0).hex(), hex(d.digest()));
    }

    @ParameterizedTest
    @EnumSource(Blake2b.Implementation.class)
    void reportsWhichImplementationItIs(Blake2b.Implementation impl) {
        assertEquals(impl, digest(impl).implementation());
    }

    @ParameterizedTest
    @EnumSource(Blake2b.Implementation.class)
    void rangesOutsideTheArrayAreRefusedWithoutChangingTheDigest(Blake2b.Implementation impl) {
        Blake2b256 d = digest(impl);
        byte[] abc = ascii("abc");
        assertThrows(IndexOutOfBoundsException.class, () -> d.update(abc, 2, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> d.update(abc, -1, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> d.update(abc, 0, -1));
        assertThrows(NullPointerException.class, () -> d.update(null, 0, 0));
        d.update(abc);
        assertEquals(VECTORS.get(1).hex(), hex(d.digest()));
    }

    /** Where lazysodium-java ships a library, the native implementation must load: no silent fallback in CI. */
    @Test
    void libsodiumLoadsOnPlatformsLazysodiumShipsItFor() {
        assumeTrue(bundledPlatform(), "lazysodium-java has no libsodium for this platform");
        assertEquals(java.util.Optional.empty(), Blake2b.nativeUnavailableReason());
    }

    static boolean bundledPlatform() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        boolean x86 = Arrays.asList("amd64", "x86_64", "x86", "i386", "i686").contains(arch);
        boolean arm = arch.equals("aarch64") || arch.equals("arm64");
        return (os.contains("linux") || os.contains("mac") || os.contains("windows")) && (x86 || arm);
    }

    /** The implementation, or the test is skipped where libsodium cannot exist (not where it merely failed). */
    static Blake2b256 digest(Blake2b.Implementation impl) {
        if (impl == Blake2b.Implementation.LIBSODIUM && !bundledPlatform()) {
            assumeTrue(Blake2b.nativeUnavailableReason().isEmpty(), "no libsodium on this platform");
        }
        return Blake2b.newBlake2b256(impl);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] seq(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) i;
        }
        return b;
    }

    static byte[] repeat(char c, int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) c);
        return b;
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    @Test
    void vectorsAreThirtyTwoBytes() {
        for (Vector v : VECTORS) {
            assertEquals(2 * Blake2b256.DIGEST_BYTES, v.hex().length(), v.name());
        }
    }
}
