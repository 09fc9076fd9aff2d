package io.swp.file;

import java.io.IOException;

/**
 * A file transfer that did not complete, with what a retrying sender should do about it
 * ({@link #retryable()}). The message is one line fit for a user.
 */
public class FileTransferException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Why the transfer ended. */
    public enum Kind {
        /**
         * The receiver refused the file for good: unsafe name, a file of that name exists,
         * larger than it accepts, not enough space, or a protocol violation. Retrying
         * does not help.
         */
        REFUSED(false),
        /** The receiver is receiving a file of that name from another sender right now. */
        BUSY(true),
        /**
         * The file arrived but did not verify (BLAKE2b mismatch), changed while being
         * sent, or the receiver failed to store it; a new attempt starts over.
         */
        FAILED(true),
        /**
         * The session failed, closed or went idle in the middle; the receiver keeps what
         * it has for a later attempt to continue.
         */
        INTERRUPTED(true),
        /** The sender cannot read its own file. */
        LOCAL(false);

        private final boolean retryable;

        Kind(boolean retryable) {
            this.retryable = retryable;
        }

        /** @return whether another attempt may succeed */
        public boolean retryable() {
            return retryable;
        }
    }

    private final Kind kind;
    private final String fileName;
    private final long position;
    private final long size;

    /**
     * @param kind why
     * @param fileName the file concerned, or null if none yet
     * @param position content bytes this side had sent or received when it ended, or -1
     * @param size the file's size, or -1 if unknown
     * @param message one line for a user
     * @param cause the underlying failure, or null
     */
    public FileTransferException(Kind kind, String fileName, long position, long size, String message,
                                 Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.fileName = fileName;
        this.position = position;
        this.size = size;
    }

    /** @return why the transfer ended */
    public Kind kind() {
        return kind;
    }

    /** @return whether another attempt may succeed */
    public boolean retryable() {
        return kind.retryable();
    }

    /** @return the file concerned, or null */
    public String fileName() {
        return fileName;
    }

    /** @return content bytes sent or received when it ended, or -1 if unknown */
    public long position() {
        return position;
    }

    /** @return the file's size, or -1 if unknown */
    public long size() {
        return size;
    }
}
