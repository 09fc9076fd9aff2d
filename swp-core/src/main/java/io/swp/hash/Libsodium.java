package io.swp.hash;

import com.goterl.lazysodium.utils.LibraryLoader;
import com.sun.jna.IntegerType;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The few libsodium functions swp calls, bound with JNA direct mapping to the libsodium
 * that lazysodium-java carries in its jar (or, failing that, to one installed on the
 * system).
 *
 * <p>Why not lazysodium's own {@code crypto_generichash_*} methods: they take the hash
 * state as a {@code byte[]}, which JNA copies to and from a temporary native buffer with
 * {@code malloc}'s 16-byte alignment on every call, while libsodium requires the state to
 * be 64-byte aligned (its type is declared so, and the compiler may use aligned vector
 * moves on it). Here the state lives in native memory aligned to 64 bytes, and only the
 * input is copied, once, into a native buffer.
 *
 * <p>Which compression code runs is measured, not assumed. libsodium starts with its
 * portable C code; {@code sodium_init()} switches BLAKE2b, one way, to an SSSE3, SSE4.1 or
 * AVX2 version picked by CPU features. Which is faster depends on the core: on the project's
 * AMD EPYC with AVX-512 (Zen 4) the portable code ran at 1,420 MB/s against 830 after the
 * switch, and on an AMD EPYC without it (Zen 2) at 710 against 870 (BENCHMARKS.md); the
 * BLAKE2 authors report the portable code ahead on Zen 3 and Alder Lake and later, AVX2
 * ahead on older cores. So at load the portable code hashes 1 MiB five times, then
 * {@code sodium_init()} runs and the SIMD code hashes the same bytes; both digests must
 * agree, and if the portable code was faster the library is unloaded and loaded afresh,
 * uninitialised. This costs about 15 ms once per process. {@value #CODE_PROPERTY} skips
 * the measurement: {@code simd} or {@code portable}. BLAKE2b needs nothing else from
 * {@code sodium_init()}, and this copy of the library is private to this class. (A system
 * libsodium, used only when the bundled one cannot load, may be shared: if other code
 * calls {@code sodium_init()} on it, digests stay the same and only the speed changes.)
 */
final class Libsodium {
    /** The system property that fixes the compression code: {@code auto} (measure), {@code simd} or {@code portable}. */
    static final String CODE_PROPERTY = "swp.blake2b.code";

    private static final Logger LOG = LoggerFactory.getLogger(Libsodium.class);

    /** The library this class is bound to; replaced once if the portable code must be restored. */
    private static NativeLibrary library;

    /** Where the library came from, for the log. */
    static final String ORIGIN;

    /** Which compression code runs and why, e.g. "SIMD (870 MB/s against 710 portable)". */
    static final String CODE;

    /** Bytes of a {@code crypto_generichash_state}. */
    static final int STATE_BYTES;

    private static final int STATE_ALIGNMENT = 64;
    /** A state larger than this would be a library we do not understand. */
    private static final int MAX_STATE_BYTES = 4096;
    /**
     * Where libsodium's {@code blake2b_state} keeps its fields (src/libsodium/crypto_generichash/
     * blake2b/ref/blake2.h, unchanged since 2014): {@code uint64_t h[8], t[2], f[2]; uint8_t
     * buf[256]; size_t buflen; uint8_t last_node}. Used only to check a state read back from
     * disk before libsodium sees it, and checked itself at load time ({@link #STATE_LAYOUT_KNOWN}).
     */
    private static final int OFFSET_T = 64;
    private static final int OFFSET_F = 80;
    private static final int OFFSET_BUFLEN = 352;
    private static final int OFFSET_LAST_NODE = OFFSET_BUFLEN + 8;
    /** libsodium buffers up to two blocks before compressing. */
    private static final int MAX_BUFLEN = 256;
    /** Whether the state layout is the one described above, so states may be exported and imported. */
    static final boolean STATE_LAYOUT_KNOWN;

    /** BLAKE2b-256("abc"), from RFC 7693's algorithm; see Blake2bVectorsTest for how it was produced. */
    private static final String ABC_BLAKE2B_256 = "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319";

    static {
        ORIGIN = register();
        STATE_BYTES = crypto_generichash_statebytes();
        if (STATE_BYTES <= 0 || STATE_BYTES > MAX_STATE_BYTES) {
            throw new IllegalStateException("implausible crypto_generichash_statebytes() " + STATE_BYTES);
        }
        selfTest();
        STATE_LAYOUT_KNOWN = probeLayout();
        CODE = chooseCode();
    }

    private Libsodium() {
    }

    // ---- the bound functions (names and C types as in sodium.h) ----

    private static native int sodium_init();

    private static native int crypto_generichash_statebytes();

    private static native int crypto_generichash_init(Pointer state, Pointer key, SizeT keylen, SizeT outlen);

    private static native int crypto_generichash_update(Pointer state, Pointer in, long inlen);

    private static native int crypto_generichash_final(Pointer state, byte[] out, SizeT outlen);

    // ---- what the rest of the package uses ----

    /** @return a fresh native state, 64-byte aligned, initialised for an unkeyed digest of {@code outlen} bytes */
    static Pointer newState(Memory owner, int outlen) {
        Pointer state = owner.align(STATE_ALIGNMENT);
        init(state, outlen);
        return state;
    }

    /** @return native memory large enough to hold an aligned state */
    static Memory allocateState() {
        return new Memory(STATE_BYTES + STATE_ALIGNMENT - 1);
    }

    static void init(Pointer state, int outlen) {
        check(crypto_generichash_init(state, Pointer.NULL, new SizeT(0), new SizeT(outlen)), "crypto_generichash_init");
    }

    static void update(Pointer state, Pointer in, long len) {
        check(crypto_generichash_update(state, in, len), "crypto_generichash_update");
    }

    static void finish(Pointer state, byte[] out) {
        check(crypto_generichash_final(state, out, new SizeT(out.length)), "crypto_generichash_final");
    }

    /** @return a copy of the {@link #STATE_BYTES} bytes of {@code state} */
    static byte[] readState(Pointer state) {
        return state.getByteArray(0, STATE_BYTES);
    }

    /** Overwrites {@code state} with {@code bytes} (exactly {@link #STATE_BYTES} of them). */
    static void writeState(Pointer state, byte[] bytes) {
        state.write(0, bytes, 0, STATE_BYTES);
    }

    /**
     * Whether {@code bytes} are a plausible state of an unkeyed BLAKE2b digest that has
     * absorbed exactly {@code messageBytes} bytes: the right size, no finalisation flags,
     * a buffer length libsodium's code can handle (a corrupt one would make it copy out of
     * bounds), and a counter plus buffer length equal to {@code messageBytes}.
     */
    static boolean plausibleState(byte[] bytes, long messageBytes) {
        return STATE_LAYOUT_KNOWN && matchesLayout(bytes, messageBytes);
    }

    private static boolean matchesLayout(byte[] bytes, long messageBytes) {
        if (bytes.length != STATE_BYTES || messageBytes < 0) {
            return false;
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.nativeOrder());
        long t0 = b.getLong(OFFSET_T);
        long t1 = b.getLong(OFFSET_T + 8);
        long f0 = b.getLong(OFFSET_F);
        long f1 = b.getLong(OFFSET_F + 8);
        long buflen = b.getLong(OFFSET_BUFLEN);
        byte lastNode = b.get(OFFSET_LAST_NODE);
        return t1 == 0 && f0 == 0 && f1 == 0 && lastNode == 0 && buflen >= 0 && buflen <= MAX_BUFLEN
                && t0 >= 0 && t0 + buflen == messageBytes;
    }

    /**
     * Checks that the loaded library lays its state out as {@link #plausibleState} expects:
     * after 300 bytes, two blocks must be counted out of it as one block compressed and 172
     * bytes buffered.
     */
    private static boolean probeLayout() {
        if (Native.SIZE_T_SIZE != 8 || STATE_BYTES < OFFSET_LAST_NODE + 1) {
            return false;
        }
        Memory stateMemory = allocateState();
        Pointer state = newState(stateMemory, Blake2b256.DIGEST_BYTES);
        int n = 300;
        Memory in = new Memory(n);
        in.clear();
        update(state, in, n);
        byte[] bytes = readState(state);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.nativeOrder());
        return b.getLong(OFFSET_T) == 128 && b.getLong(OFFSET_BUFLEN) == n - 128 && matchesLayout(bytes, n)
                && !matchesLayout(bytes, n + 1);
    }

    /** Bytes hashed per timed round of the measurement, in 64 KiB updates as the file protocol makes them. */
    private static final int CALIBRATION_BYTES = 1 << 20;
    private static final int CALIBRATION_UPDATE_BYTES = 64 * 1024;
    /** Timed rounds per code; the best counts, so a round the scheduler interrupted does not. */
    private static final int CALIBRATION_ROUNDS = 5;

    /**
     * Leaves the faster compression code running, or the one {@value #CODE_PROPERTY} names.
     *
     * @return which code runs and why
     */
    private static String chooseCode() {
        String wanted = System.getProperty(CODE_PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        switch (wanted) {
            case "portable":
                return "portable (-D" + CODE_PROPERTY + "=portable)";
            case "simd":
                switchToSimd();
                return "SIMD (-D" + CODE_PROPERTY + "=simd)";
            case "auto":
            case "":
                break;
            default:
                LOG.warn("ignoring -D{}={}: expected auto, simd or portable", CODE_PROPERTY, wanted);
        }
        Memory input = new Memory(CALIBRATION_UPDATE_BYTES);
        byte[] bytes = new byte[CALIBRATION_UPDATE_BYTES];
        new SplittableRandom(CALIBRATION_BYTES).nextBytes(bytes);
        input.write(0, bytes, 0, bytes.length);
        byte[] portableDigest = new byte[Blake2b256.DIGEST_BYTES];
        double portable = fastestRate(input, portableDigest);
        if (!switchToSimd()) {
            // Someone initialised a shared system libsodium first: both rounds ran its pick.
            return "unknown (initialised elsewhere in this process)";
        }
        byte[] simdDigest = new byte[Blake2b256.DIGEST_BYTES];
        double simd = fastestRate(input, simdDigest);
        if (!Arrays.equals(portableDigest, simdDigest)) {
            throw new IllegalStateException("libsodium's SIMD and portable BLAKE2b-256 disagree");
        }
        String rates = String.format(Locale.ROOT, "%.0f MB/s against %.0f", Math.max(simd, portable),
                Math.min(simd, portable));
        if (simd >= portable) {
            return "SIMD (" + rates + " portable)";
        }
        reloadUninitialised();
        return "portable (" + rates + " SIMD)";
    }

    /**
     * Times in this thread's CPU time where the JVM offers it, so that a round during which
     * the thread waited for a core (the JIT compiles on both of a small machine's cores at
     * startup) does not make that code look slow.
     *
     * @return the best MB/s of {@value #CALIBRATION_ROUNDS} rounds; {@code digest} gets the last round's digest
     */
    private static double fastestRate(Memory input, byte[] digest) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        boolean cpuTime = threads.isCurrentThreadCpuTimeSupported();
        Memory stateMemory = allocateState();
        long best = Long.MAX_VALUE;
        for (int round = 0; round < CALIBRATION_ROUNDS; round++) {
            Pointer state = newState(stateMemory, Blake2b256.DIGEST_BYTES);
            long start = cpuTime ? threads.getCurrentThreadCpuTime() : System.nanoTime();
            for (int done = 0; done < CALIBRATION_BYTES; done += CALIBRATION_UPDATE_BYTES) {
                update(state, input, CALIBRATION_UPDATE_BYTES);
            }
            long end = cpuTime ? threads.getCurrentThreadCpuTime() : System.nanoTime();
            best = Math.min(best, end - start);
            finish(state, digest);
        }
        return CALIBRATION_BYTES / 1e6 / (Math.max(best, 1) / 1e9);
    }

    /**
     * Calls {@code sodium_init()}, which switches BLAKE2b to the SIMD code for this CPU, and
     * checks the result.
     *
     * @return false if the library had been initialised before (by other users of a shared
     *     system libsodium)
     */
    static boolean switchToSimd() {
        int rc = sodium_init();
        if (rc < 0) {
            throw new IllegalStateException("sodium_init returned " + rc);
        }
        selfTest();
        return rc == 0;
    }

    /**
     * Undoes {@code sodium_init()}'s switch, which libsodium offers no call for: unbinds this
     * class, unloads the library and binds a fresh copy. Were the library not really unloaded
     * (another user holding it), the fresh binding would still run the SIMD code: slower,
     * same digests. Only while nothing else hashes: during class initialisation, or in a
     * test's own JVM.
     */
    static void reloadUninitialised() {
        Native.unregister(Libsodium.class);
        library.close();
        register();
        selfTest();
    }

    private static void check(int rc, String function) {
        if (rc != 0) {
            throw new IllegalStateException(function + " returned " + rc);
        }
    }

    /**
     * Binds this class to the bundled library, or to the system's if the bundled one
     * cannot load here (a platform lazysodium has no build for).
     *
     * @return where the library came from
     */
    private static String register() {
        Throwable bundledFailure;
        try {
            Path lib = extractBundled();
            try {
                library = NativeLibrary.getInstance(lib.toAbsolutePath().toString());
                Native.register(Libsodium.class, library);
            } finally {
                // Loaded (or not): on Unix-like systems the mapping outlives the file.
                deleteQuietly(lib);
            }
            return "lazysodium-java's bundled " + LibraryLoader.getSodiumPathInResources();
        } catch (IOException | RuntimeException | LinkageError e) {
            bundledFailure = e;
            Native.unregister(Libsodium.class);
        }
        try {
            library = NativeLibrary.getInstance("sodium");
            Native.register(Libsodium.class, library);
            return "the system's libsodium (the bundled one failed: " + bundledFailure + ")";
        } catch (RuntimeException | LinkageError e) {
            Native.unregister(Libsodium.class);
            IllegalStateException failure = new IllegalStateException(
                    "neither lazysodium-java's bundled libsodium nor a system libsodium loads: " + bundledFailure, e);
            failure.addSuppressed(bundledFailure);
            throw failure;
        }
    }

    /** Copies the library for this platform out of lazysodium's jar into a temporary file. */
    private static Path extractBundled() throws IOException {
        String resource = LibraryLoader.getSodiumPathInResources();
        String name = resource.substring(resource.lastIndexOf('/') + 1);
        try (InputStream in = LibraryLoader.class.getResourceAsStream("/" + resource)) {
            if (in == null) {
                throw new IOException("no " + resource + " in lazysodium-java's jar");
            }
            Path file = Files.createTempFile("swp-", "-" + name);
            try {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                deleteQuietly(file);
                throw e;
            }
            file.toFile().deleteOnExit(); // where the open library cannot be deleted right away (Windows)
            return file;
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // deleteOnExit tries again
        }
    }

    /** Refuses a library that does not compute BLAKE2b-256 as RFC 7693 defines it. */
    private static void selfTest() {
        Memory stateMemory = allocateState();
        Pointer state = newState(stateMemory, Blake2b256.DIGEST_BYTES);
        Memory in = new Memory(3);
        in.write(0, new byte[] {'a', 'b', 'c'}, 0, 3);
        update(state, in, 3);
        byte[] out = new byte[Blake2b256.DIGEST_BYTES];
        finish(state, out);
        if (!HexFormat.of().formatHex(out).equals(ABC_BLAKE2B_256)) {
            throw new IllegalStateException("libsodium's BLAKE2b-256(\"abc\") is " + HexFormat.of().formatHex(out)
                    + ", expected " + ABC_BLAKE2B_256);
        }
    }

    /** C's {@code size_t}: 4 or 8 bytes, depending on the platform. */
    public static final class SizeT extends IntegerType {
        private static final long serialVersionUID = 1L;

        /** For JNA, which needs a no-argument constructor. */
        public SizeT() {
            this(0);
        }

        SizeT(long value) {
            super(Native.SIZE_T_SIZE, value, true);
        }
    }
}
