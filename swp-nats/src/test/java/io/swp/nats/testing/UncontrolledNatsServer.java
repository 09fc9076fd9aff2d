package io.swp.nats.testing;

/**
 * A server the tests use but cannot stop and restart on the same port (one named by
 * {@code NATS_URL}, or a container): fault-injection tests skip on it.
 */
abstract class UncontrolledNatsServer implements NatsTestServer {

    /** @return why this server cannot be stopped or restarted by a test */
    abstract String whyUncontrolled();

    @Override
    public final boolean controllable() {
        return false;
    }

    @Override
    public final void stop() {
        throw new UnsupportedOperationException(whyUncontrolled());
    }

    @Override
    public final void kill() {
        stop();
    }

    @Override
    public final void restart() {
        stop();
    }
}
