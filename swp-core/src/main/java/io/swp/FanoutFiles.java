package io.swp;

import java.io.IOException;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;

/**
 * Files over a one-to-many stream: per file, a header message
 * {@code ["swp-fanout-file", index, name, size]}, the content as one message (none for
 * an empty file), and a trailer message {@code [index, blake2b-256]}; each receiver then
 * reports {@code [index, blake2b-256]} of what it verified and stored. All MessagePack.
 */
final class FanoutFiles {
    static final int DIGEST_BYTES = 32;

    private FanoutFiles() {
    }

    /** A file header as received. */
    record Header(long index, String name, long size) {
    }

    /** A receiver's confirmation of one file. */
    record Confirmation(long index, byte[] digest) {
    }

    static byte[] header(long index, String name, long size) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(4).packString(Publisher.FILE_MAGIC).packLong(index).packString(name).packLong(size);
            return p.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] trailer(long index, byte[] digest) {
        return pair(index, digest);
    }

    static byte[] confirmation(long index, byte[] digest) {
        return pair(index, digest);
    }

    private static byte[] pair(long index, byte[] digest) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(2).packLong(index).packBinaryHeader(digest.length).writePayload(digest);
            return p.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the header, or null if {@code message} is not one */
    static Header parseHeader(byte[] message) {
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(message)) {
            if (u.unpackArrayHeader() != 4 || !Publisher.FILE_MAGIC.equals(u.unpackString())) {
                return null;
            }
            long index = u.unpackLong();
            String name = u.unpackString();
            long size = u.unpackLong();
            return index < 0 || size < 0 || u.hasNext() ? null : new Header(index, name, size);
        } catch (MessagePackException | IOException e) {
            return null;
        }
    }

    /** @return the (index, digest) pair, or null if {@code message} is not one */
    static Confirmation parseConfirmation(byte[] message) {
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(message)) {
            if (u.unpackArrayHeader() != 2) {
                return null;
            }
            long index = u.unpackLong();
            int len = u.unpackBinaryHeader();
            if (len != DIGEST_BYTES) {
                return null;
            }
            byte[] digest = u.readPayload(len);
            return u.hasNext() ? null : new Confirmation(index, digest);
        } catch (MessagePackException | IOException e) {
            return null;
        }
    }
}
