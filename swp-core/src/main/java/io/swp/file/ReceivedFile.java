package io.swp.file;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A file received, verified and stored under its final name.
 *
 * @param path where it is now
 * @param name the name the sender gave
 * @param size its size in bytes
 * @param blake2b256 its BLAKE2b-256, lower-case hex, as computed while writing and
 *     matched against the sender's
 * @param duration from the header to the stored file
 */
public record ReceivedFile(Path path, String name, long size, String blake2b256, Duration duration) {
}
