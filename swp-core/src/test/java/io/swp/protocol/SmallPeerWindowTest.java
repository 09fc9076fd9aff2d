package io.swp.protocol;

import static io.swp.protocol.VirtualLink.SECOND;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A receiver whose byte window is smaller than the sender's frames (mismatched
 * configurations) still gets the stream, one frame at a time, and never buffers more
 * than that one frame.
 */
class SmallPeerWindowTest {
    private static final int SENDER_PAYLOAD = 16 * 1024;
    private static final long RECEIVER_WINDOW_BYTES = 8 * 1024;

    @Test
    void framesLargerThanThePeersWholeByteWindowAreDeliveredOneAtATime() {
        SessionConfig sender = SessionConfig.builder().maxPayloadBytes(SENDER_PAYLOAD).build();
        SessionConfig receiver = SessionConfig.builder().windowBytes(RECEIVER_WINDOW_BYTES).build();
        VirtualLink link = new VirtualLink(sender, receiver).establish();
        byte[] data = new byte[256 * 1024];
        new SplittableRandom(7).nextBytes(data);
        StreamPump.Writer writer = new StreamPump.Writer(link, true, data, data.length);
        StreamPump.Reader reader = new StreamPump.Reader(link, true);
        link.app = StreamPump.all(writer, reader, () -> {
            long buffered = link.b == null ? 0 : link.b.receiveBufferForTest().bufferedBytes();
            assertTrue(buffered <= Math.max(RECEIVER_WINDOW_BYTES, SENDER_PAYLOAD), "receiver buffers " + buffered);
        });
        assertTrue(link.runUntil(() -> reader.received.size() == data.length, 60 * SECOND),
                "received " + reader.received.size() + " of " + data.length + " bytes; sender " + link.a.stats());
        assertArrayEquals(data, reader.received.toByteArray());
    }
}
