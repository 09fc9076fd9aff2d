package io.swp.bench;

import com.goterl.lazysodium.Sodium;
import com.goterl.lazysodium.SodiumJava;
import com.goterl.lazysodium.utils.LibraryLoader;
import io.swp.hash.Blake2b;
import io.swp.hash.Blake2b256;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * BLAKE2b-256 throughput at the file protocol's update size. One operation hashes
 * 64 KiB: MB/s = ops/s × 65,536 / 10^6.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class Blake2bBenchmark {
    private static final int UPDATE_BYTES = 64 * 1024;

    /** The two {@link Blake2b} implementations, fed as {@code FileTransfer} feeds them. */
    @State(Scope.Thread)
    public static class Digests {
        /** {@code libsodium} or {@code bouncycastle}. */
        @Param({"bouncycastle", "libsodium"})
        public String implementation;

        /** A chunk behind a one-byte type, as in a DATA message. */
        final byte[] chunk = new byte[1 + UPDATE_BYTES];
        Blake2b256 digest;

        @Setup
        public void setUp() {
            new SplittableRandom(7).nextBytes(chunk);
            digest = Blake2b.newBlake2b256("libsodium".equals(implementation)
                    ? Blake2b.Implementation.LIBSODIUM : Blake2b.Implementation.BOUNCY_CASTLE);
        }
    }

    /**
     * lazysodium-java's own streaming API, for comparison. swp does not use it: its state
     * is a {@code byte[]} that JNA copies in and out of unaligned native memory on every
     * call (see {@code io.swp.hash.Libsodium}). Its loader also leaves a
     * {@code resource-loader*} folder (about 4 MB) under {@code java.io.tmpdir} in every
     * JVM that runs this; swp's own loader deletes the one file it extracts.
     */
    @State(Scope.Thread)
    public static class LazysodiumApi {
        final byte[] chunk = new byte[UPDATE_BYTES];
        Sodium sodium;
        byte[] state;

        @Setup
        public void setUp() {
            new SplittableRandom(7).nextBytes(chunk);
            sodium = new SodiumJava(LibraryLoader.Mode.BUNDLED_ONLY);
            state = new byte[sodium.crypto_generichash_statebytes()];
            sodium.crypto_generichash_init(state, null, 0, Blake2b256.DIGEST_BYTES);
        }
    }

    /** What {@code FileTransfer} does per DATA message: 64 KiB from offset 1. */
    @Benchmark
    public void update64KiB(Digests s) {
        s.digest.update(s.chunk, 1, UPDATE_BYTES);
    }

    /** lazysodium's {@code crypto_generichash_update(byte[] state, byte[] in, long inlen)}, 64 KiB. */
    @Benchmark
    public int lazysodiumByteArrayApi64KiB(LazysodiumApi s) {
        return s.sodium.crypto_generichash_update(s.state, s.chunk, UPDATE_BYTES);
    }
}
