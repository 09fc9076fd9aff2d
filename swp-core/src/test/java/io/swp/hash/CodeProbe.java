package io.swp.hash;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Run in a child JVM by {@link Blake2bCodeTest}: prints which libsodium code
 * {@link Blake2b#nativeCode()} reports, then checks libsodium's digests against Bouncy
 * Castle's for lengths around block boundaries, once as loaded and, with the argument
 * {@code cycle}, again after switching to the SIMD code and after reloading the portable
 * code. Prints one line per check: "ok" and what it checked, or the first mismatch.
 */
final class CodeProbe {
    private CodeProbe() {
    }

    public static void main(String[] args) {
        System.out.println("code " + Blake2b.nativeCode().orElse("none"));
        System.out.println(check("as loaded"));
        if (args.length > 0 && args[0].equals("cycle")) {
            Libsodium.switchToSimd();
            System.out.println(check("after sodium_init"));
            Libsodium.reloadUninitialised();
            System.out.println(check("after reload"));
        }
        System.out.flush();
    }

    private static String check(String when) {
        SplittableRandom random = new SplittableRandom(7);
        byte[] message = new byte[3 * 65536 + 300];
        random.nextBytes(message);
        int[] lengths = new int[300 + 12];
        for (int i = 0; i < 300; i++) {
            lengths[i] = i;
        }
        int k = 300;
        for (int base : new int[] {1024, 65536, 3 * 65536}) {
            for (int delta : new int[] {-129, -1, 0, 1}) {
                lengths[k++] = base + delta;
            }
        }
        for (int len : lengths) {
            Blake2b256 sodium = Blake2b.newBlake2b256(Blake2b.Implementation.LIBSODIUM);
            Blake2b256 java = Blake2b.newBlake2b256(Blake2b.Implementation.BOUNCY_CASTLE);
            sodium.update(message, 0, len);
            java.update(message, 0, len);
            if (!Arrays.equals(sodium.digest(), java.digest())) {
                return "mismatch " + when + " at length " + len;
            }
        }
        return "ok " + when + ", " + lengths.length + " lengths";
    }
}
