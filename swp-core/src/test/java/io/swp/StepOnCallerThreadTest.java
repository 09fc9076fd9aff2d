package io.swp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.protocol.CloseReason;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An application thread that brings an endpoint work while its loop is idle (a writer
 * with bytes, a session being aborted) runs the step itself; the application's futures
 * still complete on the loop thread only.
 */
class StepOnCallerThreadTest {
    /** No timer wakes a loop while a test runs. */
    private static final SessionConfig QUIET = SessionConfig.builder().keepaliveInterval(Duration.ofSeconds(60))
            .maxRto(Duration.ofSeconds(60)).initialRto(Duration.ofSeconds(30)).minRto(Duration.ofSeconds(30)).build();

    /** A test body given a connected pair of sessions on a {@link HoldingNetwork}. */
    private interface PairBody {
        void run(HoldingNetwork net, Session client, Session server) throws Exception;
    }

    private static void withPair(PairBody body) throws Exception {
        HoldingNetwork net = new HoldingNetwork();
        try (net; Endpoint server = Endpoint.open(net, "server", QUIET);
             Endpoint client = Endpoint.open(net, "client", QUIET)) {
            CompletableFuture<Session> accepted = server.acceptAsync();
            Session c = client.connect("server");
            body.run(net, c, accepted.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void aWriteWhileTheLoopIsIdleIsSentByTheWritingThread() throws Exception {
        withPair((net, c, s) -> {
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
        });
    }

    @Test
    void futuresOfTheApplicationCompleteOnTheLoopThreadEvenWhenAnotherThreadSteps() throws Exception {
        withPair((net, c, s) -> {
            CompletableFuture<String> serverClosedOn = s.closeFuture().thenApply(x -> Thread.currentThread().getName());
            CompletableFuture<String> clientClosedOn = c.closeFuture().thenApply(x -> Thread.currentThread().getName());
            // The abort nudges the server's idle loop from this thread, which then runs the
            // step that sends the RESET and removes the session itself.
            s.abort();
            assertEquals("swp-loop-server", serverClosedOn.get(10, TimeUnit.SECONDS));
            assertEquals("swp-loop-client", clientClosedOn.get(10, TimeUnit.SECONDS));
            assertEquals(CloseReason.RESET_BY_PEER, c.closeFuture().get());
        });
    }
}
