/**
 * File transfer over a {@link io.swp.Session}: a small message protocol that streams a
 * file in bounded chunks, hashes it with BLAKE2b-256 on both sides, and lets a file appear
 * under its final name only after the hash matched. See {@link io.swp.file.FileTransfer}.
 */
package io.swp.file;
