package io.swp.hash;

import java.util.Objects;
import java.util.Optional;
import org.bouncycastle.crypto.digests.Blake2bDigest;

/** BLAKE2b-256 in pure Java (Bouncy Castle): available everywhere, slower than libsodium. */
final class BouncyCastleBlake2b256 implements Blake2b256 {
    private final Blake2bDigest digest;

    BouncyCastleBlake2b256() {
        this.digest = new Blake2bDigest(DIGEST_BYTES * 8);
    }

    private BouncyCastleBlake2b256(Blake2bDigest state) {
        this.digest = new Blake2bDigest(state);
    }

    @Override
    public void update(byte[] in, int off, int len) {
        Objects.checkFromIndexSize(off, len, in.length);
        digest.update(in, off, len);
    }

    @Override
    public byte[] digest() {
        byte[] out = new byte[DIGEST_BYTES];
        digest.doFinal(out, 0); // also resets the digest
        return out;
    }

    @Override
    public Blake2b256 copy() {
        return new BouncyCastleBlake2b256(digest);
    }

    /**
     * Always empty: {@code Blake2bDigest} (Bouncy Castle 1.87) implements neither
     * {@code Memoable} nor {@code EncodableDigest}; its only way to duplicate a state is the
     * copy constructor, inside one process.
     */
    @Override
    public Optional<byte[]> exportState() {
        return Optional.empty();
    }

    @Override
    public Blake2b.Implementation implementation() {
        return Blake2b.Implementation.BOUNCY_CASTLE;
    }
}
