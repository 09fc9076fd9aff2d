package io.swp.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.Endpoint;
import io.swp.Session;
import io.swp.SessionConfig;
import io.swp.SessionException;
import io.swp.protocol.CloseReason;
import io.swp.sim.InMemoryNetwork;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** accept and write timeouts, and learning why a session closed without a thread per session. */
class BlockingApiTimeoutsTest {
    /** A small send buffer and receive window, so a writer blocks soon when nobody reads. */
    private static final SessionConfig SMALL = SessionConfig.builder().sendBufferBytes(64 * 1024)
            .windowBytes(32 * 1024).windowFrames(8).build();

    @Test
    void acceptTimesOutWithSocketTimeoutExceptionAndLosesNoSession() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Endpoint server = Endpoint.open(net, "server");
             Endpoint client = Endpoint.open(net, "client")) {
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class,
                    () -> server.accept(Duration.ofMillis(50)));
            assertTrue(e.getMessage().contains("server"), e.getMessage());
            // The timed-out request was withdrawn: the next session goes to the next accept.
            Session c = client.connect("server");
            Session s = server.accept(Duration.ofSeconds(10));
            assertEquals(c.localInbox(), s.remoteInbox());
            c.abort();
        }
    }

    @Test
    void aStreamWriteTimesOutWhenThePeerDoesNotReadAndSaysHowMuchWasWritten() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SMALL)) {
            p.client().setWriteTimeout(Duration.ofMillis(200));
            byte[] big = new byte[1 << 20];
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class,
                    () -> p.client().getOutputStream().write(big));
            assertTrue(e.bytesTransferred > 0 && e.bytesTransferred < big.length, "wrote " + e.bytesTransferred);
            // The session stays usable: the reader catches up and everything written arrives.
            p.server().setReadTimeout(Duration.ofSeconds(10));
            byte[] got = p.server().getInputStream().readNBytes(e.bytesTransferred);
            assertEquals(e.bytesTransferred, got.length);
            p.client().getOutputStream().write(new byte[] {7});
            assertEquals(7, p.server().getInputStream().read());
        }
    }

    @Test
    void aMessageIsAllOrNothing() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SMALL)) {
            p.client().setWriteTimeout(Duration.ofMillis(200));
            // Fill the send buffer through the stream: the peer does not read.
            SocketTimeoutException full = assertThrows(SocketTimeoutException.class,
                    () -> p.client().getOutputStream().write(new byte[1 << 20]));
            // A message that cannot start times out with nothing of it queued.
            assertThrows(SocketTimeoutException.class, () -> p.client().sendMessage(new byte[10]));
            p.server().setReadTimeout(Duration.ofSeconds(10));
            assertEquals(full.bytesTransferred, p.server().getInputStream().readNBytes(full.bytesTransferred).length);
            byte[] next = {1, 2, 3};
            p.client().sendMessage(next);
            assertArrayEquals(next, p.server().receiveMessage(), "no part of the timed-out message got in");
            // One larger than the buffer can only ever be partly queued: the session is aborted.
            SessionException e = assertThrows(SessionException.class, () -> p.client().sendMessage(new byte[1 << 20]));
            assertEquals(CloseReason.ABORTED, e.reason());
            assertTrue(e.getMessage().contains("queued"), e.getMessage());
        }
    }

    @Test
    void aServerLearnsWhyEachSessionClosedFromItsCloseFuture() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Endpoint server = Endpoint.open(net, "server");
             Endpoint client = Endpoint.open(net, "client")) {
            Session polite = client.connect("server");
            Session pAccepted = server.accept(Duration.ofSeconds(10));
            Session rude = client.connect("server");
            Session rAccepted = server.accept(Duration.ofSeconds(10));
            var politeClosed = pAccepted.closeFuture();
            var rudeClosed = rAccepted.closeFuture();
            rude.abort();
            assertEquals(CloseReason.RESET_BY_PEER, rudeClosed.get(10, TimeUnit.SECONDS));
            polite.getOutputStream().close();
            pAccepted.closeAsync();
            polite.close();
            assertEquals(CloseReason.NORMAL, politeClosed.get(10, TimeUnit.SECONDS));
            assertEquals(CloseReason.ABORTED, rude.closeFuture().get(10, TimeUnit.SECONDS));
        }
    }
}
