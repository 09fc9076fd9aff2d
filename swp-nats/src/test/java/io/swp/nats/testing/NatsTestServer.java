package io.swp.nats.testing;

/**
 * A NATS server a test talks to. Local processes can be stopped, killed and restarted on
 * the same port; a server given by {@code NATS_URL} or a container cannot
 * ({@link #controllable()} says which).
 */
public interface NatsTestServer extends AutoCloseable {
    /** @return the client URL, e.g. {@code nats://127.0.0.1:40123} */
    String url();

    /** @return where the server came from, for messages ("nats-server 2.9.10 on PATH", …) */
    String description();

    /** @return whether {@link #stop()}, {@link #kill()} and {@link #restart()} work */
    boolean controllable();

    /**
     * Stops the server gracefully (SIGTERM) and waits for it to exit.
     *
     * @throws UnsupportedOperationException if not {@link #controllable()}
     */
    void stop();

    /**
     * Kills the server abruptly (SIGKILL), like a crash, and waits for it to exit.
     *
     * @throws UnsupportedOperationException if not {@link #controllable()}
     */
    void kill();

    /**
     * Starts the server again on the same ports and waits until it accepts clients.
     *
     * @throws UnsupportedOperationException if not {@link #controllable()}
     */
    void restart();

    /** @return whether the server is running */
    boolean isRunning();

    /** Stops the server (if this fixture started it) and removes its files. */
    @Override
    void close();
}
