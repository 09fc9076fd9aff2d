package io.swp.protocol;

import static io.swp.protocol.VirtualLink.SECOND;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import io.swp.protocol.VirtualLink.Direction;
import io.swp.protocol.VirtualLink.Fate;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A stream frame's first send is encoded around its payload in the send buffer's own
 * array, which then goes to the network: these tests check that such an array is a valid
 * frame, that the engine never writes it again (retransmissions, SACKs and windows
 * changing meanwhile), and that everything still arrives.
 */
class InPlaceSendTest {
    /** Large enough to be laid out for its frame: see {@link FrameLayout}. */
    private static final int PAYLOAD = 2000;
    private static final SessionConfig CONFIG = SessionConfig.builder()
            .maxPayloadBytes(PAYLOAD).windowFrames(128).build();

    private static int crc(byte[] payload) {
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(payload);
        return (int) c.getValue();
    }

    @Test
    void aFrameLaidOutInPlaceIsEncodedInItsOwnArrayAndDecodesToTheSameFrame() throws MalformedFrameException {
        for (int payloadLength : new int[] {0, 1, 255, 256, 16_384, 65_535, 65_536}) {
            for (String inbox : new String[] {"a", "x".repeat(31), "y".repeat(32), "é".repeat(127)}) {
                byte[] from = inbox.getBytes(StandardCharsets.UTF_8);
                byte[] to = "_INBOX.peer".getBytes(StandardCharsets.UTF_8);
                int header = FrameCodec.inPlaceHeaderBytes(from.length, to.length);
                byte[] storage = new byte[header + payloadLength + FrameCodec.inPlaceTailBytes()];
                new SplittableRandom(payloadLength).nextBytes(storage);
                byte[] payload = java.util.Arrays.copyOfRange(storage, header, header + payloadLength);
                Frame f = Frame.builder(FrameKind.DATA).flags(Frame.FLAG_END_OF_MESSAGE).from(inbox).to("_INBOX.peer")
                        .srcNonce(-7).dstNonce(Long.MIN_VALUE).seq(payloadLength).ack(Long.MAX_VALUE)
                        .window(Integer.MAX_VALUE, 0).tsVal(-1).tsEcr(123_456_789_012L)
                        .payloadView(storage, header, payloadLength).build();

                byte[] frame = FrameCodec.encodeInPlace(f, from, to, crc(payload));

                assertSame(storage, frame, "encoded in place at payload " + payloadLength);
                Frame back = FrameCodec.decode(frame);
                assertEquals(f, back);
                assertArrayEquals(payload, back.payload());
                assertEquals(f, FrameCodec.decode(FrameCodec.encode(back)), "the shortest form says the same");
            }
        }
    }

    @Test
    void aFrameWithSackRangesOrAnotherLayoutIsEncodedIntoANewArrayInTheShortestForm() {
        byte[] from = "a".getBytes(StandardCharsets.UTF_8);
        byte[] to = "b".getBytes(StandardCharsets.UTF_8);
        int header = FrameCodec.inPlaceHeaderBytes(from.length, to.length);
        byte[] storage = new byte[header + 100 + FrameCodec.inPlaceTailBytes()];
        Frame withSack = Frame.builder(FrameKind.DATA).from("a").to("b").srcNonce(1).dstNonce(2).seq(3)
                .sackRanges(new long[] {5, 9}).payloadView(storage, header, 100).build();
        Frame offset = Frame.builder(FrameKind.DATA).from("a").to("b").srcNonce(1).dstNonce(2).seq(3)
                .payloadView(storage, header - 1, 100).build();

        for (Frame f : new Frame[] {withSack, offset}) {
            byte[] frame = FrameCodec.encodeInPlace(f, from, to, crc(new byte[100]));
            assertNotSame(storage, frame);
            assertArrayEquals(FrameCodec.encode(f), frame);
        }
    }

    @Test
    void framesHandedToTheNetworkNeverChangeThroughLossRetransmissionAndTrafficBothWays() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        link.wire = new java.util.ArrayList<>();
        SplittableRandom loss = new SplittableRandom(20261201);
        // A tenth of all frames lost each way: retransmissions of frames first sent in place,
        // and SACK ranges in B's own DATA frames, which then cannot be encoded in place.
        link.policy = (d, i, p, t) -> loss.nextInt(10) == 0 ? Fate.DROP : Fate.DELIVER;
        byte[] toB = new byte[400_000];
        byte[] toA = new byte[300_000];
        new SplittableRandom(1).nextBytes(toB);
        new SplittableRandom(2).nextBytes(toA);
        StreamPump.Writer writerA = new StreamPump.Writer(link, true, toB, 5000);
        StreamPump.Writer writerB = new StreamPump.Writer(link, false, toA, 3000);
        StreamPump.Reader readerB = new StreamPump.Reader(link, true);
        StreamPump.Reader readerA = new StreamPump.Reader(link, false);
        link.app = StreamPump.all(writerA, writerB, readerB, readerA);

