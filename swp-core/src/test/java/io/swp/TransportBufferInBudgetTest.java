package io.swp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The memory budget counts the transport's own receive buffer (issue 10): what the
 * binding says it may buffer is subtracted from the budget before the sessions share it.
 */
class TransportBufferInBudgetTest {
    private static final long MIB = 1024 * 1024;

    /** A direct network whose bindings report a receive buffer of {@code limit} bytes. */
    private static final class BufferLimitedNetwork extends ForwardingNetwork {
        private final long limit;

        BufferLimitedNetwork(long limit) {
            this.limit = limit;
        }

        @Override
        public InboxBinding bind(String inbox, FrameHandler handler) throws IOException {
            InboxBinding b = super.bind(inbox, handler);
            return new InboxBinding() {
                @Override
                public String inbox() {
                    return b.inbox();
                }

                @Override
                public long bufferLimitBytes() {
                    return limit;
                }

                @Override
                public void close() {
                    b.close();
                }
            };
        }
    }

    private static long sessionBudget(long budget, long transportLimit) throws IOException {
        try (Network net = new BufferLimitedNetwork(transportLimit);
             Endpoint e = Endpoint.open(net, "e",
                     EndpointConfig.builder().memoryBudgetBytes(budget).build())) {
            return e.sessionMemoryBudget();
        }
    }

    @Test
    void theTransportsBufferLimitIsSubtractedFromTheBudget() throws Exception {
        assertEquals(64 * MIB, sessionBudget(64 * MIB, Network.InboxBinding.UNKNOWN), "a transport that cannot tell");
        assertEquals(16 * MIB, sessionBudget(64 * MIB, 48 * MIB));
        // A transport buffer above three quarters of the budget: the sessions keep a quarter.
        assertEquals(16 * MIB, sessionBudget(64 * MIB, 60 * MIB));
        assertEquals(16 * MIB, sessionBudget(64 * MIB, 1L << 40));
    }

    @Test
    void sessionsAdvertiseNoMoreThanTheBudgetLeftAfterTheTransport() throws Exception {
        long budget = 32 * MIB;
        long transport = 24 * MIB; // leaves 8 MiB, half the default 16 MiB window
        try (BufferLimitedNetwork net = new BufferLimitedNetwork(transport);
             Endpoint server = Endpoint.open(net, "server",
                     EndpointConfig.builder().memoryBudgetBytes(budget).build());
             Endpoint client = Endpoint.open(net.direct, "client")) {
            CompletableFuture<Session> accepted = server.acceptAsync();
            Session c = client.connect("server");
            Session s = accepted.get(10, TimeUnit.SECONDS);
            s.sendMessage(new byte[] {1}); // the server speaks: its window goes with it
            assertEquals(1, c.receiveMessage(Duration.ofSeconds(10)).length);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                long advertised = c.stats().peerWindowBytes();
                assertTrue(advertised > 0 && advertised <= budget - transport, "advertised " + advertised + " server " + s.stats() +  " endpoint " + server.stats() + " budget " + server.sessionMemoryBudget());
            });
            assertEquals(budget - transport, server.sessionMemoryBudget());
            assertTrue(SessionConfig.defaults().windowBytes() > budget - transport);
        }
    }
}
