package io.swp.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.Session;
import io.swp.SessionConfig;
import io.swp.sim.Impairments;
import io.swp.sim.InMemoryNetwork;
import io.swp.sim.LossyNetwork;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Message boundaries, limits, acknowledged sends and unordered delivery. */
class MessagesTest {
    private static final long SEED = 4242;

    private static Harness.Pair lossyPair(InMemoryNetwork net, SessionConfig config) throws Exception {
        Impairments imp = Impairments.builder().lossRate(0.05).reorder(0.05, Duration.ofMillis(2))
                .duplicate(0.02, Duration.ofMillis(1)).build();
        return Harness.connect(
                LossyNetwork.builder(net).outbound(imp).seed(SEED).closeDelegate(false).build(),
                LossyNetwork.builder(net).outbound(imp).seed(SEED + 1).closeDelegate(false).build(), config);
    }

    /** Sends a generated message of each size (the i-th seeded i + 1), then ends the output. */
    private static CompletableFuture<Void> sendAllThenShutdown(Session client, int[] sizes) {
        return CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < sizes.length; i++) {
                    client.sendMessage(generated(sizes[i], i + 1));
                }
                client.shutdownOutput();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static byte[] generated(int size, long seed) {
        byte[] b = new byte[size];
        new Harness.Generator(seed).fill(b, 0, size);
        return b;
    }

