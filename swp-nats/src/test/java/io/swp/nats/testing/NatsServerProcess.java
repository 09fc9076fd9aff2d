package io.swp.nats.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A {@code nats-server} process started by the tests on loopback. The first start picks
 * free ports ({@code -p -1}, read back from {@code --ports_file_dir}); restarts reuse
 * them, so clients reconnect to the same URL. Output goes to {@code server.log} in the
 * server's temporary directory, which {@link #close()} removes.
 */
public final class NatsServerProcess implements NatsTestServer {
    /** How long a start may take before it counts as failed. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(20);
    private static final String LOOPBACK = "127.0.0.1";
    private static final String RANDOM_PORT = "-1";
    private static final Pattern PORTS_ENTRY = Pattern.compile("\"(nats|cluster)\":\\[\"[a-z]+://[^\"]*:(\\d+)\"");
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        // A test JVM that dies mid-test must not leave servers behind.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "nats-server-reaper"));
    }

    private final Path binary;
    private final String name;
    private final Path workDir;
    private final List<String> extraArgs;
    private final String clusterName;
    private final List<String> routes;
    private final boolean jetStream;
    private volatile Process process;
    private volatile int clientPort = -1;
    private volatile int clusterPort = -1;

    private NatsServerProcess(Builder b) throws IOException {
        this.binary = b.binary;
        this.name = b.name;
        this.extraArgs = List.copyOf(b.extraArgs);
        this.clusterName = b.clusterName;
        this.routes = List.copyOf(b.routes);
        this.jetStream = b.jetStream;
        this.workDir = Files.createTempDirectory("swp-nats-" + name + "-");
    }

    /**
     * @param binary the nats-server executable
     * @return a builder for a server that is started by {@link Builder#start()}
     */
    public static Builder builder(Path binary) {
        return new Builder(binary);
    }

    @Override
    public String url() {
        if (clientPort < 0) {
            throw new IllegalStateException("server " + name + " was never started");
        }
        return "nats://" + LOOPBACK + ":" + clientPort;
    }

    /** @return the client port */
    public int clientPort() {
        return clientPort;
    }

    /** @return the route (cluster) URL, for other nodes' {@code --routes} */
    public String routeUrl() {
        if (clusterPort < 0) {
            throw new IllegalStateException("server " + name + " is not clustered");
        }
        return "nats://" + LOOPBACK + ":" + clusterPort;
    }

    /** @return the node's name */
    public String name() {
        return name;
    }

    /** @return the server's temporary directory (config files, log, JetStream store) */
    public Path workDir() {
        return workDir;
    }

    /** @return the server's output so far */
    public String log() {
        try {
            Path log = workDir.resolve("server.log");
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    @Override
    public String description() {
        return "nats-server " + binary + " (" + name + ")";
    }

    @Override
    public boolean controllable() {
        return true;
    }

    @Override
    public boolean isRunning() {
        Process p = process;
        return p != null && p.isAlive();
    }

    @Override
    public void stop() {
        terminate(false);
    }

    @Override
    public void kill() {
        terminate(true);
    }

    @Override
    public synchronized void restart() {
        if (isRunning()) {
            throw new IllegalStateException("server " + name + " is still running");
        }
        launch();
    }

    @Override
    public void close() {
        terminate(true);
        try (Stream<Path> files = Files.walk(workDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp directory left behind is harmless
        }
    }

    private synchronized void terminate(boolean forcibly) {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        if (forcibly) {
            p.destroyForcibly();
        } else {
            p.destroy();
        }
        try {
            if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
        LIVE.remove(p);
    }

    private List<String> command(Path portsDir) {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary.toString());
        cmd.addAll(List.of("-a", LOOPBACK, "-p", clientPort < 0 ? RANDOM_PORT : Integer.toString(clientPort)));
        cmd.addAll(List.of("-n", name, "--ports_file_dir", portsDir.toString()));
        if (clusterName != null) {
            String port = clusterPort < 0 ? RANDOM_PORT : Integer.toString(clusterPort);
            cmd.addAll(List.of("--cluster_name", clusterName, "--cluster", "nats://" + LOOPBACK + ":" + port));
            if (!routes.isEmpty()) {
                cmd.addAll(List.of("--routes", String.join(",", routes)));
            }
        }
        if (jetStream) {
            cmd.addAll(List.of("-js", "-sd", workDir.resolve("jetstream").toString()));
        }
        cmd.addAll(extraArgs);
        return cmd;
    }

    private synchronized void launch() {
        try {
            Path portsDir = Files.createDirectories(workDir.resolve("ports"));
            try (Stream<Path> old = Files.list(portsDir)) {
                old.forEach(p -> p.toFile().delete());
            }
            Path log = workDir.resolve("server.log");
            ProcessBuilder pb = new ProcessBuilder(command(portsDir)).directory(workDir.toFile())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            Process p = pb.start();
            LIVE.add(p);
            process = p;
            awaitReady(p, portsDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + description() + ": " + e.getMessage(), e);
        }
    }

    private void awaitReady(Process p, Path portsDir) {
        try {
            // In this thread: launch() holds this object's monitor while it waits.
            await("nats-server " + name + " ready").atMost(START_TIMEOUT).pollInSameThread()
                    .pollDelay(Duration.ZERO).pollInterval(POLL_INTERVAL).until(() -> {
                        if (!p.isAlive()) {
                            LIVE.remove(p);
                            throw new IllegalStateException("nats-server " + name + " exited with " + p.exitValue()
                                    + " while starting:\n" + tail(log()));
                        }
                        Path portsFile = findPortsFile(portsDir, p.pid());
                        return portsFile != null && readPorts(portsFile) && accepts(clientPort);
                    });
        } catch (ConditionTimeoutException e) {
            p.destroyForcibly();
            LIVE.remove(p);
            throw new IllegalStateException("nats-server " + name + " not ready within " + START_TIMEOUT + ":\n"
                    + tail(log()), e);
        }
    }

    private static Path findPortsFile(Path dir, long pid) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith("_" + pid + ".ports")).findFirst()
                    .orElse(null);
        }
    }

