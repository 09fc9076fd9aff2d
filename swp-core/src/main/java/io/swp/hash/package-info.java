/**
 * BLAKE2b-256, the checksum of swp's file protocol, behind one small interface with two
 * implementations that produce the same bytes: libsodium's (native, through
 * lazysodium-java, which carries the library inside its jar) and Bouncy Castle's (pure
 * Java). {@link io.swp.hash.Blake2b#newBlake2b256()} picks libsodium where it loads and
 * falls back to Bouncy Castle, logging the reason once; the system property
 * {@value io.swp.hash.Blake2b#PROPERTY} can force either. Of libsodium's two BLAKE2b
 * codes, portable C and SIMD, the faster on this CPU is measured once at load
 * ({@link io.swp.hash.Blake2b#nativeCode()}, {@value io.swp.hash.Blake2b#CODE_PROPERTY}).
 */
package io.swp.hash;
