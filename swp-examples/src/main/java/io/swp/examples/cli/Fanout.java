package io.swp.examples.cli;

import io.swp.fanout.FanoutConfig;

/** Fan-out settings the CLI options ask for. */
final class Fanout {
    private Fanout() {
    }

    /**
     * --peer-timeout bounds both a silent subscriber (dropped by the publisher) and a
     * silent publisher (the subscription fails).
     */
    static FanoutConfig config(BusOptions bus) {
        long peer = bus.peerTimeout.toNanos();
        return FanoutConfig.builder().deadReceiverNanos(peer).silentPublisherNanos(peer).build();
    }
}
