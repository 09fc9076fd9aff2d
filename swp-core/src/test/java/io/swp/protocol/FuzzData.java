package io.swp.protocol;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import java.util.SplittableRandom;

/**
 * What a fuzz target draws its decisions from: the few {@link FuzzedDataProvider}
 * methods the targets use, so that each target runs both under Jazzer (coverage-guided,
 * {@link #of(FuzzedDataProvider)}) and as a plain seeded-random JUnit test
 * ({@link #seeded(long, int)}), which the default build runs for a few seconds.
 */
interface FuzzData {

    /** @return the next choice */
    boolean consumeBoolean();

    /**
     * @param min smallest value
     * @param max largest value, at least {@code min}
     * @return a value in {@code [min, max]}
     */
    int consumeInt(int min, int max);

    /**
     * @param min smallest value
     * @param max largest value, at least {@code min}
     * @return a value in {@code [min, max]}
     */
    long consumeLong(long min, long max);

    /** @return any long */
    long consumeLong();

    /**
     * @param maxLength at most this many
     * @return up to {@code maxLength} bytes
     */
    byte[] consumeBytes(int maxLength);

    /** @return what is left of the input (seeded: a random length), consumed */
    byte[] consumeRemainingAsBytes();

    /** @return whether the input is used up; the target should stop */
    boolean exhausted();

    /**
     * @param values the values to pick from, at least one
     * @param <T> their type
     * @return one of them
     */
    default <T> T pick(T[] values) {
        return values[consumeInt(0, values.length - 1)];
    }

    /** @return Jazzer's input, as the targets see it */
    static FuzzData of(FuzzedDataProvider data) {
        return new FuzzData() {
            @Override
            public boolean consumeBoolean() {
                return data.consumeBoolean();
            }

            @Override
            public int consumeInt(int min, int max) {
                return data.consumeInt(min, max);
            }

            @Override
            public long consumeLong(long min, long max) {
                return data.consumeLong(min, max);
            }

            @Override
            public long consumeLong() {
                return data.consumeLong();
            }

            @Override
            public byte[] consumeBytes(int maxLength) {
                return data.consumeBytes(maxLength);
            }

            @Override
            public byte[] consumeRemainingAsBytes() {
                return data.consumeRemainingAsBytes();
            }

            @Override
            public boolean exhausted() {
                return data.remainingBytes() == 0;
            }
        };
    }

    /**
     * A seeded-random input of about {@code budget} bytes: every draw costs what the same
     * draw costs a {@link FuzzedDataProvider}, so inputs end as Jazzer's do.
     *
     * @param seed the seed; the same seed is the same input
     * @param budget bytes of input
     * @return the input
     */
    static FuzzData seeded(long seed, int budget) {
        return new FuzzData() {
            private final SplittableRandom random = new SplittableRandom(seed);
            private int left = budget;

            private void spend(int bytes) {
                left = Math.max(0, left - bytes);
            }

            @Override
            public boolean consumeBoolean() {
                spend(1);
                return random.nextBoolean();
            }

            @Override
            public int consumeInt(int min, int max) {
                spend(4);
                // Like libFuzzer's inputs, favour the edges: small offsets from either end.
                if (max > min && random.nextInt(8) == 0) {
                    return random.nextBoolean() ? min : max;
                }
                return (int) random.nextLong(min, (long) max + 1);
            }

            @Override
            public long consumeLong(long min, long max) {
                spend(8);
                if (max > min && random.nextInt(8) == 0) {
                    return random.nextBoolean() ? min : max;
                }
                if (max < Long.MAX_VALUE) {
                    return random.nextLong(min, max + 1);
                }
                return min > Long.MIN_VALUE ? random.nextLong(min - 1, max) + 1 : random.nextLong();
            }

            @Override
            public long consumeLong() {
                spend(8);
                return random.nextLong();
            }

            @Override
            public byte[] consumeBytes(int maxLength) {
                int n = Math.min(maxLength, random.nextInt(Math.max(1, Math.min(left, maxLength) + 1)));
                byte[] b = new byte[Math.max(0, n)];
                random.nextBytes(b);
                spend(b.length);
                return b;
            }

            @Override
            public byte[] consumeRemainingAsBytes() {
                byte[] b = new byte[left];
                random.nextBytes(b);
                left = 0;
                return b;
            }

            @Override
            public boolean exhausted() {
                return left == 0;
            }
        };
    }
}
