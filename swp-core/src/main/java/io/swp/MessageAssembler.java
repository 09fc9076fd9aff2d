package io.swp;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects the chunks of one ordered message until its end mark, within a size limit.
 * It keeps the chunks as they arrived (each already owned by the session) and joins them
 * only in {@link Parts#join()}, which the session calls after releasing its lock: no copy
 * of a large message, and no growing buffer, ever runs under the lock the event loop
 * needs. Not thread-safe: the session's lock guards it.
 */
final class MessageAssembler {
    private ArrayList<byte[]> chunks = new ArrayList<>();
    private long length;

    /**
     * Appends a chunk of the current message.
     *
     * @param data the chunk, owned by the assembler from now on
     * @param limit the largest message accepted
     * @return false, and the partial message discarded, if the message would exceed {@code limit}
     */
    boolean append(byte[] data, int limit) {
        if (length + data.length > limit) {
            clear();
            return false;
        }
        if (data.length > 0) {
            chunks.add(data);
        }
        length += data.length;
        return true;
    }

    /** @return the message collected so far, to join outside the lock; the assembler starts afresh */
    Parts take() {
        Parts p = new Parts(chunks, (int) length);
        chunks = new ArrayList<>();
        length = 0;
        return p;
    }

    /** @return bytes of the current, incomplete message */
    int length() {
        return (int) length;
    }

    /** Drops the partial message. */
    void clear() {
        chunks = new ArrayList<>();
        length = 0;
    }

    /**
     * The chunks of one complete message.
     *
     * @param chunks the chunks, in order
     * @param length their total length
     */
    record Parts(List<byte[]> chunks, int length) {
        /** @return the message as one array; a single chunk is returned as it is */
        byte[] join() {
            if (chunks.size() == 1) {
                return chunks.get(0);
            }
            byte[] message = new byte[length];
            int at = 0;
            for (byte[] c : chunks) {
                System.arraycopy(c, 0, message, at, c.length);
                at += c.length;
            }
            return message;
        }
    }
}
