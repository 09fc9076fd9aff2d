package io.swp.session;

import io.swp.file.FileTransfer;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the receiver fails locally after it accepted a file (here the final name is too
 * long for the file system, as a full disk or an I/O error would fail it), the sender is
 * told and fails too, instead of waiting forever for a verdict.
 */
class ReceiverStoreFailureTest {
    private static final int NAME_BYTES = 255;
    private static final int PATH_MAX = 4096;

    @TempDir
    Path from;
    @TempDir
    Path to;

    @Test
    void theSenderLearnsOfALocalFailureAtTheReceiver() throws Exception {
        // A directory deep enough that a short temporary name fits below PATH_MAX but the
        // longest permitted file name does not.
        Path dir = to;
        while (dir.toString().length() < PATH_MAX - NAME_BYTES + 10) {
            dir = dir.resolve("d".repeat(200));
        }
        Files.createDirectories(dir);
        Path file = Files.write(from.resolve("x".repeat(NAME_BYTES)), new byte[] {1, 2, 3});
        Path receiveDir = dir;
        try (io.swp.sim.InMemoryNetwork net = io.swp.sim.InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            CompletableFuture<Object> received = CompletableFuture.supplyAsync(() -> {
                try {
                    return FileTransfer.receive(p.server(), receiveDir);
                } catch (IOException e) {
                    throw new CompletionException(e);
                }
            });
            CompletableFuture<Object> sent = CompletableFuture.supplyAsync(() -> {
                try {
                    return FileTransfer.send(p.client(), file);
                } catch (IOException e) {
                    throw new CompletionException(e);
                }
            });
            IOException atSender = assertThrows(IOException.class, () -> Harness.get(sent, Duration.ofSeconds(10)));
            assertTrue(atSender.getMessage().contains("failed to store"), atSender.getMessage());
            assertThrows(IOException.class, () -> Harness.get(received, Duration.ofSeconds(10)));
            try (var left = Files.list(receiveDir)) {
                assertTrue(left.findAny().isEmpty(), "nothing is left in the target directory");
            }
        }
    }
}
