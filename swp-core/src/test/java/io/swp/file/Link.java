package io.swp.file;

import io.swp.DirectNetwork;
import io.swp.Endpoint;
import io.swp.Session;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Two endpoints, "sender" and "receiver", on an in-process network that delivers each
 * frame on the sending thread (swp-core cannot use swp-sim's networks), and sessions
 * between them.
 */
final class Link implements AutoCloseable {
    final DirectNetwork net = new DirectNetwork();
    final Endpoint receiverEndpoint;
    final Endpoint senderEndpoint;

    /** A connected pair of sessions. */
    record Pair(Session sender, Session receiver) implements AutoCloseable {
        @Override
        public void close() {
            sender.abort();
            receiver.abort();
        }
    }

    Link() throws IOException {
        receiverEndpoint = Endpoint.open(net, "receiver");
        senderEndpoint = Endpoint.open(net, "sender");
    }

    /** @return a new pair of sessions, the receiver's accepted */
    Pair pair() throws Exception {
        CompletableFuture<Session> accepted = CompletableFuture.supplyAsync(() -> {
            try {
                return receiverEndpoint.accept(Duration.ofSeconds(20));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Session s = senderEndpoint.connect("receiver");
        return new Pair(s, accepted.get(20, TimeUnit.SECONDS));
    }

    @Override
    public void close() {
        senderEndpoint.close();
        receiverEndpoint.close();
        net.close();
    }
}
