package io.swp.session;

import io.swp.file.FileTransfer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swp.SessionConfig;
import io.swp.file.ReceivedFile;
import io.swp.sim.InMemoryNetwork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sender's permission bits are applied, but a sender cannot make a received file
 * writable by the receiver's group or by other users of the receiving machine.
 */
class ReceivedFilePermissionsTest {
    @TempDir
    Path from;
    @TempDir
    Path to;

    @Test
    void groupAndWorldWriteBitsOfTheSenderAreNotApplied() throws Exception {
        assumeTrue(Files.getFileAttributeView(from, PosixFileAttributeView.class) != null, "POSIX permissions");
        Path file = Files.write(from.resolve("shared.sh"), new byte[] {1, 2, 3});
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxrwxrwx"));
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            CompletableFuture<ReceivedFile> received = CompletableFuture.supplyAsync(() -> {
                try {
                    return FileTransfer.receive(p.server(), to);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            FileTransfer.send(p.client(), file);
            ReceivedFile f = Harness.get(received, Duration.ofSeconds(10));
            assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(f.path())),
                    "permissions of the received file");
        }
    }
}
