package io.swp.nats.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A cluster of local nats-server processes on loopback, fully meshed by routes. Each
 * node can be stopped, killed and restarted on its own ports.
 */
public final class NatsCluster implements AutoCloseable {
    private final List<NatsServerProcess> nodes;

    NatsCluster(List<NatsServerProcess> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    /** @return the nodes, in start order */
    public List<NatsServerProcess> nodes() {
        return nodes;
    }

    /**
     * @param index the node's position, from 0
     * @return that node
     */
    public NatsServerProcess node(int index) {
        return nodes.get(index);
    }

    /** @return every node's client URL, comma-separated (what {@code NatsNetwork.connect} takes) */
    public String urls() {
        return nodes.stream().map(NatsServerProcess::url).collect(Collectors.joining(","));
    }

    /**
     * @param url a client URL a connection reports (jnats' {@code getConnectedUrl()})
     * @return the node serving it
     * @throws IllegalArgumentException if no node has that URL
     */
    public NatsServerProcess nodeAt(String url) {
        for (NatsServerProcess node : nodes) {
            if (url != null && url.endsWith(":" + node.clientPort())) {
                return node;
            }
        }
        throw new IllegalArgumentException("no node of this cluster serves " + url + " (nodes: " + urls() + ")");
    }

    @Override
    public void close() {
        List<RuntimeException> failures = new ArrayList<>();
        for (NatsServerProcess node : nodes) {
            try {
                node.close();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        if (!failures.isEmpty()) {
            throw failures.get(0);
        }
    }

    @Override
    public String toString() {
        return "NatsCluster" + nodes;
    }
}
