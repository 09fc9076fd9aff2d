package io.swp.protocol;

import java.util.function.Consumer;

/**
 * Runs a fuzz target on seeded-random inputs ({@link FuzzData#seeded}) as a plain JUnit
 * test: the short, deterministic pass of the default build. Input {@code i} is seed
 * {@code base + i}, so a failure names the one seed that reproduces it.
 *
 * <p>System properties: {@code swp.fuzz.millis} (time per target, default 4,000; 0 skips
 * the pass), {@code swp.fuzz.inputs} (most inputs per target, default 1,000,000) and
 * {@code swp.fuzz.seed} (the first seed; with {@code swp.fuzz.inputs=1}, one input).
 */
final class SeededFuzzing {
    private SeededFuzzing() {
    }

    /**
     * @param name the target, for messages
     * @param defaultSeed the first seed unless {@code swp.fuzz.seed} says otherwise
     * @param budget bytes per input
     * @param target the target; it throws on a broken invariant
     * @return how many inputs ran
     */
    static long run(String name, long defaultSeed, int budget, Consumer<FuzzData> target) {
        long base = Long.getLong("swp.fuzz.seed", defaultSeed);
        long inputs = Long.getLong("swp.fuzz.inputs", 1_000_000);
        long deadline = System.nanoTime() + Long.getLong("swp.fuzz.millis", 4_000) * 1_000_000;
        long i = 0;
        while (i < inputs && System.nanoTime() - deadline < 0) {
            long seed = base + i;
            try {
                target.accept(FuzzData.seeded(seed, budget));
            } catch (RuntimeException | AssertionError e) {
                throw new AssertionError(name + ": seeded input " + i + " failed; rerun it alone with"
                        + " -Dswp.fuzz.seed=" + seed + " -Dswp.fuzz.inputs=1", e);
            }
            i++;
        }
        System.out.println(name + ": " + i + " seeded inputs from seed " + base);
        return i;
    }
}
