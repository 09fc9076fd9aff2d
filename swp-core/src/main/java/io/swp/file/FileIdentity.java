package io.swp.file;

import io.swp.hash.Blake2b;
import io.swp.hash.Blake2b256;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * Which version of a file a sender offers: its size, modification time and the
 * BLAKE2b-256 of its first chunk. A receiver continues a partial only for the same
 * identity; anything else starts from 0. It is a cheap first filter, not the proof: the
 * sender also compares the digest of the whole prefix (see docs/files.md), and the final
 * digest covers every byte.
 *
 * @param size bytes
 * @param modifiedMillis last modification, milliseconds since the epoch
 * @param firstChunkHash BLAKE2b-256 of the first {@link FileTransfer#CHUNK_BYTES} bytes (or all, if fewer)
 */
record FileIdentity(long size, long modifiedMillis, byte[] firstChunkHash) {

    static FileIdentity of(Path file) throws IOException {
        BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
        long size = attrs.size();
        Blake2b256 digest = Blake2b.newBlake2b256();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate((int) Math.min(FileTransfer.CHUNK_BYTES, size));
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // fill
            }
            digest.update(b.array(), 0, b.position());
        }
        return new FileIdentity(size, attrs.lastModifiedTime().toMillis(), digest.digest());
    }

    /** @return whether {@code file} still has this size and modification time */
    boolean unchanged(Path file) throws IOException {
        BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        return attrs.size() == size && attrs.lastModifiedTime().toMillis() == modifiedMillis;
    }

    /**
     * @param other another identity
     * @return what differs, in words ("size 100 → 120, modification time"), or null if the same
     */
    String differences(FileIdentity other) {
        List<String> d = new ArrayList<>();
        if (size != other.size) {
            d.add("size " + size + " → " + other.size);
        }
        if (modifiedMillis != other.modifiedMillis) {
            d.add("modification time");
        }
        if (!MessageDigest.isEqual(firstChunkHash, other.firstChunkHash)) {
            d.add("first " + FileTransfer.CHUNK_BYTES / 1024 + " KiB");
        }
        return d.isEmpty() ? null : String.join(", ", d);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FileIdentity f && differences(f) == null;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(size) * 31 + Long.hashCode(modifiedMillis);
    }

    @Override
    public String toString() {
        return "FileIdentity[size=" + size + ", modified=" + modifiedMillis + "]";
    }
}
