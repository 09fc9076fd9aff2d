package io.swp.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimNetworkTest {
    private static final long MS = 1_000_000L;

    @Test
    void deliversInArrivalOrderOnlyWhenTheClockGetsThere() throws IOException {
        SimNetwork net = new SimNetwork(1);
        net.impair("b", Impairments.builder().latency(Duration.ofMillis(10)).build());
        List<String> got = new ArrayList<>();
        net.bind("a", f -> got.add("a" + f[0]));
        net.bind("b", f -> got.add("b" + f[0]));
        net.send("b", new byte[] {1});
        net.send("a", new byte[] {2});
        net.send("b", new byte[] {3});
        assertEquals(0, net.nextDeliveryTime(), "the unimpaired frame is due at once");
        assertEquals(1, net.deliverDue());
        assertEquals(List.of("a2"), got);
        assertEquals(10 * MS, net.nextDeliveryTime());
        net.advanceTo(9 * MS);
        assertEquals(0, net.deliverDue());
        net.advanceTo(10 * MS);
        assertEquals(2, net.deliverDue());
        assertEquals(List.of("a2", "b1", "b3"), got);
        assertEquals(Long.MAX_VALUE, net.nextDeliveryTime());
    }

    @Test
    void framesSentByHandlersWithoutDelayAreDeliveredInTheSamePass() throws IOException {
        SimNetwork net = new SimNetwork(1);
        List<Integer> got = new ArrayList<>();
        net.bind("ping", f -> {
            got.add((int) f[0]);
            if (f[0] < 5) {
                try {
                    net.send("ping", new byte[] {(byte) (f[0] + 1)});
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        net.send("ping", new byte[] {1});
        assertEquals(5, net.deliverDue());
        assertEquals(List.of(1, 2, 3, 4, 5), got);
    }

    @Test
    void filterUnboundInboxesAndLimitsAreCounted() throws IOException {
        SimNetwork net = new SimNetwork(1, 100);
        net.setFrameFilter((inbox, frame, now) -> frame[0] == 9);
        List<byte[]> got = new ArrayList<>();
        net.bind("x", got::add);
        net.send("x", new byte[] {9});
        net.send("nobody", new byte[] {1});
        net.send("x", new byte[] {2});
        net.deliverDue();
        assertEquals(1, got.size());
        assertEquals(1, net.filteredCount());
        assertEquals(1, net.undeliverableCount());
        assertThrows(IOException.class, () -> net.send("x", new byte[101]));
        List<byte[]> second = new ArrayList<>();
        net.bind("x", second::add);
        net.send("x", new byte[] {3});
        net.deliverDue();
        assertEquals(2, got.size(), "every binding of an inbox gets its copy");
        assertEquals(1, second.size());
        assertEquals(2, net.bindingCount("x"));
        net.close();
        assertThrows(IOException.class, () -> net.send("x", new byte[1]));
    }

    @Test
    void traceHashIsAFunctionOfTheSeedAndTheSends() throws IOException {
        assertEquals(trace(5), trace(5));
        assertNotEquals(trace(5), trace(6));
    }

    private static long trace(long seed) throws IOException {
        SimNetwork net = new SimNetwork(seed);
        net.impair("x", Impairments.builder().lossRate(0.3).jitter(Duration.ofMillis(3)).duplicateRate(0.1).build());
        net.bind("x", f -> { });
        for (int i = 0; i < 200; i++) {
            net.advanceTo(i * MS);
            net.send("x", new byte[] {(byte) i, 1, 2, 3});
            net.deliverDue();
        }
        net.advanceTo(Long.MAX_VALUE / 2);
        net.deliverDue();
        assertEquals(net.linkStats("x").delivered(), 200 - net.linkStats("x").dropped() + net.linkStats("x").duplicated());
        return net.traceHash();
    }
}
