package io.swp.nats.testing;

/** A server someone else runs, named by {@code NATS_URL}: used as is, never stopped. */
final class ExternalNatsServer extends UncontrolledNatsServer {
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
    String whyUncontrolled() {
        return "the server of NATS_URL is not controlled by the tests";
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
