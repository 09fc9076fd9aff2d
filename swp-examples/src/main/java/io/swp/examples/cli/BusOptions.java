package io.swp.examples.cli;

import io.swp.SessionConfig;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The options {@code send} and {@code recv} share: which bus, how much loss to inject, and
 * how soon a silent peer counts as gone.
 */
final class BusOptions {
    /** The session default: 1 s keepalives, 50 of them unanswered. */
    static final Duration DEFAULT_PEER_TIMEOUT = Duration.ofSeconds(50);
    private static final Duration KEEPALIVE = Duration.ofSeconds(1);
    private static final int MIN_KEEPALIVES = 4;

    @Option(names = "--server", required = true, paramLabel = "URL",
            description = "NATS URL, or comma-separated URLs of a cluster (e.g. nats://127.0.0.1:4222).")
    String server;

    @Option(names = "--loss", defaultValue = "0", paramLabel = "P",
            description = "Drop this fraction of our frames, both directions (demonstrations, tests; 0..0.5, "
                    + "waits to connect and close grow with it). Default: 0.")
    double loss;

    @Option(names = "--loss-seed", paramLabel = "N",
            description = "Seed of the --loss decisions, to repeat a run exactly. Default: a new one each run.")
    Long lossSeed;

    @Option(names = "--peer-timeout", defaultValue = "50s", paramLabel = "DURATION", converter = Durations.Converter.class,
            description = "A session whose peer stays silent this long fails (keepalives go out every second, "
                    + "or four times within this); for publish and subscribe, a silent subscriber is dropped and "
                    + "a silent publisher fails the subscription. Default: ${DEFAULT-VALUE}.")
    Duration peerTimeout;

    /** Checks what picocli cannot; a failure is a usage error. */
    void validate() {
        InjectedLoss.check("--loss", loss);
        if (peerTimeout.compareTo(Duration.ofMillis(100)) < 0) {
            throw new SwpCli.UsageException("--peer-timeout must be at least 100ms, got " + Durations.format(peerTimeout));
        }
    }

    /** @return the seed of the injected loss: the one given, or a new one */
    long lossSeed() {
        return lossSeed != null ? lossSeed : System.nanoTime();
    }

    /**
     * @return the session settings these options ask for, with the connect and close
     *     timeouts stretched for the injected loss ({@link InjectedLoss})
     */
    SessionConfig sessionConfig() {
        Duration keepalive = KEEPALIVE;
        if (peerTimeout.compareTo(KEEPALIVE.multipliedBy(MIN_KEEPALIVES)) < 0) {
            keepalive = peerTimeout.dividedBy(MIN_KEEPALIVES);
        }
        int keepalives = (int) Math.max(1, (peerTimeout.toMillis() + keepalive.toMillis() - 1) / keepalive.toMillis());
        return InjectedLoss.stretch(SessionConfig.builder().keepaliveInterval(keepalive)
                .failedKeepalivesBeforeClose(keepalives).build(), loss);
    }
}
