package io.swp.hash;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Run in a child JVM by {@link Blake2bSelectionTest}: prints, one per line, what
 * {@link Blake2b} selected, the digest of "abc" from two fresh digests, and what forcing
 * libsodium does.
 */
final class FallbackProbe {
    private FallbackProbe() {
    }

    public static void main(String[] args) {
        System.out.println(Blake2b.selected().label());
        for (int i = 0; i < 2; i++) {
            Blake2b256 d = Blake2b.newBlake2b256();
            d.update("abc".getBytes(StandardCharsets.US_ASCII));
            System.out.println(d.implementation().label() + " " + HexFormat.of().formatHex(d.digest()));
        }
        try {
            Blake2b.newBlake2b256(Blake2b.Implementation.LIBSODIUM);
            System.out.println("libsodium available");
        } catch (IllegalStateException e) {
            System.out.println("libsodium refused");
        }
        System.out.flush();
    }
}
