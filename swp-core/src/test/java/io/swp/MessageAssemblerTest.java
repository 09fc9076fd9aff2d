package io.swp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MessageAssemblerTest {
    @Test
    void chunksAreJoinedInOrderAndTheAssemblerStartsAfresh() {
        MessageAssembler a = new MessageAssembler();
        assertTrue(a.append(new byte[] {1, 2}, 10));
        assertTrue(a.append(new byte[0], 10));
        assertTrue(a.append(new byte[] {3}, 10));
        assertEquals(3, a.length());
        MessageAssembler.Parts p = a.take();
        assertEquals(0, a.length());
        assertArrayEquals(new byte[] {1, 2, 3}, p.join());
        assertArrayEquals(new byte[0], a.take().join(), "an empty message");
    }

    @Test
    void aSingleChunkIsHandedOverWithoutACopy() {
        MessageAssembler a = new MessageAssembler();
        byte[] only = {9, 8, 7};
        a.append(only, 10);
        assertSame(only, a.take().join());
    }

    @Test
    void aMessagePastTheLimitIsRefusedAndDropped() {
        MessageAssembler a = new MessageAssembler();
        assertTrue(a.append(new byte[6], 10));
        assertFalse(a.append(new byte[5], 10));
        assertEquals(0, a.length(), "the partial message is gone");
        assertTrue(a.append(new byte[10], 10), "the limit is inclusive");
    }
}
