package io.swp.examples.cli;

import picocli.CommandLine.Option;

/** The options {@code send} and {@code recv} share: which bus, and how much loss to inject. */
final class BusOptions {

    @Option(names = "--server", required = true, paramLabel = "URL",
            description = "NATS URL, or comma-separated URLs of a cluster (e.g. nats://127.0.0.1:4222).")
    String server;

    @Option(names = "--loss", defaultValue = "0", paramLabel = "P",
            description = "Drop this fraction of our frames, both directions (demonstrations, tests). Default: 0.")
    double loss;

    /** Checks what picocli cannot; a failure is a usage error. */
    void validate() {
        Checks.probability("--loss", loss);
    }
}
