package io.swp.hash;

import java.util.Objects;
import org.bouncycastle.crypto.digests.Blake2bDigest;

/** BLAKE2b-256 in pure Java (Bouncy Castle): available everywhere, slower than libsodium. */
final class BouncyCastleBlake2b256 implements Blake2b256 {
    private final Blake2bDigest digest = new Blake2bDigest(DIGEST_BYTES * 8);

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
    public Blake2b.Implementation implementation() {
        return Blake2b.Implementation.BOUNCY_CASTLE;
    }
}
