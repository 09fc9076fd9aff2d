/**
 * BLAKE2b-256, the checksum of swp's file protocol, behind one small interface with two
 * implementations that produce the same bytes: libsodium's (native, through
 * lazysodium-java, which carries the library inside its jar) and Bouncy Castle's (pure
 * Java). {@link io.swp.hash.Blake2b#newBlake2b256()} picks libsodium where it loads and
 * falls back to Bouncy Castle, logging the reason once; the system property
 * {@value io.swp.hash.Blake2b#PROPERTY} can force either.
 */
package io.swp.hash;
