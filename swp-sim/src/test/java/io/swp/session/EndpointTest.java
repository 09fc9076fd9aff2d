package io.swp.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.Endpoint;
import io.swp.EndpointConfig;
import io.swp.Network;
import io.swp.Session;
import io.swp.SessionConfig;
import io.swp.protocol.MalformedFrameException;
import io.swp.protocol.Frame;
import io.swp.protocol.FrameCodec;
import io.swp.protocol.FrameKind;
import io.swp.sim.InMemoryNetwork;
import io.swp.sim.SteppedEndpoints;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Demultiplexing, resets for strangers, malformed frames, accept and close behaviour. */
class EndpointTest {
    @Test
    void malformedFramesAreCountedAndDropped() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            net.send("server", new byte[] {1, 2, 3});
            net.send("server", new byte[200]);
            assertTrue(Harness.await(() -> p.serverEndpoint().stats().malformedFramesDropped() == 2,
                    Duration.ofSeconds(5)), p.serverEndpoint().stats().toString());
            p.client().sendMessage("still fine".getBytes());
            assertEquals("still fine", new String(p.server().receiveMessage(Duration.ofSeconds(5))));
        }
    }

    @Test
    void framesForUnknownSessionsAreAnsweredWithAReset() throws Exception {
        // Stepped in virtual time: "no reply" is then a fact after the run, not a wait.
        try (SteppedEndpoints w = new SteppedEndpoints(1)) {
            Endpoint server = w.open("server", EndpointConfig.defaults());
            List<Frame> replies = new ArrayList<>();
            w.network().bind("probe", f -> {
                try {
                    replies.add(FrameCodec.decode(f));
                } catch (MalformedFrameException e) {
                    throw new IllegalStateException(e);
                }
            });
            w.network().send("server", FrameCodec.encode(Frame.builder(FrameKind.DATA).from("probe").to("server")
                    .srcNonce(11).dstNonce(12345).seq(0).payload(new byte[10]).build()));
            w.runFor(Duration.ofSeconds(1));
            assertEquals(1, replies.size(), replies.toString());
            Frame reply = replies.get(0);
            assertEquals(FrameKind.RESET, reply.kind());
            assertEquals(11, reply.dstNonce());
            // A RESET for an unknown session is not answered: no reset ping-pong.
            w.network().send("server", FrameCodec.encode(Frame.builder(FrameKind.RESET).from("probe").to("server")
                    .srcNonce(11).dstNonce(12345).build()));
            w.runFor(Duration.ofSeconds(1));
            assertEquals(2, server.stats().framesReceived());
            assertEquals(1, replies.size(), replies.toString());
            assertEquals(1, server.stats().resetsSent());
        }
    }

    @Test
    void manySessionsBetweenTheSameTwoInboxesStayApart() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Endpoint server = Endpoint.open(net, "server");
             Endpoint client = Endpoint.open(net, "client")) {
            Session[] clients = new Session[20];
            for (int i = 0; i < clients.length; i++) {
                clients[i] = client.connect("server");
                clients[i].sendMessage(("session " + i).getBytes());
            }
            for (int i = 0; i < clients.length; i++) {
                Session s = server.accept(Duration.ofSeconds(5));
                String hello = new String(s.receiveMessage(Duration.ofSeconds(5)));
                s.sendMessage(("echo " + hello).getBytes());
            }
            for (int i = 0; i < clients.length; i++) {
                assertEquals("echo session " + i, new String(clients[i].receiveMessage(Duration.ofSeconds(5))));
            }
        }
    }

    @Test
    void closingTheEndpointFailsBlockedAcceptAndFurtherConnects() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create()) {
            Endpoint server = Endpoint.open(net, "server");
            CompletableFuture<Session> accepting = CompletableFuture.supplyAsync(() -> {
                try {
                    return server.accept();
                } catch (IOException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            server.close();
            Exception e = assertThrows(Exception.class, () -> Harness.get(accepting, Duration.ofSeconds(5)));
            assertTrue(String.valueOf(e.getCause() != null ? e.getCause() : e).contains("closed"), e.toString());
            assertThrows(IOException.class, () -> server.connect("elsewhere"));
            server.close();
        }
    }

    @Test
    @SuppressWarnings("try") // closing the endpoint mid-try is what this test is about
    void closingTheEndpointClosesItsSessionsGracefully() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Endpoint server = Endpoint.open(net, "server");
             Endpoint client = Endpoint.open(net, "client")) {
            Session c = client.connect("server");
            Session s = server.accept(Duration.ofSeconds(5));
            CompletableFuture<Integer> receiver = CompletableFuture.supplyAsync(() -> {
                try {
                    int n = s.getInputStream().readAllBytes().length;
                    s.close(); // closing on end of stream gives the peer a clean close
                    return n;
                } catch (IOException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            c.getOutputStream().write(new byte[300_000]);
            client.close();
            assertEquals(300_000, Harness.get(receiver, Duration.ofSeconds(10)), "data before the FIN arrives");
            assertEquals(0, client.sessionCount());
            assertTrue(Harness.await(() -> s.closeReason() == io.swp.protocol.CloseReason.NORMAL,
                    Duration.ofSeconds(5)), "server side: " + s.state() + " " + s.closeReason());
        }
    }

    @Test
    void aNetworkWithTinyFramesCapsThePayload() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.builder().maxFrameSize(FrameCodec.MAX_OVERHEAD_BYTES + 512).build();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            assertEquals(512, p.client().config().maxPayloadBytes());
            byte[] big = new byte[100_000];
            new Harness.Generator(3).fill(big, 0, big.length);
            p.client().sendMessage(big);
            assertTrue(java.util.Arrays.equals(big, p.server().receiveMessage(Duration.ofSeconds(10))));
        }
        try (InMemoryNetwork net = InMemoryNetwork.builder().maxFrameSize(100).build()) {
            assertThrows(IllegalArgumentException.class, () -> Endpoint.open(net, "x"));
        }
    }
}
