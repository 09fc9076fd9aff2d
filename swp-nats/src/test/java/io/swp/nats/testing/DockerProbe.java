package io.swp.nats.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Answers "is there a Docker engine?" without hanging and without Testcontainers' error
 * stack traces: Testcontainers is asked only when a Docker socket or {@code DOCKER_HOST}
 * exists, and then with a time limit.
 */
final class DockerProbe {
    private static final long PROBE_TIMEOUT_SECONDS = 20;
    private static final String UNIX_SCHEME = "unix://";

    private DockerProbe() {
    }

    /** @return null if Docker is usable, else why not */
    static String whyUnavailable() {
        String dockerHost = System.getenv("DOCKER_HOST");
        if (dockerHost != null && dockerHost.startsWith(UNIX_SCHEME)
                && !Files.exists(Path.of(dockerHost.substring(UNIX_SCHEME.length())))) {
            return "no Docker engine (DOCKER_HOST=" + dockerHost + " does not exist)";
        }
        boolean hinted = dockerHost != null
                || Files.exists(Path.of("/var/run/docker.sock"))
                || Files.exists(Path.of(System.getProperty("user.home"), ".docker", "run", "docker.sock"))
                || Files.exists(Path.of(System.getProperty("user.home"), ".testcontainers.properties"));
        if (!hinted) {
            return "no Docker engine (no DOCKER_HOST, no /var/run/docker.sock)";
        }
        ExecutorService probe = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "docker-probe");
            t.setDaemon(true);
            return t;
        });
        try {
            Future<Boolean> available = probe.submit(DockerProbe::askTestcontainers);
            return available.get(PROBE_TIMEOUT_SECONDS, TimeUnit.SECONDS) ? null
                    : "Testcontainers found no working Docker engine";
        } catch (TimeoutException e) {
            return "Docker engine did not answer within " + PROBE_TIMEOUT_SECONDS + " s";
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            return cause instanceof LinkageError ? "Testcontainers is not on the test class path"
                    : "Docker probe failed: " + cause;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while probing Docker";
        } finally {
            probe.shutdownNow();
        }
    }

    private static boolean askTestcontainers() {
        return org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
    }
}
