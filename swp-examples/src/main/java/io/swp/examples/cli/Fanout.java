package io.swp.examples.cli;

import io.swp.fanout.FanoutConfig;

/** Fan-out settings the CLI options ask for. */
final class Fanout {
    private Fanout() {
    }

    /**
     * --peer-timeout bounds both a silent subscriber (dropped by the publisher) and a
     * silent publisher (the subscription fails); status reports and idle heartbeats go out
     * at least four times within it, so a live peer is never taken for a silent one.
     */
    static FanoutConfig config(BusOptions bus) {
        long peer = bus.peerTimeout.toNanos();
        FanoutConfig d = FanoutConfig.DEFAULTS;
        return d.toBuilder().deadReceiverNanos(peer).silentPublisherNanos(peer)
                .statusIntervalNanos(Math.min(d.statusIntervalNanos(), peer / 4))
                .heartbeatMaxNanos(Math.max(d.heartbeatMinNanos(), Math.min(d.heartbeatMaxNanos(), peer / 4)))
                .build();
    }
}
