package io.swp.nats.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds or starts a NATS server for a test. The order, as the design fixes it:
 * <ol>
 *   <li>{@code NATS_URL}, if set: that server, used as is;</li>
 *   <li>a {@code nats-server} binary ({@code NATS_SERVER_BIN}, PATH, {@code /usr/sbin},
 *       {@code /usr/local/bin}), started on a free loopback port;</li>
 *   <li>Testcontainers with the {@code nats} image, when a Docker engine answers;</li>
 *   <li>otherwise the test is skipped (a JUnit assumption) naming what is missing, or,
 *       with {@code SWP_REQUIRE_NATS=1}, it fails.</li>
 * </ol>
 * Tests that must stop, kill or restart servers, or need special server arguments (TLS,
 * auth, clusters) use {@link #process()} or {@link #startCluster(int)}, which need the
 * binary.
 */
public final class NatsServers {
    /** Environment variable naming an existing server to use. */
    public static final String NATS_URL_ENV = "NATS_URL";
    /** Environment variable that turns a missing server from a skip into a failure. */
    public static final String REQUIRE_ENV = "SWP_REQUIRE_NATS";
    /** Environment variable naming the nats-server binary explicitly. */
    public static final String BINARY_ENV = "NATS_SERVER_BIN";
    private static final String BINARY_NAME = "nats-server";
    private static final List<String> EXTRA_BINARY_DIRS = List.of("/usr/sbin", "/usr/local/bin", "/usr/local/sbin");
    private static final Logger LOG = LoggerFactory.getLogger(NatsServers.class);

    private NatsServers() {
    }

    /**
     * @return a running server by the order above
     * @throws org.opentest4j.TestAbortedException if none can be had (test skipped)
     * @throws AssertionError if none can be had and {@code SWP_REQUIRE_NATS=1}
     */
    public static NatsTestServer start() {
        String external = System.getenv(NATS_URL_ENV);
        if (external != null && !external.isBlank()) {
            LOG.info("using the NATS server of {}: {}", NATS_URL_ENV, external);
            return new ExternalNatsServer(external.trim());
        }
        Optional<Path> binary = findBinary();
        if (binary.isPresent()) {
            NatsServerProcess server = NatsServerProcess.builder(binary.get()).start();
            LOG.info("started {} at {}", server.description(), server.url());
            return server;
        }
        String noDocker = DockerProbe.whyUnavailable();
        if (noDocker == null) {
            NatsContainerServer server = NatsContainerServer.start();
            LOG.info("started {} at {}", server.description(), server.url());
            return server;
        }
        throw unavailable("no NATS server: " + NATS_URL_ENV + " not set, no " + BINARY_NAME + " binary on PATH, and "
                + noDocker);
    }

    /**
     * @return a builder for a local nats-server process (TLS, auth, JetStream, …)
     * @throws org.opentest4j.TestAbortedException if there is no binary (test skipped)
     * @throws AssertionError if there is no binary and {@code SWP_REQUIRE_NATS=1}
     */
    public static NatsServerProcess.Builder process() {
        return NatsServerProcess.builder(requireBinary("this test configures the server itself"));
    }

    /**
     * Starts a fully meshed cluster of local nats-server processes.
     *
     * @param size the number of nodes, at least 2
     * @return the running cluster
     * @throws org.opentest4j.TestAbortedException if there is no binary (test skipped)
     */
    public static NatsCluster startCluster(int size) {
        if (size < 2) {
            throw new IllegalArgumentException("a cluster needs at least 2 nodes, was " + size);
        }
        Path binary = requireBinary("a cluster needs local nats-server processes");
        String clusterName = "swp-test-" + ProcessHandle.current().pid();
        List<NatsServerProcess> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < size; i++) {
                List<String> routes = nodes.stream().map(NatsServerProcess::routeUrl).toList();
                nodes.add(NatsServerProcess.builder(binary).name("node" + i).cluster(clusterName, routes).start());
            }
        } catch (RuntimeException e) {
            nodes.forEach(NatsServerProcess::close);
            throw e;
        }
        NatsCluster cluster = new NatsCluster(nodes);
        LOG.info("started a {}-node NATS cluster: {}", size, cluster.urls());
        return cluster;
    }

    /**
     * @return the nats-server binary: {@code NATS_SERVER_BIN}, else the first on PATH,
     *     else one in {@code /usr/sbin}, {@code /usr/local/bin} or {@code /usr/local/sbin}
     */
    public static Optional<Path> findBinary() {
        String explicit = System.getenv(BINARY_ENV);
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit.trim());
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(File.pathSeparator)));
        }
        dirs.addAll(EXTRA_BINARY_DIRS);
        for (String dir : dirs) {
            if (dir.isBlank()) {
                continue;
            }
            Path candidate = Path.of(dir, BINARY_NAME);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** @return whether {@code SWP_REQUIRE_NATS=1} (or {@code true}) is set */
    public static boolean required() {
        String v = System.getenv(REQUIRE_ENV);
        return v != null && (v.trim().equals("1") || v.trim().equalsIgnoreCase("true"));
    }

    private static Path requireBinary(String why) {
        return findBinary().orElseThrow(() -> unavailable(
                "no " + BINARY_NAME + " binary on PATH (or " + BINARY_ENV + "); " + why));
    }

    /**
     * @param message what is missing
     * @return the exception to throw: a failure if servers are required, else a skip
     */
    static RuntimeException unavailable(String message) {
        if (required()) {
            throw new AssertionError(message + " (and " + REQUIRE_ENV + "=1 requires one)");
        }
        Assumptions.abort(message + " (install nats-server, set " + NATS_URL_ENV + ", or run Docker)");
        return new IllegalStateException("unreachable");
    }
}
