package io.swp.nats;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.swp.Endpoint;
import io.swp.nats.testing.NatsCluster;
import io.swp.nats.testing.NatsServerProcess;
import io.swp.nats.testing.NatsServers;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** swp sessions survive the NATS server going away mid-transfer: they stall, then complete. */
class SessionFailoverTest {
    private static final long MIB = 1024 * 1024;
    private static final long TRANSFER_BYTES = 64 * MIB;
    private static final long FAULT_AT_BYTES = 16 * MIB;
    private static final Duration OUTAGE_WAIT = Duration.ofSeconds(20);
    private static final NatsNetworkConfig CONFIG = NatsNetworkConfig.builder().reconnectWait(Duration.ofMillis(100)).build();

    @Test
    void serverKilledAndRestartedMidTransferCompletes() throws Exception {
        try (NatsServerProcess server = NatsServers.process().start();
                NatsNetwork a = NatsNetwork.connect(server.url(), CONFIG);
                NatsNetwork b = NatsNetwork.connect(server.url(), CONFIG);
                Endpoint sender = Endpoint.open(a, "swp.it.restart.sender");
                Endpoint receiver = Endpoint.open(b, "swp.it.restart.receiver")) {
            Fault fault = new Fault(() -> {
                server.kill();
                await("sender sees the outage").atMost(OUTAGE_WAIT)
                        .until(() -> a.connection().getStatus() != Connection.Status.CONNECTED);
                server.restart();
            });
            Transfers.Result r = Transfers.stream(sender, receiver, TRANSFER_BYTES, 5, fault::atProgress);
            System.out.printf("server restart mid-transfer: %s; disconnects %d, reconnects %d, send drops %d%n", r,
                    a.events().orElseThrow().disconnects(), a.events().orElseThrow().reconnects(), a.sendDrops());
            assertTrue(fault.happened(), "the server was restarted during the transfer");
            assertTrue(r.identical(), r.toString());
            assertTrue(a.events().orElseThrow().reconnects() >= 1, "the sender reconnected");
        }
    }

    @Test
    void killingTheSendersClusterNodeMidTransferCompletes() throws Exception {
        try (NatsCluster cluster = NatsServers.startCluster(3);
                NatsNetwork a = NatsNetwork.connect(cluster.urls(), CONFIG)) {
            NatsServerProcess senderNode = cluster.nodeAt(a.connection().getConnectedUrl());
            NatsServerProcess receiverNode = cluster.nodes().stream().filter(n -> n != senderNode).findFirst().orElseThrow();
            try (NatsNetwork b = NatsNetwork.connect(receiverNode.url(), CONFIG);
                    Endpoint sender = Endpoint.open(a, "swp.it.cluster.sender");
                    Endpoint receiver = Endpoint.open(b, "swp.it.cluster.receiver")) {
                Fault fault = new Fault(senderNode::kill);
                Transfers.Result r = Transfers.stream(sender, receiver, TRANSFER_BYTES, 6, fault::atProgress);
                    System.out.printf("cluster node %s killed mid-transfer, sender moved to %s: %s%n", senderNode.url(),
                        a.connection().getConnectedUrl(), r);
                assertTrue(fault.happened(), "the node was killed during the transfer");
                assertTrue(r.identical(), r.toString());
                assertTrue(!a.connection().getConnectedUrl().endsWith(":" + senderNode.clientPort()),
                        "the sender failed over to another node");
            }
        }
    }

    /**
     * Runs a fault once when the receiver passes FAULT_AT_BYTES, on the reading thread, so
     * it certainly happens mid-transfer (the sender keeps sending into the outage until
     * its window closes).
     */
    private static final class Fault {
        private final Runnable action;
        private boolean ran;

        Fault(Runnable action) {
            this.action = action;
        }

        void atProgress(long receivedBytes) {
            if (!ran && receivedBytes >= FAULT_AT_BYTES && receivedBytes < TRANSFER_BYTES) {
                ran = true;
                action.run();
            }
        }

        boolean happened() {
            return ran;
        }
    }
}
