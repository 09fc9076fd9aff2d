package io.swp;

import java.util.Arrays;

/**
 * Collects the chunks of one ordered message until its end mark, within a size limit.
 * The buffer grows by doubling up to the limit and is released after a large message,
 * so an idle session does not keep the memory of its largest message. Not thread-safe:
 * the session's lock guards it.
 */
final class MessageAssembler {
    private static final byte[] EMPTY = new byte[0];

    /** Buffers larger than this are dropped once their message is taken. */
    private final int keepBytes;
    private byte[] buffer = EMPTY;
    private int length;

    /** @param keepBytes the largest buffer kept between messages */
    MessageAssembler(int keepBytes) {
        this.keepBytes = keepBytes;
    }

    /**
     * Appends a chunk of the current message.
     *
     * @param data the chunk
     * @param limit the largest message accepted
     * @return false, and the partial message discarded, if the message would exceed {@code limit}
     */
    boolean append(byte[] data, int limit) {
        long total = (long) length + data.length;
        if (total > limit) {
            clear();
            return false;
        }
        if (total > buffer.length) {
            long grown = Math.max(total, Math.min((long) buffer.length * 2, limit));
            buffer = Arrays.copyOf(buffer, (int) grown);
        }
        System.arraycopy(data, 0, buffer, length, data.length);
        length = (int) total;
        return true;
    }

    /** @return the message collected so far, which is then forgotten */
    byte[] take() {
        byte[] message = Arrays.copyOf(buffer, length);
        length = 0;
        if (buffer.length > keepBytes) {
            buffer = EMPTY;
        }
        return message;
    }

    /** @return bytes of the current, incomplete message */
    int length() {
        return length;
    }

    /** Drops the partial message and its buffer. */
    void clear() {
        length = 0;
        buffer = EMPTY;
    }
}
