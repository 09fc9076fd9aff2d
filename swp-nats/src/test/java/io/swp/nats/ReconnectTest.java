package io.swp.nats;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.swp.nats.testing.NatsCluster;
import io.swp.nats.testing.NatsServerProcess;
import io.swp.nats.testing.NatsServers;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * NatsNetwork across a server restart and a cluster node failure: sends while
 * disconnected neither throw nor hang, and delivery resumes after jnats reconnects.
 */
class ReconnectTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration DELIVERY_WAIT = Duration.ofSeconds(20);
    private static final NatsNetworkConfig CONFIG = NatsNetworkConfig.builder()
            .reconnectWait(Duration.ofMillis(100))
            .reconnectBufferBytes(64 * 1024)
            .build();

    @Test
    void serverRestartStallsThenResumes() throws Exception {
        try (NatsServerProcess server = NatsServers.process().start();
                NatsNetwork sender = NatsNetwork.connect(server.url(), CONFIG);
                NatsNetwork receiver = NatsNetwork.connect(server.url(), CONFIG)) {
            Set<Integer> received = ConcurrentHashMap.newKeySet();
            receiver.bind("swp.restart", frame -> received.add(ByteBuffer.wrap(frame).getInt()));
            receiver.connection().flush(Duration.ofSeconds(5));
            sender.send("swp.restart", frame(0, 16));
            await("frame before the restart").atMost(WAIT).until(() -> received.contains(0));

            server.kill();
            await("sender notices").atMost(WAIT)
                    .until(() -> sender.connection().getStatus() != Connection.Status.CONNECTED);
            // While the server is gone: frames fill the small reconnect buffer, then are dropped, never thrown.
            int whileDown = 200;
            for (int i = 1; i <= whileDown; i++) {
                sender.send("swp.restart", frame(i, 4 * 1024));
            }
            assertTrue(sender.sendDrops() > 0, "a full reconnect buffer drops frames (counted): " + sender.sendDrops());

            server.restart();
            await("both reconnect").atMost(WAIT).until(() -> sender.events().orElseThrow().reconnects() >= 1
                    && receiver.events().orElseThrow().reconnects() >= 1);
            int marker = 1_000_000;
            awaitDelivery(sender, "swp.restart", received, marker);
            assertTrue(sender.events().orElseThrow().disconnects() >= 1, "the disconnect was counted");
            System.out.printf("server restart: %d frames sent while down, %d dropped on send, %d arrived%n", whileDown,
                    sender.sendDrops(), received.size());
        }
    }

    @Test
    void killingTheSendersClusterNodeFailsOverToAnother() throws Exception {
        try (NatsCluster cluster = NatsServers.startCluster(3);
                NatsNetwork sender = NatsNetwork.connect(cluster.urls(), CONFIG)) {
            NatsServerProcess senderNode = cluster.nodeAt(sender.connection().getConnectedUrl());
            NatsServerProcess receiverNode = cluster.nodes().stream().filter(n -> n != senderNode).findFirst().orElseThrow();
            try (NatsNetwork receiver = NatsNetwork.connect(receiverNode.url(), CONFIG)) {
                Set<Integer> received = ConcurrentHashMap.newKeySet();
                receiver.bind("swp.failover", frame -> received.add(ByteBuffer.wrap(frame).getInt()));
                awaitDelivery(sender, "swp.failover", received, 1);

                senderNode.kill();
                for (int i = 2; i < 50; i++) {
                    sender.send("swp.failover", frame(i, 1024)); // must not throw while failing over
                }
                await("sender reconnected to a surviving node").atMost(WAIT)
                        .until(() -> sender.connection().getStatus() == Connection.Status.CONNECTED
                                && !sender.connection().getConnectedUrl().endsWith(":" + senderNode.clientPort()));
                awaitDelivery(sender, "swp.failover", received, 1_000_000);
                System.out.printf("cluster failover: sender moved from %s to %s%n", senderNode.url(),
                        sender.connection().getConnectedUrl());
            }
        }
    }

    /** Sends a marker frame every 100 ms until it arrives (route interest propagates asynchronously). */
    private static void awaitDelivery(NatsNetwork sender, String inbox, Set<Integer> received, int marker) {
        await("frame " + marker + " arrives at " + inbox).atMost(DELIVERY_WAIT).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(100)).until(() -> {
                    if (received.contains(marker)) {
                        return true;
                    }
                    sender.send(inbox, frame(marker, 16));
                    return false;
                });
    }

    private static byte[] frame(int id, int size) {
        return ByteBuffer.allocate(Math.max(Integer.BYTES, size)).putInt(id).array();
    }
}
