package io.swp.nats.testing;

/** A server someone else runs, named by {@code NATS_URL}: used as is, never stopped. */
final class ExternalNatsServer implements NatsTestServer {
    private final String url;

    ExternalNatsServer(String url) {
        this.url = url;
    }

    @Override
    public String url() {
        return url;
    }

    @Override
    public String description() {
        return "NATS_URL=" + url;
    }

    @Override
    public boolean controllable() {
        return false;
    }

    @Override
    public void stop() {
        throw new UnsupportedOperationException("the server of NATS_URL is not controlled by the tests");
    }

    @Override
    public void kill() {
        stop();
    }

    @Override
    public void restart() {
        stop();
    }

    @Override
    public boolean isRunning() {
        return true;
    }

    @Override
    public void close() {
        // not ours to stop
    }
}
