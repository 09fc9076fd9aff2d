package io.swp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.protocol.CloseReason;
import io.swp.protocol.FrameCodec;
import io.swp.protocol.FrameKind;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A thread that brings an endpoint work while its loop is idle (a network thread with
 * frames, a writer with bytes) runs the step itself; the application's futures still
 * complete on the loop thread only.
 */
class StepOnCallerThreadTest {
    /** No timer wakes a loop while a test runs. */
    private static final SessionConfig QUIET = SessionConfig.builder().keepaliveInterval(Duration.ofSeconds(60))
            .maxRto(Duration.ofSeconds(60)).initialRto(Duration.ofSeconds(30)).minRto(Duration.ofSeconds(30)).build();

    /**
     * Delivers on the sender's thread and records which threads sent DATA; holds frames
     * for one inbox, while asked to, until the test delivers them itself.
     */
    private static final class RecordingNetwork implements Network {
        private final DirectNetwork direct = new DirectNetwork();
        final Set<String> dataSenders = ConcurrentHashMap.newKeySet();
        private final List<byte[]> held = new CopyOnWriteArrayList<>();
        volatile String heldInbox;

        /** Delivers the held frames on the calling thread. */
        void release() {
            String inbox = heldInbox;
            heldInbox = null;
            for (byte[] f : held) {
                direct.send(inbox, f);
            }
            held.clear();
        }

        @Override
        public InboxBinding bind(String inbox, FrameHandler handler) throws IOException {
            return direct.bind(inbox, handler);
        }

        @Override
        public void send(String inbox, byte[] frame) {
            try {
                if (FrameCodec.decode(frame).kind() == FrameKind.DATA) {
                    dataSenders.add(Thread.currentThread().getName());
                }
            } catch (Exception e) {
                throw new AssertionError("the endpoint sent a frame it cannot decode", e);
            }
            if (inbox.equals(heldInbox)) {
                held.add(frame);
                return;
            }
            direct.send(inbox, frame);
        }

        @Override
        public int maxFrameSize() {
            return direct.maxFrameSize();
        }

        @Override
        public void close() {
            direct.close();
        }
    }

    @Test
    void aWriteWhileTheLoopIsIdleIsSentByTheWritingThread() throws Exception {
        RecordingNetwork net = new RecordingNetwork();
        try (net; Endpoint server = Endpoint.open(net, "server", QUIET);
             Endpoint client = Endpoint.open(net, "client", QUIET)) {
            CompletableFuture<Session> accepted = server.acceptAsync();
            Session c = client.connect("server");
            Session s = accepted.get(10, TimeUnit.SECONDS);
            // Each write waits until the previous byte was read, so the client's loop is
            // mostly idle (it still wakes to re-plan its timers after steps run elsewhere);
            // some write must find it so.
            String writer = Thread.currentThread().getName();
            for (int i = 0; i < 1000 && !net.dataSenders.contains(writer); i++) {
                c.getOutputStream().write(i);
                assertEquals(i & 0xff, s.getInputStream().read());
            }
            assertTrue(net.dataSenders.contains(writer), "DATA sent only by " + net.dataSenders);
            s.abort();
            c.abort();
        }
    }

    @Test
    void futuresOfTheApplicationCompleteOnTheLoopThreadEvenWhenAnotherThreadSteps() throws Exception {
        RecordingNetwork net = new RecordingNetwork();
        try (net; Endpoint server = Endpoint.open(net, "server", QUIET);
             Endpoint client = Endpoint.open(net, "client", QUIET)) {
            CompletableFuture<Session> accepted = server.acceptAsync();
            CompletableFuture<String> acceptedOn = accepted.thenApply(x -> Thread.currentThread().getName());
            net.heldInbox = "client";
            CompletableFuture<Session> connected = client.connectAsync("server", QUIET);
            await().atMost(Duration.ofSeconds(10)).until(() -> !net.held.isEmpty());
            CompletableFuture<String> connectedOn = connected.thenApply(x -> Thread.currentThread().getName());
            // The SYN_ACK reaches the client on this thread, whose step (if the client's loop
            // is idle, as it is while it waits for the answer) establishes the session.
            net.release();
            assertEquals("swp-loop-client", connectedOn.get(10, TimeUnit.SECONDS));
            assertEquals("swp-loop-server", acceptedOn.get(10, TimeUnit.SECONDS));

            Session c = connected.get();
            CompletableFuture<String> closedOn = c.closeFuture().thenApply(x -> Thread.currentThread().getName());
            CompletableFuture<CloseReason> reason = c.closeFuture();
            // The server's RESET reaches the client on the server's thread too.
            accepted.get().abort();
            assertEquals("swp-loop-client", closedOn.get(10, TimeUnit.SECONDS));
            assertEquals(CloseReason.RESET_BY_PEER, reason.get());
        }
    }
}
