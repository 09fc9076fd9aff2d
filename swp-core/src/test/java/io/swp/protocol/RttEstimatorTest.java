package io.swp.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RttEstimatorTest {
    private static final long MS = 1_000_000;

    @Test
    void followsRfc6298() {
        RttEstimator rtt = new RttEstimator(500 * MS, 20 * MS, 5_000 * MS);
        assertEquals(500 * MS, rtt.rto(), "initial RTO before any sample");
        rtt.addSample(100 * MS);
        assertEquals(100 * MS, rtt.srtt());
        assertEquals(50 * MS, rtt.rttvar());
        assertEquals(300 * MS, rtt.rto(), "SRTT + 4 RTTVAR");
        rtt.addSample(60 * MS);
        // RTTVAR = 3/4 * 50 + 1/4 * |100 - 60| = 47.5; SRTT = 7/8 * 100 + 1/8 * 60 = 95
        assertEquals(47_500_000, rtt.rttvar());
        assertEquals(95 * MS, rtt.srtt());
        assertEquals(95 * MS + 4 * 47_500_000, rtt.rto());
        assertEquals(2, rtt.samples());
    }

    @Test
    void clampsToTheFloorAndCeilingAndBacksOff() {
        RttEstimator rtt = new RttEstimator(500 * MS, 20 * MS, 1_000 * MS);
        for (int i = 0; i < 50; i++) {
            rtt.addSample(MS);
        }
        assertEquals(20 * MS, rtt.rto(), "floor");
        rtt.backoff();
        assertEquals(40 * MS, rtt.rto());
        for (int i = 0; i < 10; i++) {
            rtt.backoff();
        }
        assertEquals(1_000 * MS, rtt.rto(), "ceiling");
        rtt.resetBackoff();
        assertEquals(20 * MS, rtt.rto());
        rtt.addSample(10_000 * MS);
        assertEquals(1_000 * MS, rtt.rto(), "ceiling");
    }

    @Test
    void aSteadyRttLeavesTheGranularityAsTheOnlyMargin() {
        RttEstimator rtt = new RttEstimator(500 * MS, 1, 5_000 * MS);
        for (int i = 0; i < 200; i++) {
            rtt.addSample(30 * MS);
        }
        assertEquals(0, rtt.rttvar());
        assertEquals(30 * MS + RttEstimator.CLOCK_GRANULARITY_NANOS, rtt.rto());
    }
}