    @Test
    void boundariesAreKeptForEdgeSizes() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = lossyPair(net, SessionConfig.defaults())) {
            int payload = p.client().config().maxPayloadBytes();
            int[] sizes = {0, 1, payload - 1, payload, payload + 1, 5 * 1024 * 1024, 0, 3};
            CompletableFuture<Void> sender = sendAllThenShutdown(p.client(), sizes);
            for (int i = 0; i < sizes.length; i++) {
                byte[] m = p.server().receiveMessage(Duration.ofSeconds(30));
                assertArrayEquals(generated(sizes[i], i + 1), m, "message " + i + " of " + sizes[i]
                        + " bytes, seed " + SEED);
            }
            assertNull(p.server().receiveMessage(Duration.ofSeconds(5)), "end of stream after the last message");
            Harness.get(sender, Duration.ofSeconds(10));
        }
    }

    @Test
    void messagesReceivedIntoABufferKeepTheirBoundariesAndMixWithArrayReceives() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = lossyPair(net, SessionConfig.defaults())) {
            int payload = p.client().config().maxPayloadBytes();
            int[] sizes = {0, 1, payload - 1, payload, payload + 1, 4 * payload - 1, 200_000, 0, 3};
            CompletableFuture<Void> sender = sendAllThenShutdown(p.client(), sizes);
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect(256 * 1024);
            p.server().setReadTimeout(Duration.ofSeconds(30));
            for (int i = 0; i < sizes.length; i++) {
                byte[] m;
                if (i % 3 == 2) {
                    m = p.server().receiveMessage(); // the array API in between
                } else {
                    buf.clear().position(7); // from the buffer's position, not 0
                    int n = p.server().receiveMessage(buf, 256 * 1024 - 7);
                    assertEquals(7 + n, buf.position(), "position moved past message " + i);
                    m = new byte[n];
                    buf.get(7, m);
                }
                assertArrayEquals(generated(sizes[i], i + 1), m, "message " + i + " of " + sizes[i]
                        + " bytes, seed " + SEED);
            }
            buf.clear();
            assertEquals(-1, p.server().receiveMessage(buf, 1024), "end of stream after the last message");
            Harness.get(sender, Duration.ofSeconds(10));
        }
    }

    @Test
    void aBufferReceiveThatTimesOutMidMessageKeepsThePartForTheNextCall() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            byte[] whole = generated(3 * p.client().config().maxPayloadBytes() + 5, 9);
            // A stream write carries no end-of-message mark: the message stays open.
            p.client().getOutputStream().write(whole, 0, 1000);
            p.server().setReadTimeout(Duration.ofMillis(200));
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(whole.length);
            assertThrows(SocketTimeoutException.class, () -> p.server().receiveMessage(buf, whole.length));
            assertEquals(0, buf.position(), "nothing left in the buffer after a timeout");
            p.client().sendMessage(whole, 1000, whole.length - 1000); // the rest, with the mark
            p.server().setReadTimeout(Duration.ofSeconds(30));
            int n = p.server().receiveMessage(buf, whole.length);
            assertEquals(whole.length, n);
            assertArrayEquals(whole, buf.array());
            assertThrows(IllegalArgumentException.class, () -> p.server().receiveMessage(java.nio.ByteBuffer.allocate(10), 11),
                    "a buffer smaller than the limit is refused");
        }
    }

    @Test
    void aBufferReceiveRejectsAMessageOverItsLimit() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            p.client().sendMessage(new byte[70_000]);
            p.server().setReadTimeout(Duration.ofSeconds(30));
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect(65_537);
            IOException tooBig = assertThrows(IOException.class, () -> p.server().receiveMessage(buf, 65_537));
            assertTrue(tooBig.getMessage().contains("exceeds the limit of 65537 bytes"), tooBig.getMessage());
            assertEquals(0, buf.position(), "the refused message's bytes are not left in the buffer");
        }
    }

    @Test
    void oversizedMessagesAreRejectedOnBothSides() throws Exception {
        SessionConfig small = SessionConfig.builder().maxMessageBytes(64 * 1024).build();
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, small)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> p.client().sendMessage(new byte[64 * 1024 + 1]));
            assertTrue(e.getMessage().contains("maxMessageBytes"), e.getMessage());
            // A peer that ignores our limit: stream bytes with no end-of-message mark.
            p.client().getOutputStream().write(new byte[64 * 1024 + 1]);
            IOException tooBig = assertThrows(IOException.class, () -> p.server().receiveMessage(Duration.ofSeconds(10)));
            assertTrue(tooBig.getMessage().contains("exceeds maxMessageBytes"), tooBig.getMessage());
        }
    }

    @Test
    void sendMessageAndWaitReturnsOnceAcknowledged() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create()) {
            CuttableNetwork serverNet = new CuttableNetwork(net);
            try (Harness.Pair p = Harness.connect(net, serverNet, SessionConfig.defaults())) {
                byte[] m = generated(100_000, 5);
                p.client().sendMessageAndWait(m, Duration.ofSeconds(10));
                assertEquals(0, p.client().stats().inFlightBytes());
                assertEquals(0, p.client().bufferedOutputBytes());
                // The receiver has it even though it has not read it yet.
                assertTrue(p.server().getInputStream().available() >= m.length);
                assertArrayEquals(m, p.server().receiveMessage(Duration.ofSeconds(1)));
                serverNet.cut();
                assertThrows(SocketTimeoutException.class,
                        () -> p.client().sendMessageAndWait(new byte[10], Duration.ofMillis(200)));
            }
        }
    }

    @Test
    void streamBytesWrittenBeforeAMessageBecomePartOfIt() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            p.client().getOutputStream().write(new byte[] {1, 2});
            p.client().sendMessage(new byte[] {3});
            p.client().sendMessage(new byte[] {4, 5});
            assertArrayEquals(new byte[] {1, 2, 3}, p.server().receiveMessage(Duration.ofSeconds(5)));
            byte[] two = new byte[2];
            assertEquals(2, p.server().getInputStream().readNBytes(two, 0, 2));
            assertArrayEquals(new byte[] {4, 5}, two);
        }
    }

    @Test
    void unorderedMessagesAllArriveOverALossyNetwork() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = lossyPair(net, SessionConfig.defaults())) {
            int max = p.client().maxUnorderedBytes();
            assertThrows(IllegalArgumentException.class, () -> p.client().sendUnordered(new byte[max + 1]));
            int count = 300;
            Set<String> sent = new HashSet<>();
            for (int i = 0; i < count; i++) {
                byte[] m = generated(1 + (i * 97) % max, i + 1000);
                sent.add(HexFormat.of().formatHex(m));
                p.client().sendUnordered(m);
            }
            p.client().shutdownOutput();
            Set<String> received = new HashSet<>();
            byte[] m;
            while ((m = p.server().receiveUnordered(Duration.ofSeconds(10))) != null) {
                received.add(HexFormat.of().formatHex(m));
            }
            assertEquals(sent, received, "seed " + SEED);
            assertEquals(0, p.server().unorderedDropped());
            assertThrows(SocketTimeoutException.class, () -> p.client().receiveUnordered(Duration.ofMillis(50)));
        }
    }

    @Test
    void messagesFlowBothWaysOnOneSession() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            Session c = p.client();
            Session s = p.server();
            for (int i = 0; i < 100; i++) {
                c.sendMessage(("ping " + i).getBytes());
                assertEquals("ping " + i, new String(s.receiveMessage(Duration.ofSeconds(5))));
                s.sendMessage(("pong " + i).getBytes());
                assertEquals("pong " + i, new String(c.receiveMessage(Duration.ofSeconds(5))));
            }
        }
    }
}
