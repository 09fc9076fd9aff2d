package io.swp.file;

import io.swp.Endpoint;
import io.swp.Network;
import io.swp.Session;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Two endpoints, "sender" and "receiver", on an in-process network that delivers each
 * frame on the sending thread (swp-core cannot use swp-sim's networks), and sessions
 * between them.
 */
final class Link implements AutoCloseable {
    final Net net = new Net();
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

    /** Delivers each frame to the bound handler on the sender's thread. */
    static final class Net implements Network {
        private final Map<String, FrameHandler> handlers = new ConcurrentHashMap<>();

        @Override
        public InboxBinding bind(String inbox, FrameHandler handler) throws IOException {
            if (handlers.putIfAbsent(inbox, handler) != null) {
                throw new IOException("inbox " + inbox + " already bound");
            }
            return new InboxBinding() {
                @Override
                public String inbox() {
                    return inbox;
                }

                @Override
                public void close() {
                    handlers.remove(inbox, handler);
                }
            };
        }

        @Override
        public void send(String inbox, byte[] frame) {
            FrameHandler h = handlers.get(inbox);
            if (h != null) {
                h.onFrame(frame.clone());
            }
        }

        @Override
        public int maxFrameSize() {
            return 64 * 1024;
        }

        @Override
        public void close() {
            handlers.clear();
        }
    }
}
