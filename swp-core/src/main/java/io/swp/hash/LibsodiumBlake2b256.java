package io.swp.hash;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Optional;

/**
 * BLAKE2b-256 by libsodium. Each update copies the caller's bytes into a native buffer
 * (at most {@value #MAX_CHUNK_BYTES} at a time) and makes one native call, whose fixed cost
 * (about a microsecond) is noise next to hashing 64 KiB (about 80 µs).
 */
final class LibsodiumBlake2b256 implements Blake2b256 {
    /** Largest native input buffer: one file-protocol chunk. */
    static final int MAX_CHUNK_BYTES = 64 * 1024;

    /** Owns the state's native memory (freed when this object is collected). */
    private final Memory stateMemory = Libsodium.allocateState();
    private final Pointer state = Libsodium.newState(stateMemory, DIGEST_BYTES);
    private Memory input;

    LibsodiumBlake2b256() {
    }

    /** A digest continuing from {@code stateBytes}, which the caller has checked. */
    LibsodiumBlake2b256(byte[] stateBytes) {
        Libsodium.writeState(state, stateBytes);
    }

    @Override
    public void update(byte[] in, int off, int len) {
        Objects.checkFromIndexSize(off, len, in.length);
        while (len > 0) {
            int n = Math.min(len, MAX_CHUNK_BYTES);
            Memory buf = inputBuffer(n);
            buf.write(0, in, off, n);
            Libsodium.update(state, buf, n);
            off += n;
            len -= n;
        }
    }

    /** A direct buffer is hashed in place (no copy into native memory); others as arrays. */
    @Override
    public void update(ByteBuffer in) {
        if (!in.isDirect()) {
            Blake2b256.super.update(in);
            return;
        }
        int len = in.remaining();
        if (len > 0) {
            Libsodium.update(state, Native.getDirectBufferPointer(in).share(in.position()), len);
        }
        in.position(in.limit());
    }

    private Memory inputBuffer(int n) {
        if (input == null || input.size() < n) {
            // Sized to the first need, then grown once at most to a full chunk.
            input = new Memory(input == null ? n : MAX_CHUNK_BYTES);
        }
        return input;
    }

    @Override
    public byte[] digest() {
        byte[] out = new byte[DIGEST_BYTES];
        Libsodium.finish(state, out);
        Libsodium.init(state, DIGEST_BYTES);
        return out;
    }

    @Override
    public Blake2b256 copy() {
        return new LibsodiumBlake2b256(Libsodium.readState(state));
    }

    @Override
    public Optional<byte[]> exportState() {
        return Libsodium.STATE_LAYOUT_KNOWN ? Optional.of(Libsodium.readState(state)) : Optional.empty();
    }

    @Override
    public Blake2b.Implementation implementation() {
        return Blake2b.Implementation.LIBSODIUM;
    }
}
