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

    /** DirectNetwork whose bindings report a receive buffer of {@code limit} bytes. */
    private static Network withBufferLimit(Network inner, long limit) {
        return new Network() {
            @Override
            public InboxBinding bind(String inbox, FrameHandler handler) throws IOException {
                InboxBinding b = inner.bind(inbox, handler);
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

            @Override
            public void send(String inbox, byte[] frame) throws IOException {
                inner.send(inbox, frame);
            }

            @Override
            public int maxFrameSize() {
                return inner.maxFrameSize();
            }

            @Override
            public void close() {
                inner.close();
            }
        };
    }

    private static long sessionBudget(long budget, long transportLimit) throws IOException {
        try (DirectNetwork net = new DirectNetwork();
             Endpoint e = Endpoint.open(withBufferLimit(net, transportLimit), "e",
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
        try (DirectNetwork net = new DirectNetwork();
             Endpoint server = Endpoint.open(withBufferLimit(net, transport), "server",
                     EndpointConfig.builder().memoryBudgetBytes(budget).build());
             Endpoint client = Endpoint.open(net, "client")) {
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
