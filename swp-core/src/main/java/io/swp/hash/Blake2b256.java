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
     * Finishes the message and returns its digest; the instance then starts a new, empty
     * message.
     *
     * @return the {@value #DIGEST_BYTES}-byte digest
     */
    byte[] digest();

    /** @return which implementation computes this digest */
    Blake2b.Implementation implementation();
}
