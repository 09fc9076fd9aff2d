package io.swp.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RangeSetTest {

    @Test
    void mergesAdjacentAndOverlappingRangesAndReportsOnlyNewSpans() {
        RangeSet set = new RangeSet();
        List<long[]> spans = new ArrayList<>();
        RangeSet.NewSpanSink sink = (s, e) -> spans.add(new long[] {s, e});
        set.add(10, 20, sink);
        set.add(30, 40, sink);
        set.add(20, 30, sink);
        assertEquals(1, set.size());
        assertEquals(10, set.start(0));
        assertEquals(40, set.end(0));
        assertEquals(List.of("10-20", "30-40", "20-30"), spans.stream().map(a -> a[0] + "-" + a[1]).toList());
        spans.clear();
        set.add(5, 45, sink);
        assertEquals(List.of("5-10", "40-45"), spans.stream().map(a -> a[0] + "-" + a[1]).toList());
        spans.clear();
        set.add(12, 44, sink);
        assertTrue(spans.isEmpty());
    }

    @Test
    void removeBelowTrimsAndDrops() {
        RangeSet set = new RangeSet();
        set.add(1, 3, null);
        set.add(5, 9, null);
        set.removeBelow(6);
        assertEquals(1, set.size());
        assertEquals(6, set.start(0));
        assertFalse(set.contains(5));
        assertTrue(set.contains(8));
        set.removeBelow(100);
        assertTrue(set.isEmpty());
    }

    @Test
    void agreesWithABitSetModel() {
        long seed = 5;
        Random random = new Random(seed);
        for (int round = 0; round < 200; round++) {
            RangeSet set = new RangeSet();
            BitSet model = new BitSet();
            int floor = 0;
            for (int op = 0; op < 200; op++) {
                if (random.nextInt(10) == 0) {
                    floor += random.nextInt(20);
                    set.removeBelow(floor);
                    model.clear(0, floor);
                } else {
                    int s = floor + random.nextInt(300);
                    int e = s + 1 + random.nextInt(10);
                    BitSet fresh = new BitSet();
                    set.add(s, e, (a, b) -> fresh.set((int) a, (int) b));
                    BitSet expectedFresh = new BitSet();
                    expectedFresh.set(s, e);
                    expectedFresh.andNot(model);
                    assertEquals(expectedFresh, fresh, "seed " + seed + " round " + round + " op " + op);
                    model.set(s, e);
                }
                BitSet fromSet = new BitSet();
                for (int i = 0; i < set.size(); i++) {
                    assertTrue(set.start(i) < set.end(i));
                    if (i > 0) {
                        assertTrue(set.end(i - 1) < set.start(i), "ranges stay disjoint and non-adjacent");
                    }
                    fromSet.set((int) set.start(i), (int) set.end(i));
                }
                assertEquals(model, fromSet, "seed " + seed + " round " + round + " op " + op);
            }
        }
    }
}
