package io.swp.file;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A file received, verified and stored under its final name.
 *
 * @param path where it is now
 * @param name the name the sender gave
 * @param size its size in bytes
 * @param blake2b256 its BLAKE2b-256, lower-case hex, matched against the sender's
 * @param duration from the header to the stored file
 * @param resumedAt where this transfer continued a partial kept from an earlier attempt
 *     (0 if all of it arrived now)
 * @param alreadyStored whether an earlier attempt had already verified and stored it and
 *     this one only confirmed it to a sender that had missed the confirmation
 */
public record ReceivedFile(Path path, String name, long size, String blake2b256, Duration duration, long resumedAt,
                           boolean alreadyStored) {
}
