package io.swp.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What the queue cap counts as in flight: the pipe, sends the peer cannot have seen yet. */
class SendBufferPipeTest {
    private static final int PAYLOAD = 100;

    private static SendBuffer sent(int frames) {
        SendBuffer b = new SendBuffer();
        b.appendBytes(new byte[frames * PAYLOAD], 0, frames * PAYLOAD, PAYLOAD);
        for (int i = 0; i < frames; i++) {
            b.markNextSent(10 + i);
        }
        return b;
    }

    @Test
    void framesSentBeforeTheNewestEchoLeaveThePipeEvenWhenNeitherAcknowledgedNorSacked() {
        SendBuffer b = sent(10); // frames 0..9 sent at 10..19
        assertEquals(10 * PAYLOAD, b.pipeBytes());
        // The peer saw the frame sent at 15 and SACKs 5..6 only: frames 0..4 were lost or
        // are held unreported; either way they are no longer on the way.
        b.beginAck(true, 15);
        b.acknowledgeRange(5, 7);
        assertEquals(3, b.pipeFrames(), "frames 7, 8, 9 (sent at 17..19) may still be on the way");
        assertEquals(3 * PAYLOAD, b.pipeBytes());
        assertEquals(8, b.unsackedFrames(), "the window still counts every unSACKed frame");
        b.checkInvariants();
    }

    @Test
    void aFrameSentInTheSameInstantAsTheEchoedOneStaysInThePipe() {
        SendBuffer b = new SendBuffer();
        b.appendBytes(new byte[3 * PAYLOAD], 0, 3 * PAYLOAD, PAYLOAD);
        b.markNextSent(10);
        b.markNextSent(10);
        b.markNextSent(11);
        b.beginAck(true, 10);
        assertEquals(3, b.pipeFrames(), "the echo of time 10 may be the first of the two frames sent then");
        b.beginAck(true, 11);
        assertEquals(1, b.pipeFrames());
    }

    @Test
    void aRetransmissionReentersThePipeOnceAndAnAcknowledgementTakesItOut() {
        SendBuffer b = sent(4);
        b.beginAck(true, 13); // everything before 13 seen: frames 0..2 out of the pipe
        assertEquals(1, b.pipeFrames());
        SentFrame lost = b.oldestInFlight();
        b.markLost(lost, true);
        b.markRetransmitted(b.pollRetransmit(), 20);
        assertEquals(2, b.pipeFrames());
        b.beginAck(true, 13);
        b.acknowledgeUpTo(1);
        assertEquals(1, b.pipeFrames(), "frame 0's resend was acknowledged");
        b.checkInvariants();
    }

    @Test
    void aPeerThatNeverEchoesCannotMakeThePipeListGrowWithEverySend() {
        SendBuffer b = new SendBuffer();
        for (int i = 0; i < 200_000; i++) {
            b.appendBytes(new byte[PAYLOAD], 0, PAYLOAD, PAYLOAD);
            b.markNextSent(i);
            b.beginAck(false, 0); // no valid echo, ever
            b.acknowledgeUpTo(b.nextToSend());
        }
        assertEquals(0, b.pipeBytes());
        assertTrue(b.pipeEntriesForTest() <= 1, "entries " + b.pipeEntriesForTest());
    }
}
