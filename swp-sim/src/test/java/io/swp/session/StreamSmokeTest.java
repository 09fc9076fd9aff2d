package io.swp.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.swp.SessionConfig;
import io.swp.sim.InMemoryNetwork;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class StreamSmokeTest {
    @Test
    void oneMegabyteOneWay() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            long size = 1 << 20;
            CompletableFuture<byte[]> w = CompletableFuture.supplyAsync(() -> {
                try {
                    byte[] d = Harness.writeGenerated(p.client().getOutputStream(), 7, size, 10_000);
                    p.client().getOutputStream().close();
                    return d;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Harness.Result r = Harness.readAll(p.server().getInputStream(), 8192);
            byte[] sent = Harness.get(w, Duration.ofSeconds(20));
            assertEquals(size, r.bytes());
            assertArrayEquals(sent, r.digest());
            p.server().close();
            p.client().close();
        }
    }

    @Test
    void byteAtATimeReaderWithASmallWindowNeverStalls() throws Exception {
        SessionConfig small = SessionConfig.builder().windowBytes(32 * 1024).windowFrames(8)
                .sendBufferBytes(64 * 1024).build();
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, small)) {
            long size = 1 << 20;
            CompletableFuture<byte[]> w = CompletableFuture.supplyAsync(() -> {
                try {
                    byte[] d = Harness.writeGenerated(p.client().getOutputStream(), 11, size, 1000);
                    p.client().shutdownOutput();
                    return d;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Harness.Digest d = new Harness.Digest();
            java.io.InputStream in = p.server().getInputStream();
            byte[] one = new byte[1];
            long count = 0;
            int b;
            while ((b = in.read()) >= 0) {
                one[0] = (byte) b;
                d.update(one, 0, 1);
                count++;
            }
            assertEquals(size, count);
            assertArrayEquals(Harness.get(w, Duration.ofSeconds(20)), d.finish());
        }
    }
}
