package io.swp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.swp.protocol.CloseReason;
import io.swp.protocol.EngineState;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The runtime over a transport that delivers synchronously on the sender's thread. */
class EndpointOverDirectNetworkTest {
    @Test
    void streamsMessagesAndCloseWork() throws Exception {
        try (DirectNetwork net = new DirectNetwork();
             Endpoint server = Endpoint.open(net, "server");
             Endpoint client = Endpoint.open(net, "client")) {
            CompletableFuture<Session> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return server.accept(Duration.ofSeconds(10));
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            Session c = client.connect("server");
            Session s = accepted.get(10, TimeUnit.SECONDS);
            // The payload is capped to what 64 KiB frames carry.
            assertEquals(Math.min(SessionConfig.defaults().maxPayloadBytes(),
                    64 * 1024 - io.swp.protocol.FrameCodec.MAX_OVERHEAD_BYTES), c.config().maxPayloadBytes());

            byte[] data = new byte[3 * 1024 * 1024];
            new Random(1).nextBytes(data);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try (OutputStream out = c.getOutputStream()) {
                    out.write(data);
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            InputStream in = s.getInputStream();
            assertArrayEquals(data, in.readAllBytes());
            writer.get(10, TimeUnit.SECONDS);
            assertEquals(-1, in.read());

            s.sendMessage("bye".getBytes());
            assertEquals("bye", new String(c.receiveMessage(Duration.ofSeconds(5))));
            s.close();
            assertNull(c.receiveMessage(Duration.ofSeconds(5)));
            c.close();
            assertEquals(CloseReason.NORMAL, s.closeReason() == null ? CloseReason.NORMAL : s.closeReason());
            assertThrows(java.io.IOException.class, () -> c.getOutputStream().write(1));
            // Both really finished, and normally: the client once its FIN was acknowledged
            // (LAST_ACK), the server after TIME_WAIT.
            await("both sessions closed").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertEquals(EngineState.CLOSED, c.state(), "client state");
                assertEquals(CloseReason.NORMAL, c.closeReason(), "client close reason");
                assertEquals(EngineState.CLOSED, s.state(), "server state");
                assertEquals(CloseReason.NORMAL, s.closeReason(), "server close reason");
            });
        }
    }
}
