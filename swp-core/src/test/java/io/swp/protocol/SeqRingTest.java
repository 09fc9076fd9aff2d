package io.swp.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SeqRingTest {

    @Test
    void holdsSparseSlotsAcrossWrapAroundAndGrowth() {
        SeqRing<Long> ring = new SeqRing<>(1000);
        for (long s = 1000; s < 1010; s++) {
            ring.put(s, s);
        }
        for (long s = 1000; s < 1007; s++) {
            assertEquals(s, ring.pollBase());
        }
        // The head has wrapped; now store far ahead so the ring grows.
        ring.put(1100, 1100L);
        assertEquals(1007, ring.base());
        for (long s = 1007; s < 1010; s++) {
            assertEquals(s, ring.get(s));
        }
        assertNull(ring.get(1050));
        assertEquals(1100L, ring.get(1100));
        assertNull(ring.get(999));
        assertNull(ring.get(5000));
        assertThrows(IllegalArgumentException.class, () -> ring.put(1000, 1L));
    }
}
