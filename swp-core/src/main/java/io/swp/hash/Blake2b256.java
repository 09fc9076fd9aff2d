package io.swp.hash;

/**
 * One BLAKE2b computation with a 256-bit (32-byte) digest, unkeyed, as RFC 7693 defines
 * it ({@code b2sum -l 256}, Python's {@code hashlib.blake2b(digest_size=32)}). Obtained
 * from {@link Blake2b}; not thread-safe: one instance per message being hashed.
 */
public interface Blake2b256 {
    /** Length of the digest in bytes. */
    int DIGEST_BYTES = 32;

    /**
     * Adds bytes to the message. Large updates (tens of KiB) amortise the cost of a call
     * into native code.
     *
     * @param in the bytes
     * @param off where they start in {@code in}
     * @param len how many
     * @throws IndexOutOfBoundsException if the range is not inside {@code in}
     */
    void update(byte[] in, int off, int len);

    /**
     * Adds all of {@code in} to the message.
     *
     * @param in the bytes
     */
    default void update(byte[] in) {
        update(in, 0, in.length);
    }

    /**
     * Adds the bytes between {@code in}'s position and limit, and moves its position to
     * the limit. For a direct buffer libsodium hashes the bytes where they are, without
     * copying them: a file read into a direct buffer can be hashed and written from it.
     *
     * @param in the bytes
     */
    default void update(java.nio.ByteBuffer in) {
        if (in.hasArray()) {
            update(in.array(), in.arrayOffset() + in.position(), in.remaining());
            in.position(in.limit());
            return;
        }
        byte[] tmp = new byte[Math.min(in.remaining(), 64 * 1024)];
        while (in.hasRemaining()) {
            int n = Math.min(tmp.length, in.remaining());
            in.get(tmp, 0, n);
            update(tmp, 0, n);
        }
    }

    /**
     * Finishes the message and returns its digest; the instance then starts a new, empty
     * message.
     *
     * @return the {@value #DIGEST_BYTES}-byte digest
     */
    byte[] digest();

    /**
     * @return an independent digest that has absorbed the same bytes as this one: updating
     *     or finishing either leaves the other as it was (e.g. to finish a prefix's digest
     *     and go on with the whole message)
     */
    Blake2b256 copy();

    /**
     * The digest's intermediate state as bytes, for {@link Blake2b#importState} to continue
     * from later, in another process on the same platform, without hashing the message so
     * far again. The bytes are the implementation's own state (no key is involved, so they
     * hold nothing secret beyond what the message's last block reveals).
     *
     * @return the state, or empty if this implementation cannot export it (Bouncy Castle's
     *     {@code Blake2bDigest} offers no way to; libsodium's can where its state layout is
     *     the known one)
     */
    java.util.Optional<byte[]> exportState();

    /** @return which implementation computes this digest */
    Blake2b.Implementation implementation();
}
