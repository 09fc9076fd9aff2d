package io.swp.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class SimDeterminismTest {
    @Test
    void sameSeedSameRun() {
        for (double loss : new double[] {0, 0.1, 0.3}) {
            SimTransfer.Spec spec = SimTransfer.Spec.sweep(4242, loss, 128 * 1024).build();
            TransferResult a = SimTransfer.run(spec);
            TransferResult b = SimTransfer.run(spec);
            assertEquals(a.fingerprint(), b.fingerprint(), "loss " + loss);
            assertEquals(a.traceHash(), b.traceHash());
            assertEquals(a.client().stats(), b.client().stats());
            assertEquals(a.server().stats(), b.server().stats());
        }
    }

    @Test
    void anotherSeedAnotherRun() {
        TransferResult a = SimTransfer.run(SimTransfer.Spec.sweep(1, 0.1, 64 * 1024).build());
        TransferResult b = SimTransfer.run(SimTransfer.Spec.sweep(2, 0.1, 64 * 1024).build());
        assertNotEquals(a.traceHash(), b.traceHash());
    }
}