    private boolean readPorts(Path portsFile) throws IOException {
        String json = Files.readString(portsFile, StandardCharsets.UTF_8);
        Matcher m = PORTS_ENTRY.matcher(json);
        int client = -1;
        int cluster = -1;
        while (m.find()) {
            int port = Integer.parseInt(m.group(2));
            if (m.group(1).equals("nats")) {
                client = port;
            } else {
                cluster = port;
            }
        }
        if (client < 0 || (clusterName != null && cluster < 0)) {
            return false; // written but not complete yet
        }
        clientPort = client;
        if (clusterName != null) {
            clusterPort = cluster;
        }
        return true;
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(LOOPBACK, port), (int) POLL_INTERVAL.toMillis() * 10);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String tail(String log) {
        int keep = 4000;
        return log.length() <= keep ? log : "…" + log.substring(log.length() - keep);
    }

    @Override
    public String toString() {
        return "NatsServerProcess{" + name + ", " + (clientPort < 0 ? "not started" : url()) + ", "
                + (isRunning() ? "running" : "stopped") + "}";
    }

    /** Configures and starts a {@link NatsServerProcess}. */
    public static final class Builder {
        private final Path binary;
        private String name = "swp-test";
        private final List<String> extraArgs = new ArrayList<>();
        private String clusterName;
        private final List<String> routes = new ArrayList<>();
        private boolean jetStream;

        private Builder(Path binary) {
            this.binary = binary;
        }

        /**
         * @param nodeName the server name ({@code -n}); default {@code swp-test}
         * @return this builder
         */
        public Builder name(String nodeName) {
            this.name = nodeName;
            return this;
        }

        /**
         * @param args further nats-server arguments, e.g. {@code "-c", "/path/server.conf"}
         * @return this builder
         */
        public Builder args(String... args) {
            extraArgs.addAll(List.of(args));
            return this;
        }

        /**
         * Makes the server a cluster node with a route listener on a free port.
         *
         * @param cluster the cluster name
         * @param routeUrls route URLs of nodes already running
         * @return this builder
         */
        public Builder cluster(String cluster, List<String> routeUrls) {
            this.clusterName = cluster;
            this.routes.addAll(routeUrls);
            return this;
        }

        /**
         * Enables JetStream with a store in the server's temporary directory.
         *
         * @return this builder
         */
        public Builder jetStream() {
            this.jetStream = true;
            return this;
        }

        /**
         * Starts the server and waits until it accepts clients.
         *
         * @return the running server
         * @throws IllegalStateException with the server's log if it does not come up
         */
        public NatsServerProcess start() {
            NatsServerProcess server;
            try {
                server = new NatsServerProcess(this);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a directory for nats-server", e);
            }
            try {
                server.launch();
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
            return server;
        }
    }
}
