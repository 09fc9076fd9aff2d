package io.swp.file;

import java.time.Duration;

/**
 * What sending one file took, from the header to the receiver's confirmation.
 *
 * @param name the file name sent
 * @param bytes content bytes sent
 * @param duration from the header until the receiver confirmed the verified file
 * @param retransmits frames the session retransmitted during the transfer
 * @param blake2b256 the BLAKE2b-256 of the content, lower-case hex
 */
public record FileTransferStats(String name, long bytes, Duration duration, long retransmits, String blake2b256) {

    /** @return content bytes per second over {@link #duration()} (0 for an instant transfer) */
    public double goodputBytesPerSecond() {
        long nanos = duration.toNanos();
        return nanos <= 0 ? 0 : bytes * 1e9 / nanos;
    }
}
