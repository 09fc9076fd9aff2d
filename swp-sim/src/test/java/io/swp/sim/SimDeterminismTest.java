package io.swp.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SimDeterminismTest {
    @ParameterizedTest(name = "seed 4242, loss {0}")
    @ValueSource(doubles = {0, 0.1, 0.3})
    void sameSeedSameRun(double loss) {
        SimTransfer.Spec spec = SimTransfer.Spec.sweep(4242, loss, 128 * 1024).build();
        TransferResult a = SimTransfer.run(spec);
        TransferResult b = SimTransfer.run(spec);
        String params = "seed 4242, loss " + loss;
        assertEquals(a.fingerprint(), b.fingerprint(), params);
        assertEquals(a.traceHash(), b.traceHash(), params);
        assertEquals(a.client().stats(), b.client().stats(), params);
        assertEquals(a.server().stats(), b.server().stats(), params);
    }

    @Test
    void anotherSeedAnotherRun() {
        TransferResult a = SimTransfer.run(SimTransfer.Spec.sweep(1, 0.1, 64 * 1024).build());
        TransferResult b = SimTransfer.run(SimTransfer.Spec.sweep(2, 0.1, 64 * 1024).build());
        assertNotEquals(a.traceHash(), b.traceHash());
    }
}
