package io.swp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.swp.protocol.Frame;
import io.swp.protocol.FrameCodec;
import io.swp.protocol.FrameKind;
import io.swp.protocol.MalformedFrameException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A DATA frame that arrives after its session has already taken that sequence number (a
 * retransmission whose acknowledgement was on its way) loses its payload on arrival, so
 * that it cannot take queue room the shares gave to new data; its header still reaches
 * the session, which answers it with an acknowledgement.
 */
class DuplicateArrivalTest {
    /** Records the DATA frames sent to "server" and counts the ACKs sent to "client". */
    private static final class RecordingNetwork extends ForwardingNetwork {
        final AtomicReference<byte[]> lastData = new AtomicReference<>();
        final AtomicInteger acksToClient = new AtomicInteger();

        @Override
        public void send(String inbox, byte[] frame) {
            FrameKind kind;
            try {
                kind = FrameCodec.decode(frame).kind();
            } catch (MalformedFrameException e) {
                throw new AssertionError("the endpoint sent a frame it cannot decode", e);
            }
            if (inbox.equals("server") && kind == FrameKind.DATA) {
                lastData.set(frame.clone());
            } else if (inbox.equals("client") && kind == FrameKind.ACK) {
                acksToClient.incrementAndGet();
            }
            super.send(inbox, frame);
        }

        void replayToServer(byte[] frame) {
            direct.handler("server").onFrame(frame.clone(), false);
        }
    }

    @Test
    void aDuplicateOfDataAlreadyTakenLosesItsPayloadAndIsStillAcknowledged() throws Exception {
        RecordingNetwork net = new RecordingNetwork();
        try (net; Endpoint server = Endpoint.open(net, "server", HoldingNetwork.QUIET);
             Endpoint client = Endpoint.open(net, "client", HoldingNetwork.QUIET)) {
            CompletableFuture<Session> accepting = server.acceptAsync();
            Session c = client.connect("server");
            Session s = accepting.get(10, TimeUnit.SECONDS);
            byte[] data = new byte[1000];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 7);
            }
            c.getOutputStream().write(data);
            c.getOutputStream().flush();
            byte[] got = s.getInputStream().readNBytes(data.length);
            assertArrayEquals(data, got);
            byte[] taken = net.lastData.get();
            assertNotNull(taken, "the client sent DATA");
            Frame original = FrameCodec.decode(taken);
            assertEquals(data.length, original.payloadLength());
            await().atMost(Duration.ofSeconds(10)).until(() -> s.stats().localWindowFrames() > 0
                    && net.acksToClient.get() > 0);
            int acksBefore = net.acksToClient.get();

            net.replayToServer(taken);

            await().atMost(Duration.ofSeconds(10)).until(() -> s.stats().duplicatesDropped() == 1);
            assertEquals(1, server.stats().inboundDuplicatesStripped());
            // Answered at once, though the 30 s timers of QUIET cannot have fired.
            await().atMost(Duration.ofSeconds(10)).until(() -> net.acksToClient.get() > acksBefore);
            assertEquals(0, server.stats().inboundQueueDrops());

            // A copy with another source nonce is not its session's duplicate: it keeps its
            // payload, and the session drops it as a stray.
            byte[] forged = FrameCodec.encode(original.toBuilder().srcNonce(original.srcNonce() + 1).build());
            net.replayToServer(forged);
            await().atMost(Duration.ofSeconds(10)).until(() -> s.stats().strayFramesDropped() == 1);
            assertEquals(1, server.stats().inboundDuplicatesStripped());
            s.abort();
            c.abort();
        }
    }
}
