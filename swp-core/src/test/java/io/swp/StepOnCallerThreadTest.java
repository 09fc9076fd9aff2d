package io.swp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.protocol.CloseReason;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An application thread that brings an endpoint work while its loop is idle (a writer
 * with bytes, a session being aborted) runs the step itself; the application's futures
 * still complete on the loop thread only.
 */
class StepOnCallerThreadTest {
    @Test
    void aWriteWhileTheLoopIsIdleIsSentByTheWritingThread() throws Exception {
        HoldingNetwork.withPair(p -> {
            HoldingNetwork net = p.net();
            Session c = p.client();
            Session s = p.accepted();
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
        HoldingNetwork.withPair(p -> {
            Session c = p.client();
            Session s = p.accepted();
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
