package io.swp.session;

import io.swp.file.FileTransfer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.SessionConfig;
import io.swp.sim.InMemoryNetwork;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile sender cannot make a file receiver buffer a huge protocol message: the
 * receiver accepts at most one DATA chunk per message, whatever maxMessageBytes allows.
 */
class FileReceiverMessageBoundTest {
    @TempDir
    Path to;

    @Test
    void aMessageLargerThanAnyFileProtocolMessageAbortsTheSession() throws Exception {
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, SessionConfig.defaults())) {
            byte[] huge = new byte[4 << 20];
            huge[0] = 'H';
            Thread sender = new Thread(() -> {
                try {
                    p.client().sendMessage(huge);
                } catch (IOException e) {
                    // the receiver aborts while this is still being sent
                }
            });
            sender.start();
            IOException e = assertThrows(IOException.class, () -> FileTransfer.receive(p.server(), to));
            assertTrue(e.getMessage().contains("exceeds the limit of " + (1 + 64 * 1024) + " bytes"), e.getMessage());
            sender.join(10_000);
            try (Stream<Path> left = Files.list(to)) {
                assertEquals(0, left.count(), "nothing written");
            }
        }
    }

    @Test
    void aPerCallLimitNeverExceedsTheConfiguredMaximum() throws Exception {
        SessionConfig small = SessionConfig.builder().maxMessageBytes(1000).build();
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Harness.Pair p = Harness.connect(net, net, small)) {
            p.client().getOutputStream().write(new byte[1500]);
            p.client().sendMessage(new byte[0]);
            IOException e = assertThrows(IOException.class, () -> p.server().receiveMessage(1 << 20));
            assertTrue(e.getMessage().contains("exceeds maxMessageBytes 1000"), e.getMessage());
        }
    }
}
