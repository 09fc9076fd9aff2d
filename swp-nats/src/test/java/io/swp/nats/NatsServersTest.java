package io.swp.nats;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.swp.nats.testing.NatsServerProcess;
import io.swp.nats.testing.NatsServers;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The test fixture itself: JetStream, restart on the same port, clean-up, bad arguments. */
class NatsServersTest {

    @Test
    @SuppressWarnings("try") // jnats' Connection.close() declares InterruptedException
    void jetStreamServerRestartsOnTheSamePortAndCleansUp() throws Exception {
        Path workDir;
        try (NatsServerProcess server = NatsServers.process().jetStream().start()) {
            workDir = server.workDir();
            String url = server.url();
            try (Connection c = Nats.connect(url)) {
                assertTrue(c.getServerInfo().isJetStreamAvailable(), "JetStream enabled");
            }
            server.stop();
            assertFalse(server.isRunning());
            server.restart();
            assertEquals(url, server.url(), "same port after restart");
            try (Connection c = Nats.connect(url)) {
                assertEquals(Connection.Status.CONNECTED, c.getStatus());
            }
            assertThrows(IllegalStateException.class, server::restart, "cannot start a running server twice");
        }
        assertFalse(Files.exists(workDir), "temporary directory removed");
    }

    @Test
    void aServerThatCannotStartFailsWithItsLog() {
        // Needs a binary to misconfigure; without one the fixture skips (or fails when
        // SWP_REQUIRE_NATS=1), which the other tests of this class show.
        assumeTrue(NatsServers.findBinary().isPresent() || NatsServers.required(),
                "no nats-server binary on PATH (or NATS_SERVER_BIN) to start with a bad flag");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> NatsServers.process().args("--no-such-flag").start());
        assertTrue(e.getMessage().contains("no-such-flag"), e.getMessage());
    }

    @Test
    @SuppressWarnings("try") // jnats' Connection.close() declares InterruptedException
    void clusterNodeRestartsAndRejoinsTheRoutes() throws Exception {
        try (var cluster = NatsServers.startCluster(2)) {
            assertEquals(cluster.node(1), cluster.nodeAt(cluster.node(1).url()));
            assertThrows(IllegalArgumentException.class, () -> cluster.nodeAt("nats://127.0.0.1:1"));
            assertEquals(2, cluster.urls().split(",").length);

            cluster.node(0).kill();
            cluster.node(0).restart();
            // A subscriber on the restarted first node hears a publisher on the second one
            // once the route is back: the first node has no routes of its own, so this
            // proves the others re-solicit it.
            try (Connection sub = Nats.connect(cluster.node(0).url()); Connection pub = Nats.connect(cluster.node(1).url())) {
                var subscription = sub.subscribe("fixture.route");
                sub.flush(java.time.Duration.ofSeconds(5));
                // Publish until one arrives; each poll waits up to 100 ms for the message.
                await("routes re-formed after the restart").atMost(java.time.Duration.ofSeconds(20))
                        .pollDelay(java.time.Duration.ZERO).pollInterval(java.time.Duration.ofMillis(1))
                        .until(() -> {
                            pub.publish("fixture.route", new byte[] {1});
                            return subscription.nextMessage(java.time.Duration.ofMillis(100)) != null;
                        });
            }
        }
    }
}
