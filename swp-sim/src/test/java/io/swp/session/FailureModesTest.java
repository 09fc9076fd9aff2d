package io.swp.session;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.Endpoint;
import io.swp.EndpointConfig;
import io.swp.Session;
import io.swp.SessionConfig;
import io.swp.SessionException;
import io.swp.protocol.CloseReason;
import io.swp.sim.InMemoryNetwork;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Dead peers, nobody listening, refused connects, read timeouts: clear errors, fast, no hangs. */
class FailureModesTest {
    /** Allowance for a loaded build machine; the bounds under test are far apart from it. */
    private static final long SCHEDULING_SLACK_MILLIS = 3000;
    private static final SessionConfig SHORT_KEEPALIVE = SessionConfig.builder()
            .keepaliveInterval(Duration.ofMillis(50))
            .failedKeepalivesBeforeClose(4)
            .connectTimeout(Duration.ofMillis(500))
            .closeTimeout(Duration.ofSeconds(2))
            .build();

    @Test
    void deadPeerMidReadFailsTheReaderWithinTheKeepaliveBound() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create()) {
            CuttableNetwork serverNet = new CuttableNetwork(net);
            try (Harness.Pair p = Harness.connect(net, serverNet, SHORT_KEEPALIVE)) {
                p.server().getOutputStream().write(new byte[1000]);
                InputStream in = p.client().getInputStream();
                assertEquals(1000, in.readNBytes(1000).length);
                serverNet.cut();
                long start = System.nanoTime();
                SessionException e = assertThrows(SessionException.class, () -> in.read(new byte[10]));
                long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
                assertEquals(CloseReason.PEER_DEAD, e.reason(), e.getMessage());
                assertTrue(e.getMessage().contains("server"), e.getMessage());
                long boundMillis = SHORT_KEEPALIVE.deadPeerNanos() / 1_000_000;
                assertTrue(elapsedMillis < boundMillis + SCHEDULING_SLACK_MILLIS, "took " + elapsedMillis + " ms, bound " + boundMillis);
            }
        }
    }

    @Test
    void connectToAnInboxNobodyListensOnTimesOut() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Endpoint client = Endpoint.open(net, "client", SHORT_KEEPALIVE)) {
            long start = System.nanoTime();
            SessionException e = assertThrows(SessionException.class, () -> client.connect("nobody"));
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(CloseReason.CONNECT_TIMEOUT, e.reason());
            assertTrue(e.getMessage().contains("nobody") && e.getMessage().contains("timed out"), e.getMessage());
            assertTrue(elapsedMillis >= 400 && elapsedMillis < 500 + SCHEDULING_SLACK_MILLIS, "took " + elapsedMillis + " ms");
            await("the timed-out session is removed").atMost(Duration.ofSeconds(5))
                    .until(() -> client.sessionCount() == 0);
        }
    }

    @Test
    void connectRefusedByAnEndpointThatIsNotAcceptingFailsFast() throws Exception {
        SessionConfig slowTimeout = SHORT_KEEPALIVE.toBuilder().connectTimeout(Duration.ofSeconds(30)).build();
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Endpoint server = Endpoint.open(net, "server", slowTimeout);
             Endpoint client = Endpoint.open(net, "client", slowTimeout)) {
            server.setAccepting(false);
            long start = System.nanoTime();
            SessionException e = assertThrows(SessionException.class, () -> client.connect("server"));
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(CloseReason.RESET_BY_PEER, e.reason());
            assertTrue(e.getMessage().contains("refused"), e.getMessage());
            assertTrue(elapsedMillis < SCHEDULING_SLACK_MILLIS, "took " + elapsedMillis + " ms");
            assertEquals(1, server.stats().synsRefused());
        }
    }

    @Test
    void aFullBacklogRefusesFurtherSessions() throws Exception {
        SessionConfig sessions = SHORT_KEEPALIVE.toBuilder().connectTimeout(Duration.ofSeconds(30)).build();
        EndpointConfig oneBacklog = EndpointConfig.builder().sessionDefaults(sessions).acceptBacklog(1).build();
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Endpoint server = Endpoint.open(net, "server", oneBacklog);
             Endpoint client = Endpoint.open(net, "client", oneBacklog)) {
            Session first = client.connect("server");
            SessionException e = assertThrows(SessionException.class, () -> client.connect("server"));
            assertEquals(CloseReason.RESET_BY_PEER, e.reason());
            Session accepted = server.accept(Duration.ofSeconds(5));
            assertTrue(accepted != null && accepted.isIncoming());
            Session second = client.connect("server");
            assertTrue(server.accept(Duration.ofSeconds(5)) != null);
            first.abort();
            second.abort();
        }
    }

    @Test
    void readTimeoutThrowsSocketTimeoutAndTheSessionStaysUsable() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            p.client().setReadTimeout(Duration.ofMillis(100));
            long start = System.nanoTime();
            assertThrows(SocketTimeoutException.class, () -> p.client().getInputStream().read());
            assertTrue(System.nanoTime() - start >= 90_000_000L);
            // The timeout was the point above; now the session must simply still work, on a
            // machine that may be slow to schedule the delivery threads.
            p.client().setReadTimeout(Duration.ofSeconds(30));
            p.server().getOutputStream().write(42);
            assertEquals(42, p.client().getInputStream().read());
        }
    }

    @Test
    void abortResetsThePeerAndFailsItsBlockedReader() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            CompletableFuture<Integer> blocked = CompletableFuture.supplyAsync(() -> {
                try {
                    return p.server().getInputStream().read();
                } catch (java.io.IOException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            p.client().abort();
            Exception e = assertThrows(Exception.class, () -> Harness.get(blocked, Duration.ofSeconds(5)));
            Throwable cause = e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
            assertTrue(cause instanceof SessionException, String.valueOf(cause));
            assertEquals(CloseReason.RESET_BY_PEER, ((SessionException) cause).reason());
        }
    }

    @Test
    void closeCompletesTheFinHandshakeAndThePeerReadsEndOfStream() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            p.client().getOutputStream().write(new byte[100_000]);
            p.client().close();
            assertEquals(0, p.client().bufferedOutputBytes());
            assertEquals(100_000, p.server().getInputStream().readAllBytes().length);
            p.server().close();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertEquals(CloseReason.NORMAL, p.client().closeReason(), "client " + p.client().state());
                assertEquals(CloseReason.NORMAL, p.server().closeReason(), "server " + p.server().state());
            });
        }
    }
}
