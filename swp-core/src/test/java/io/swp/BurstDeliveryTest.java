package io.swp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An endpoint told that more frames follow ({@link Network.FrameHandler#onFrame(byte[],
 * boolean)}) wakes its loop once per burst: these tests check that every way a burst can
 * end still wakes it, when nothing else would for a minute.
 */
class BurstDeliveryTest {
    @ParameterizedTest
    @ValueSource(strings = {"last frame says so", "a malformed frame ends it", "onBurstEnd"})
    void aBurstOfFramesReachesTheApplicationHoweverItEnds(String end) throws Exception {
        HoldingNetwork.withPair(p -> {
            HoldingNetwork net = p.net();
            Session c = p.client();
            Session s = p.accepted();
            // One byte first, read before holding: the server has then acknowledged with its
            // whole window open, so the client sends all of the burst without waiting.
            c.getOutputStream().write(7);
            c.getOutputStream().flush();
            assertEquals(7, s.getInputStream().read());
            await().atMost(Duration.ofSeconds(10)).until(() -> c.stats().peerWindowFrames() >= 64);
            byte[] data = new byte[40 * HoldingNetwork.QUIET.maxPayloadBytes() + 123];
            new Random(3).nextBytes(data);
            net.heldInbox = "server";

            c.getOutputStream().write(data);
            c.getOutputStream().flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> net.heldCount() >= 41);
            long released = System.nanoTime();
            net.releaseAsBurst(end);

            // 41 frames, more than one wake's worth (Endpoint.MAX_FRAMES_PER_WAKE), and nothing
            // but the burst's end can wake the loop for the last of them within a minute.
            assertTrue(41 > Endpoint.MAX_FRAMES_PER_WAKE);
            byte[] got = new byte[data.length];
            int n = 0;
            s.setReadTimeout(Duration.ofSeconds(20));
            while (n < data.length) {
                n += s.getInputStream().read(got, n, data.length - n);
            }
            assertArrayEquals(data, got);
            // Read well before any timer could have fired: the burst's end woke the loop.
            assertTrue(System.nanoTime() - released < TimeUnit.SECONDS.toNanos(20));
            assertEquals(0, p.server().stats().inboundQueueDrops());
            // The peers' 30 s RTO would make a graceful close slow; this test is about delivery.
            s.abort();
            c.abort();
        });
    }
}
