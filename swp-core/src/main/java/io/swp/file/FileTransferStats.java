package io.swp.file;

import java.time.Duration;

/**
 * What sending one file took, from the header to the receiver's confirmation.
 *
 * @param name the file name sent
 * @param bytes the file's size: content bytes the receiver now holds and verified
 * @param duration from the header until the receiver confirmed the verified file
 * @param retransmits frames the session retransmitted during the transfer
 * @param blake2b256 the BLAKE2b-256 of the content, lower-case hex
 * @param resumedAt where this transfer continued a partial the receiver kept from an
 *     earlier attempt: 0 if it sent the whole file, {@code bytes} if the receiver already
 *     held the verified file and nothing was sent
 */
public record FileTransferStats(String name, long bytes, Duration duration, long retransmits, String blake2b256,
                                long resumedAt) {

    /** @return content bytes this transfer sent: {@code bytes - resumedAt} */
    public long bytesSent() {
        return bytes - resumedAt;
    }

    /** @return content bytes sent per second over {@link #duration()} (0 for an instant transfer) */
    public double goodputBytesPerSecond() {
        long nanos = duration.toNanos();
        return nanos <= 0 ? 0 : bytesSent() * 1e9 / nanos;
    }
}
