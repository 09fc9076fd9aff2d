package io.swp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.protocol.CloseReason;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An application thread that brings an endpoint work while its loop is idle (a writer
 * with bytes, a session being aborted) runs the step itself, and so does a network's
 * delivery thread with nothing queued behind its frames; the application's futures still
 * complete on the loop thread only.
 */
class StepOnCallerThreadTest {
    private static final String DELIVERY_THREAD = "transport-delivery";

    @ParameterizedTest(name = "burst ended by: {0}")
    @ValueSource(strings = {"last frame says so", "a malformed frame ends it", "onBurstEnd"})
    void aDeliveryThreadStepsOnlyWhenTheTransportSaysNothingWaitsBehindItsFrames(String end) throws Exception {
        // An ACK for every DATA frame, sent by whichever thread runs the step that routes it.
        SessionConfig ackAtOnce = HoldingNetwork.QUIET.toBuilder().ackEveryFrames(1).build();
        HoldingNetwork.withPair(ackAtOnce, p -> {
            HoldingNetwork net = p.net();
            boolean drained = !end.equals("onBurstEnd");
            // Repeated because a delivery that finds the loop busy leaves the step to it.
            for (int i = 0; i < (drained ? 1000 : 50) && !net.ackSenders.contains(DELIVERY_THREAD); i++) {
                net.heldInbox = "server";
                p.client().getOutputStream().write(i);
                // (with no ACK coming back, loss probes may send the frame again meanwhile)
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1))
                        .until(() -> net.heldCount() >= 1);
                Thread delivery = new Thread(() -> net.releaseAsBurst(end), DELIVERY_THREAD);
                delivery.start();
                delivery.join();
                assertEquals(i & 0xff, p.accepted().getInputStream().read());
            }
            if (drained) {
                assertTrue(net.ackSenders.contains(DELIVERY_THREAD), "ACKs sent only by " + net.ackSenders);
            } else {
                assertFalse(net.ackSenders.contains(DELIVERY_THREAD),
                        "the delivery thread stepped though frames waited behind it: " + net.ackSenders);
            }
            p.accepted().abort();
            p.client().abort();
        });
    }

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
