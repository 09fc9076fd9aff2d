package io.swp.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link RangeSet} against the simplest model there is, a set of numbers: after every
 * operation of a random sequence the ranges are sorted, disjoint and not adjacent, hold
 * exactly the model's numbers, and {@link RangeSet#add} reported exactly the numbers that
 * were new, in order.
 */
class RangeSetPropertiesTest {
    private static final int DOMAIN = 120;

    private enum Kind { ADD, REMOVE_BELOW, REMOVE_FROM, CLEAR }

    private record Op(Kind kind, long a, long b) {
    }

    @Provide
    Arbitrary<List<Op>> operations() {
        Arbitrary<Op> op = Combinators.combine(
                Arbitraries.of(Kind.ADD, Kind.ADD, Kind.ADD, Kind.ADD, Kind.ADD, Kind.REMOVE_BELOW, Kind.REMOVE_FROM,
                        Kind.CLEAR),
                Arbitraries.longs().between(-2, DOMAIN), Arbitraries.longs().between(-2, 20)).as((k, a, len) ->
                new Op(k, a, a + len));
        return op.list().ofMaxSize(60);
    }

    @Property(tries = 1000, seed = "20261127")
    void behavesLikeASetOfNumbers(@ForAll("operations") List<Op> ops) {
        RangeSet set = new RangeSet();
        TreeSet<Long> model = new TreeSet<>();
        for (Op op : ops) {
            switch (op.kind()) {
                case ADD -> {
                    List<long[]> spans = new ArrayList<>();
                    set.add(op.a(), op.b(), (start, end) -> spans.add(new long[] {start, end}));
                    List<Long> added = new ArrayList<>();
                    for (long x = op.a(); x < op.b(); x++) {
                        if (model.add(x)) {
                            added.add(x);
                        }
                    }
                    List<Long> reported = new ArrayList<>();
                    long last = Long.MIN_VALUE;
                    for (long[] span : spans) {
                        assertTrue(span[0] < span[1] && span[0] >= last, "spans empty or out of order: " + op);
                        last = span[1];
                        for (long x = span[0]; x < span[1]; x++) {
                            reported.add(x);
                        }
                    }
                    assertEquals(added, reported, "new numbers reported for " + op);
                }
                case REMOVE_BELOW -> {
                    set.removeBelow(op.a());
                    model.headSet(op.a()).clear();
                }
                case REMOVE_FROM -> {
                    set.removeFrom(op.a());
                    model.tailSet(op.a()).clear();
                }
                default -> {
                    set.clear();
                    model.clear();
                }
            }
            assertMatches(model, set, op);
        }
    }

    private static void assertMatches(TreeSet<Long> model, RangeSet set, Op after) {
        TreeSet<Long> held = new TreeSet<>();
        for (int i = 0; i < set.size(); i++) {
            assertTrue(set.start(i) < set.end(i), "empty range after " + after);
            if (i > 0) {
                assertTrue(set.end(i - 1) < set.start(i), "ranges overlap or touch after " + after);
            }
            for (long x = set.start(i); x < set.end(i); x++) {
                held.add(x);
            }
        }
        assertEquals(model, held, "numbers held after " + after);
        assertEquals(model.isEmpty(), set.isEmpty());
        for (long x = -3; x <= DOMAIN + 22; x++) {
            assertEquals(model.contains(x), set.contains(x), "contains(" + x + ") after " + after);
        }
    }
}