        assertTrue(link.runUntil(() -> readerB.received.size() == toB.length
                && readerA.received.size() == toA.length, 600 * SECOND), "transfer did not finish");

        assertArrayEquals(toB, readerB.received.toByteArray());
        assertArrayEquals(toA, readerA.received.toByteArray());
        assertTrue(link.a.stats().retransmits() > 0 && link.b.stats().retransmits() > 0,
                "the loss caused retransmissions both ways");
        assertTrue(link.sentByB.stream().anyMatch(s -> s.packet().kind() == FrameKind.DATA
                && s.packet().sackRanges().length > 0), "B sent DATA with SACK ranges");
        assertEquals(0, link.framesChangedAfterSending(), "frames sent, then written again");
    }

    @Test
    void aStreamFramesFirstSendIsItsSendBuffersArrayAndItsRetransmissionACopy() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        link.wire = new java.util.ArrayList<>();
        link.policy = (d, i, p, t) -> d == Direction.A_TO_B && p.kind() == FrameKind.DATA && p.seq() == 5
                && link.sentByA(FrameKind.DATA, 5).size() == 1 ? Fate.DROP : Fate.DELIVER;
        byte[] data = new byte[20 * PAYLOAD];
        new SplittableRandom(3).nextBytes(data);
        StreamPump.Reader reader = new StreamPump.Reader(link, true);
        link.app = StreamPump.all(new StreamPump.Writer(link, true, data, data.length), reader);

        assertTrue(link.runUntil(() -> reader.received.size() == data.length, 60 * SECOND));

        assertArrayEquals(data, reader.received.toByteArray());
        byte[][] sends = link.wire.stream().map(w -> w[0]).filter(w -> {
            Frame p = VirtualLink.decode(w);
            return p.kind() == FrameKind.DATA && p.seq() == 5;
        }).toArray(byte[][]::new);
        assertEquals(2, sends.length);
        int header = FrameCodec.inPlaceHeaderBytes(1, 1);
        assertEquals(header + PAYLOAD + FrameCodec.inPlaceTailBytes(), sends[0].length, "first send in place");
        assertTrue(sends[1].length < sends[0].length, "the retransmission is in the shortest form, a new array");
        assertEquals(0, link.framesChangedAfterSending());
    }

    @Test
    void smallPayloadsAreStoredBareAndEncodedIntoANewArray() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        int room = FrameCodec.inPlaceHeaderBytes(1, 1) + FrameCodec.inPlaceTailBytes();
        int small = FrameLayout.MIN_PAYLOAD_PER_ROOM_BYTE * room - 1;
        byte[] data = new byte[small];
        new SplittableRandom(4).nextBytes(data);
        link.a.write(data, 0, small, false, link.now);
        byte[] first = link.a.pollTransmit(link.now);

        Frame p = VirtualLink.decode(first);
        assertEquals(small, p.payloadLength());
        assertArrayEquals(FrameCodec.encode(p), first, "a small frame is encoded into a new array");
        FrameLayout layout = new FrameLayout(room - FrameCodec.inPlaceTailBytes(), FrameCodec.inPlaceTailBytes());
        assertTrue(layout.roomFor(small + 1) && !layout.roomFor(small));
    }

    @Test
    void aFrameFilledByManySmallWritesIsChecksummedAsItGrowsAndSentInPlace() {
        VirtualLink link = new VirtualLink(CONFIG).establish();
        byte[] data = new byte[PAYLOAD];
        new SplittableRandom(5).nextBytes(data);
        // Stored bare at first, then with room once it is large enough (FrameLayout).
        for (int off = 0; off < data.length; off += 7) {
            assertEquals(Math.min(7, data.length - off), link.a.write(data, off, Math.min(7, data.length - off),
                    false, link.now));
        }

        byte[] frame = link.a.pollTransmit(link.now);

        Frame p = VirtualLink.decode(frame); // checks the CRC
        assertArrayEquals(data, p.payload());
        assertEquals(FrameCodec.inPlaceHeaderBytes(1, 1) + PAYLOAD + FrameCodec.inPlaceTailBytes(), frame.length,
                "sent in place");
    }
}
