package io.swp.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DATA chunks that fill whole frames, so no frame carries a chunk's last byte alone. */
class ChunkSizeTest {
    @TempDir
    Path tmp;

    @Test
    void chunkPlusItsTypeByteIsAWholeNumberOfFrames() {
        assertEquals(65_535, FileTransfer.contentBytesPerChunk(16 * 1024), "four 16 KiB frames");
        assertEquals(65_535, FileTransfer.contentBytesPerChunk(64 * 1024), "one 64 KiB frame");
        assertEquals(8 * 8000 - 1, FileTransfer.contentBytesPerChunk(8000));
        assertEquals(FileTransfer.CHUNK_BYTES, FileTransfer.contentBytesPerChunk(1), "one byte per frame");
        assertEquals(FileTransfer.CHUNK_BYTES, FileTransfer.contentBytesPerChunk(1 << 20), "frames above a chunk");
        for (int payload = 1; payload <= 70_000; payload += 997) {
            int c = FileTransfer.contentBytesPerChunk(payload);
            assertTrue(c >= 1 && c <= FileTransfer.CHUNK_BYTES, "payload " + payload + ": " + c);
            if (payload <= FileTransfer.MAX_PROTOCOL_MESSAGE_BYTES / 2) {
                assertEquals(0, (c + 1) % payload, "payload " + payload + ": " + c + " + 1 fills whole frames");
            }
        }
    }

    @Test
    void aFileOfWholeChunksTakesNoFrameForALoneByte() throws Exception {
        int chunk = FileTransfer.contentBytesPerChunk(16 * 1024);
        byte[] content = new byte[64 * chunk];
        new SplittableRandom(5).nextBytes(content);
        Path file = tmp.resolve("whole.bin");
        Files.write(file, content);
        Path out = Files.createDirectory(tmp.resolve("out"));
        try (Link link = new Link(); Link.Pair p = link.pair()) {
            long framesBefore = p.sender().stats().framesSent();
            CompletableFuture<ReceivedFile> got = CompletableFuture.supplyAsync(() -> {
                try {
                    return FileTransfer.receive(p.receiver(), out);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            FileTransfer.send(p.sender(), file);
            ReceivedFile r = got.get(30, TimeUnit.SECONDS);
            assertArrayEquals(content, Files.readAllBytes(r.path()));
            long frames = p.sender().stats().framesSent() - framesBefore;
            // 64 chunks of four frames each, plus the header and trailer; 64 KiB chunks
            // would have needed a fifth frame each (320 and more).
            assertTrue(frames <= 64 * 4 + 8, "frames sent for 64 chunks: " + frames + " (retransmits "
                    + p.sender().stats().retransmits() + ")");
        }
    }
}
