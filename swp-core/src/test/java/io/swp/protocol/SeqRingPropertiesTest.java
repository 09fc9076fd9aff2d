package io.swp.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * {@link SeqRing} against a map from sequence number to value and a base: every lookup
 * agrees after a random sequence of stores (values and nulls, near the base and far
 * ahead), removals at the base and lookups anywhere, across wrap-around and growth; the
 * ring's size is a power of two no larger than the furthest store needed.
 */
class SeqRingPropertiesTest {

    private enum Kind { PUT, PUT_NULL, POLL, GET, PUT_BEHIND }

    private record Op(Kind kind, int offset, int value) {
    }

    @Provide
    Arbitrary<List<Op>> operations() {
        Arbitrary<Op> op = Combinators.combine(
                Arbitraries.of(Kind.PUT, Kind.PUT, Kind.PUT, Kind.PUT_NULL, Kind.POLL, Kind.POLL, Kind.POLL, Kind.GET,
                        Kind.GET, Kind.PUT_BEHIND),
                Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.integers().between(0, 40)),
                        Tuple.of(1, Arbitraries.integers().between(0, 600))),
                Arbitraries.integers()).as(Op::new);
        return op.list().ofMaxSize(200);
    }

    @Property(tries = 2000, seed = "20261128")
    void behavesLikeAMapFromSequenceNumbers(@ForAll("operations") List<Op> ops, @ForAll("bases") long start) {
        SeqRing<Integer> ring = new SeqRing<>(start);
        Map<Long, Integer> model = new HashMap<>();
        long base = start;
        int needed = 0;
        for (Op op : ops) {
            long seq = base + op.offset();
            switch (op.kind()) {
                case PUT -> {
                    ring.put(seq, op.value());
                    model.put(seq, op.value());
                    needed = Math.max(needed, op.offset() + 1);
                }
                case PUT_NULL -> {
                    ring.put(seq, null);
                    model.remove(seq);
                    needed = Math.max(needed, op.offset() + 1);
                }
                case POLL -> {
                    assertEquals(model.remove(base), ring.pollBase(), "pollBase at " + base);
                    base++;
                }
                case PUT_BEHIND -> {
                    long behind = base - 1 - op.offset();
                    assertThrows(IllegalArgumentException.class, () -> ring.put(behind, 1));
                }
                default -> assertEquals(model.get(seq), ring.get(seq), "get(" + seq + ")");
            }
            assertEquals(base, ring.base());
            int capacity = ring.capacity();
            assertTrue(Integer.bitCount(capacity) == 1 && capacity >= 16, "capacity " + capacity);
            assertTrue(capacity <= Math.max(16, Integer.highestOneBit(2 * needed - 1)),
                    "capacity " + capacity + " where " + needed + " slots were needed");
        }
        for (long s = base - 3; s < base + 700; s++) {
            assertEquals(model.get(s), ring.get(s), "get(" + s + ") at the end");
        }
    }

    @Provide
    Arbitrary<Long> bases() {
        return Arbitraries.oneOf(Arbitraries.longs().between(0, 1_000), Arbitraries.longs().between(0, Long.MAX_VALUE / 2));
    }
}
