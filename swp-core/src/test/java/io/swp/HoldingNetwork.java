package io.swp;

import io.swp.protocol.FrameCodec;
import io.swp.protocol.FrameKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A {@link DirectNetwork} (delivery on the sender's thread) that holds the frames sent to
 * one inbox, while asked to, until the test delivers them, and records which threads
 * sent DATA and ACKs.
 */
final class HoldingNetwork extends ForwardingNetwork {
    /** Session defaults under which no timer wakes a loop while a test runs. */
    static final SessionConfig QUIET = SessionConfig.builder().keepaliveInterval(Duration.ofSeconds(60))
            .maxRto(Duration.ofSeconds(60)).initialRto(Duration.ofSeconds(30)).minRto(Duration.ofSeconds(30)).build();

    /**
     * A connected pair on a {@link HoldingNetwork}: endpoints "server" and "client" with
     * {@link #QUIET} defaults, and a session between them.
     */
    record Pair(HoldingNetwork net, Endpoint server, Session client, Session accepted) { }

    /** A test body given a {@link Pair}. */
    interface PairBody {
        void run(Pair pair) throws Exception;
    }

    /** Runs {@code body} with a new connected pair, and closes it all afterwards. */
    static void withPair(PairBody body) throws Exception {
        withPair(QUIET, body);
    }

    /** Runs {@code body} with a new connected pair whose endpoints have {@code defaults}. */
    static void withPair(SessionConfig defaults, PairBody body) throws Exception {
        HoldingNetwork net = new HoldingNetwork();
        try (net; Endpoint server = Endpoint.open(net, "server", defaults);
             Endpoint client = Endpoint.open(net, "client", defaults)) {
            CompletableFuture<Session> accepted = server.acceptAsync();
            Session c = client.connect("server");
            body.run(new Pair(net, server, c, accepted.get(10, TimeUnit.SECONDS)));
        }
    }

    private final List<byte[]> held = new ArrayList<>();
    /** Names of the threads that sent DATA frames. */
    final Set<String> dataSenders = ConcurrentHashMap.newKeySet();
    /** Names of the threads that sent ACK frames. */
    final Set<String> ackSenders = ConcurrentHashMap.newKeySet();
    /** The inbox whose frames are held, or null. */
    volatile String heldInbox;

    @Override
    public void send(String inbox, byte[] frame) {
        try {
            FrameKind kind = FrameCodec.decode(frame).kind();
            if (kind == FrameKind.DATA) {
                dataSenders.add(Thread.currentThread().getName());
            } else if (kind == FrameKind.ACK) {
                ackSenders.add(Thread.currentThread().getName());
            }
        } catch (Exception e) {
            throw new AssertionError("the endpoint sent a frame it cannot decode", e);
        }
        if (inbox.equals(heldInbox)) {
            synchronized (held) {
                held.add(frame.clone());
            }
            return;
        }
        super.send(inbox, frame);
    }

    int heldCount() {
        synchronized (held) {
            return held.size();
        }
    }

    /** Stops holding, and takes the held frames. */
    private List<byte[]> takeHeld() {
        synchronized (held) {
            List<byte[]> frames = new ArrayList<>(held);
            held.clear();
            heldInbox = null;
            return frames;
        }
    }

    /**
     * Delivers every held frame as one burst, each but the last saying that more follow,
     * then ends the burst the way {@code end} names.
     */
    void releaseAsBurst(String end) {
        FrameHandler h = direct.handler(heldInbox);
        List<byte[]> burst = takeHeld();
        for (int i = 0; i < burst.size(); i++) {
            boolean last = i == burst.size() - 1;
            h.onFrame(burst.get(i), !last || !end.equals("last frame says so"));
        }
        switch (end) {
            case "last frame says so" -> { }
            case "a malformed frame ends it" -> h.onFrame(new byte[] {1, 2, 3}, false);
            case "onBurstEnd" -> h.onBurstEnd();
            default -> throw new IllegalArgumentException(end);
        }
    }
}
