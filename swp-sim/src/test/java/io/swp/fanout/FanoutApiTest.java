package io.swp.fanout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.Network;
import io.swp.Publisher;
import io.swp.Subscription;
import io.swp.sim.Impairments;
import io.swp.sim.InMemoryNetwork;
import io.swp.sim.LossyNetwork;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Publisher} and {@link Subscription} with their threads, over the in-memory network. */
class FanoutApiTest {
    private static final long SEED = Long.getLong("swp.seed", 13L);
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final FanoutConfig FAST = FanoutConfig.builder().maxPayloadBytes(16 * 1024)
            .heartbeatMaxNanos(TimeUnit.MILLISECONDS.toNanos(50)).build();

    @Test
    void filesReachEveryLossySubscriberVerifiedAndConfirmed(@TempDir Path tmp) throws Exception {
        Path src = Files.createDirectory(tmp.resolve("src"));
        Path a = src.resolve("a.bin");
        Path b = src.resolve("b.bin");
        Files.write(a, FanoutHarness.pattern(3 * 1024 * 1024 + 17, SEED));
        Files.write(b, FanoutHarness.pattern(100_000, SEED + 1));
        Files.write(src.resolve("empty"), new byte[0]);
        int n = 4;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Publisher pub = Publisher.builder(net, "files").config(FAST).open()) {
            List<Future<List<Subscription.ReceivedFile>>> got = new ArrayList<>();
            List<Path> outs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Path out = Files.createDirectory(tmp.resolve("out" + i));
                outs.add(out);
                Network lossy = LossyNetwork.builder(net).inbound(Impairments.builder().lossRate(0.05).build())
                        .outbound(Impairments.builder().lossRate(0.05).build()).seed(SEED + i).closeDelegate(false).build();
                got.add(pool.submit(() -> {
                    try (lossy; Subscription sub = Subscription.builder(lossy, "files").config(FAST).open()) {
                        List<Subscription.ReceivedFile> files = new ArrayList<>();
                        for (int k = 0; k < 3; k++) {
                            files.add(sub.receiveFile(out));
                        }
                        assertNull(sub.receiveFile(out), "end of stream after the last file");
                        return files;
                    }
                }));
            }
            pub.awaitReceivers(n, WAIT);
            Publisher.PublishedFile fa = pub.sendFile(a);
            Publisher.PublishedFile fb = pub.sendFile(b);
            pub.sendFile(src.resolve("empty"));
            pub.finish();
            List<Publisher.ReceiverOutcome> outcomes = pub.awaitConfirmations(3, WAIT);
            assertEquals(n, outcomes.size());
            for (Publisher.ReceiverOutcome o : outcomes) {
                assertTrue(o.ok(), o + " (seed " + SEED + ")");
            }
            for (int i = 0; i < n; i++) {
                List<Subscription.ReceivedFile> files = got.get(i).get(60, TimeUnit.SECONDS);
                assertEquals(fa.blake2b256(), files.get(0).blake2b256());
                assertEquals(fb.blake2b256(), files.get(1).blake2b256());
                assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(outs.get(i).resolve("a.bin")));
                assertArrayEquals(Files.readAllBytes(b), Files.readAllBytes(outs.get(i).resolve("b.bin")));
                assertEquals(0, Files.size(outs.get(i).resolve("empty")));
                try (var listing = Files.list(outs.get(i))) {
                    assertEquals(3, listing.count(), "no temporary file left behind");
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void streamsAndMessagesArriveInOrder() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Publisher pub = Publisher.builder(net, "msgs").config(FAST).open();
             Subscription s1 = Subscription.builder(net, "msgs").config(FAST).open();
             Subscription s2 = Subscription.builder(net, "msgs").config(FAST).open()) {
            pub.awaitReceivers(2, WAIT);
            byte[] bulk = FanoutHarness.pattern(1_000_000, SEED);
            Future<byte[]> msg = pool.submit(() -> {
                byte[] first = s1.receiveMessage();
                InputStream in = s1.getInputStream();
                byte[] rest = in.readAllBytes();
                assertArrayEquals(bulk, rest);
                return first;
            });
            Future<byte[]> raw = pool.submit(() -> s2.getInputStream().readAllBytes());
            pub.sendMessage("hello".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            try (OutputStream out = pub.getOutputStream()) {
                out.write(bulk);
            }
            pub.awaitComplete(WAIT);
            assertEquals("hello", new String(msg.get(30, TimeUnit.SECONDS), java.nio.charset.StandardCharsets.UTF_8));
            byte[] all = raw.get(30, TimeUnit.SECONDS);
            assertEquals(5 + bulk.length, all.length);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aSubscriberThatLeavesEarlyIsReportedNotWaitedFor(@TempDir Path tmp) throws Exception {
        Path a = Files.write(tmp.resolve("one.bin"), FanoutHarness.pattern(50_000, SEED));
        Path b = Files.write(tmp.resolve("two.bin"), FanoutHarness.pattern(50_000, SEED + 1));
        Path out = Files.createDirectory(tmp.resolve("out"));
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Publisher pub = Publisher.builder(net, "early").config(FAST).open()) {
            Subscription sub = Subscription.builder(net, "early").config(FAST).open();
            pub.awaitReceivers(1, WAIT);
            pub.sendFile(a);
            assertEquals("one.bin", sub.receiveFile(out).name());
            sub.close();
            pub.sendFile(b);
            pub.finish();
            List<Publisher.ReceiverOutcome> outcomes = pub.awaitConfirmations(2, WAIT);
            assertEquals(1, outcomes.size());
            assertEquals(1, outcomes.get(0).confirmed());
            assertEquals("left before confirming every file", outcomes.get(0).problem());
        }
    }

    @Test
    void aSubscriptionWithoutPublisherTimesOutWithAClearError() throws IOException {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Subscription s = Subscription.open(net, "nobody")) {
            IOException e = assertThrows(IOException.class, () -> s.awaitJoined(Duration.ofMillis(200)));
            assertTrue(e.getMessage().contains("nobody"), e.getMessage());
        }
    }
}
