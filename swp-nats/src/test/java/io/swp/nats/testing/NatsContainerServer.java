package io.swp.nats.testing;

import java.time.Duration;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The official {@code nats} image under Testcontainers. Loaded only after a Docker engine
 * has been found, so modules without Testcontainers on their test class path never touch
 * these classes.
 */
final class NatsContainerServer extends UncontrolledNatsServer {
    /** The image used when no {@code nats-server} binary is installed. */
    static final String IMAGE = "nats:2.10";
    private static final int CLIENT_PORT = 4222;
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

    private final GenericContainer<?> container;

    private NatsContainerServer(GenericContainer<?> container) {
        this.container = container;
    }

    static NatsContainerServer start() {
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(IMAGE))
                .withExposedPorts(CLIENT_PORT)
                .withCommand("-js")
                .waitingFor(Wait.forLogMessage(".*Server is ready.*", 1).withStartupTimeout(STARTUP_TIMEOUT));
        container.start();
        return new NatsContainerServer(container);
    }

    @Override
    public String url() {
        return "nats://" + container.getHost() + ":" + container.getMappedPort(CLIENT_PORT);
    }

    @Override
    public String description() {
        return "Testcontainers " + IMAGE;
    }

    @Override
    String whyUncontrolled() {
        return "a containerised server is not restartable on the same port here";
    }

    @Override
    public boolean isRunning() {
        return container.isRunning();
    }

    @Override
    public void close() {
        container.stop();
    }
}
