package io.swp.nats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.nats.testing.NatsServerProcess;
import io.swp.nats.testing.NatsServers;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** A connection that cannot be made is a clear IOException within the connect timeout. */
class ConnectFailureTest {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /** jnats' own work around one attempt (DNS-free loopback, thread hand-offs). */
    private static final Duration SLACK = Duration.ofSeconds(3);
    private static final NatsNetworkConfig CONFIG = NatsNetworkConfig.builder().connectTimeout(CONNECT_TIMEOUT).build();

    @Test
    void refusedPort() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        String url = "nats://127.0.0.1:" + port;
        IOException e = failsWithin(CONNECT_TIMEOUT.plus(SLACK), () -> NatsNetwork.connect(url, CONFIG));
        assertTrue(e.getMessage().contains("cannot connect to NATS") && e.getMessage().contains(Integer.toString(port)),
                e.getMessage());
    }

    @Test
    void serverThatNeverSpeaksTimesOut() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String url = "nats://127.0.0.1:" + silent.getLocalPort();
            failsWithin(CONNECT_TIMEOUT.plus(SLACK), () -> NatsNetwork.connect(url, CONFIG));
        }
    }

    @Test
    void malformedUrls() {
        for (String url : new String[] {"", " , ", "nats://127.0.0.1:notaport", "nats://[::1"}) {
            IOException e = failsWithin(SLACK, () -> NatsNetwork.connect(url, CONFIG));
            assertTrue(e.getMessage().contains("URL") || e.getMessage().contains("cannot connect"),
                    "'" + url + "' -> " + e.getMessage());
        }
    }

    @Test
    void credentialsNeverAppearInMessages() {
        assertEquals("nats://swp:***@h:1,nats://***@h:2,nats://h:3",
                NatsNetwork.redact("nats://swp:secret@h:1,nats://tok3n@h:2,nats://h:3"));
        assertEquals("[tls://a:***@[::1]:4222]", NatsNetwork.redact("[tls://a:b@[::1]:4222]"));
    }

    @Test
    void badCredentials() {
        try (NatsServerProcess server = NatsServers.process().args("--user", "swp", "--pass", "right").start()) {
            String wrong = server.url().replace("nats://", "nats://swp:wrong@");
            IOException e = failsWithin(CONNECT_TIMEOUT.plus(SLACK), () -> NatsNetwork.connect(wrong, CONFIG));
            assertTrue(e.getMessage().toLowerCase().contains("author"), e.getMessage());
            assertTrue(!e.getMessage().contains("wrong") && e.getMessage().contains("swp:***@"),
                    "password redacted: " + e.getMessage());
            String anonymous = server.url();
            failsWithin(CONNECT_TIMEOUT.plus(SLACK), () -> NatsNetwork.connect(anonymous, CONFIG));
            // and the right password works, so the failures above were about credentials
            try (NatsNetwork ok = assertTimeoutQuietly(() -> NatsNetwork.connect(
                    server.url().replace("nats://", "nats://swp:right@"), CONFIG))) {
                assertEquals(io.nats.client.Connection.Status.CONNECTED, ok.connection().getStatus());
            }
        }
    }

    private static IOException failsWithin(Duration limit, Executable connect) {
        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class, connect);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(limit) <= 0, "failed after " + took + ", limit " + limit + ": " + e.getMessage());
        assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "has a message");
        System.out.println("connect failure after " + took.toMillis() + " ms: " + e.getMessage());
        return e;
    }

    private interface Connect {
        NatsNetwork open() throws IOException;
    }

    private static NatsNetwork assertTimeoutQuietly(Connect connect) {
        try {
            return connect.open();
        } catch (IOException e) {
            throw new AssertionError("the right credentials must connect", e);
        }
    }
}
