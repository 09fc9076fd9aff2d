package io.swp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * The loop thread never sleeps through a wake. A wake's unpark can be used up by a park
 * inside the loop's own step (a lock in the transport's send, say) while that same step
 * takes the work the wake was for; the loop must still notice work brought after it.
 */
class LoopWakeTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** The hub's settings: should the loop sleep through its close, the test still ends soon. */
    private static final EndpointConfig SHORT_CLOSE = EndpointConfig.builder().shutdownLinger(Duration.ZERO)
            .sessionDefaults(SessionConfig.builder().closeTimeout(Duration.ofSeconds(1)).maxRto(Duration.ofSeconds(1))
                    .timeWait(Duration.ofMillis(100)).build())
            .build();

    /**
     * A {@link DirectNetwork} whose first {@code send} from the hub's loop thread, once the
     * gate is shut, parks the loop thread until the test opens the gate: every unpark it
     * gets meanwhile is used up there.
     */
    private static final class GatedNetwork extends ForwardingNetwork {
        final CountDownLatch entered = new CountDownLatch(1);
        volatile boolean gateShut;
        volatile boolean gateOpen;
        volatile Thread parkedThere;
        /** Frames sent to each inbox. */
        final Map<String, AtomicInteger> sentTo = new ConcurrentHashMap<>();

        @Override
        public void send(String inbox, byte[] frame) {
            if (gateShut && Thread.currentThread().getName().equals("swp-loop-hub")) {
                gateShut = false;
                parkedThere = Thread.currentThread();
                entered.countDown();
                while (!gateOpen) {
                    LockSupport.park(this);
                }
            }
            super.send(inbox, frame);
            sentTo.computeIfAbsent(inbox, k -> new AtomicInteger()).incrementAndGet();
        }

        int framesSentTo(String inbox) {
            AtomicInteger n = sentTo.get(inbox);
            return n == null ? 0 : n.get();
        }

        /** Lets the parked loop go on; the unpark that tells it so is used up in the gate too. */
        void open() {
            gateOpen = true;
            LockSupport.unpark(parkedThere);
        }
    }

    @Test
    @SuppressWarnings("try") // the hub is only talked to through the network
    void workBroughtAfterAWakeUsedUpInsideAStepStillWakesTheLoop() throws Exception {
        GatedNetwork net = new GatedNetwork();
        // The hub has no session, so no timer: its loop sleeps until woken. The peers are
        // stepped by this thread, so every frame they send reaches the hub on it.
        try (net; Endpoint hub = Endpoint.open(net, "hub", SHORT_CLOSE);
                Endpoint first = peer(net, "first");
                Endpoint second = peer(net, "second");
                Endpoint third = peer(net, "third")) {
            net.gateShut = true;
            // The hub's loop answers this SYN and parks in the gate's send.
            connect(first);
            assertTrue(net.entered.await(WAIT.toSeconds(), TimeUnit.SECONDS), "the hub's loop answers a SYN");
            // This SYN's wake unparks the loop inside the gate, which parks again: the
            // unpark is used up. The same step then answers this SYN too, once the gate opens.
            connect(second);
            net.open();
            awaitAnswer(net, "second", "the second SYN was answered in the step the gate held");
            // Now the loop sleeps with nothing to do. A new SYN must wake it.
            connect(third);
            awaitAnswer(net, "third", "a SYN brought to the idle loop afterwards was answered");
        }
    }

    private static Endpoint peer(Network net, String inbox) throws IOException {
        return Endpoint.openSteppable(net, inbox, EndpointConfig.builder().sessionDefaults(HoldingNetwork.QUIET).build(),
                Clock.SYSTEM, new SplittableRandom(inbox.hashCode()));
    }

    /** Has {@code peer} send its SYN to the hub, from this thread. */
    private static void connect(Endpoint peer) {
        peer.connectAsync("hub", HoldingNetwork.QUIET);
        peer.step(Clock.SYSTEM.nanoTime());
    }

    /** Waits until the hub has answered {@code peer}. */
    private static void awaitAnswer(GatedNetwork net, String peer, String what) {
        await(what).atMost(WAIT).pollInterval(Duration.ofMillis(1)).until(() -> net.framesSentTo(peer) > 0);
    }
}
