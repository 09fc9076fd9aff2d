package io.swp.nats;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.swp.Endpoint;
import io.swp.Session;
import io.swp.SessionConfig;
import io.swp.SessionException;
import io.swp.file.FileTransfer;
import io.swp.file.FileTransferStats;
import io.swp.file.ReceivedFile;
import io.swp.nats.testing.NatsServerProcess;
import io.swp.nats.testing.NatsServers;
import io.swp.protocol.CloseReason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The permissions example of docs/threat-model.md, {@code docs/examples/nats-permissions.conf},
 * run by a real nats-server: alice and bob may subscribe only to their own inboxes
 * ({@code files.alice}, {@code files.bob}) and publish to every member's; mallory, a
 * guest, receives at {@code files.mallory} and may publish to {@code files.bob} only.
 *
 * <p>Absence is proven by ordering, not by waiting: the server handles one client's
 * protocol in order and queues a message for every matching subscriber before any of
 * them can receive it, so once a frame has reached bob, or the server has answered
 * mallory's publish, a PING/PONG round trip on the other connection ({@code flush})
 * returns only after anything the server had for that connection arrived.
 */
class PermissionsExampleTest {
    private static final Path EXAMPLE = Path.of("..", "docs", "examples", "nats-permissions.conf");
    private static final Credentials ALICE = new Credentials("alice", "alice-example-password");
    private static final Credentials BOB = new Credentials("bob", "bob-example-password");
    private static final Credentials MALLORY = new Credentials("mallory", "mallory-example-password");
    private static final String ALICE_INBOX = "files.alice";
    private static final String BOB_INBOX = "files.bob";
    private static final String MALLORY_INBOX = "files.mallory";
    private static final long FILE_BYTES = 8L * 1024 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration FLUSH = Duration.ofSeconds(10);

    @TempDir
    static Path serverDir;
    private static NatsServerProcess server;

    @BeforeAll
    static void startServerWithTheExampleConfiguration() throws IOException {
        assertTrue(Files.isRegularFile(EXAMPLE), "the example configuration is at " + EXAMPLE.toAbsolutePath());
        Path config = Files.copy(EXAMPLE, serverDir.resolve("nats-permissions.conf"));
        // The fixture's -a/-p (loopback, a free port) come first; the file adds authorization.
        server = NatsServers.process().args("-c", config.toString()).start();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aliceSendsBobAFileThatArrivesByteIdentical(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("report.bin");
        Path outDir = Files.createDirectory(dir.resolve("incoming"));
        String expected = Transfers.writeFile(source, FILE_BYTES, 8);
        try (NatsNetwork a = connect(ALICE);
                NatsNetwork b = connect(BOB);
                Endpoint bob = Endpoint.open(b, BOB_INBOX);
                Endpoint alice = Endpoint.open(a, ALICE_INBOX)) {
            CompletableFuture<FileTransferStats> sent = CompletableFuture.supplyAsync(() -> {
                try (Session s = alice.connect(BOB_INBOX)) {
                    return FileTransfer.send(s, source);
                } catch (IOException e) {
                    throw new IllegalStateException("alice's send failed: " + e, e);
                }
            });
            ReceivedFile got;
            try (Session s = bob.accept(WAIT)) {
                // What `swp recv --from files.alice` compares; see malloryCannotOpenASessionAsAlice.
                assertEquals(ALICE_INBOX, s.remoteInbox());
                got = FileTransfer.receive(s, outDir);
            }
            FileTransferStats stats = sent.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertNotNull(got, "bob received a file");
            assertEquals(FILE_BYTES, got.size());
            assertEquals(expected, stats.blake2b256(), "alice hashed what she wrote");
            assertEquals(expected, got.blake2b256(), "bob verified the same BLAKE2b-256");
            assertEquals(expected, Transfers.blake2b(got.path()), "the stored file is byte-identical");
            // The permissions are enough for swp: the server refused nothing either of them did.
            assertEquals(0, a.events().orElseThrow().serverErrors(), "server errors on alice's connection");
            assertEquals(0, b.events().orElseThrow().serverErrors(), "server errors on bob's connection");
        }
    }

    @Test
    void malloryCannotSubscribeToBobsInbox() throws Exception {
        ServerErrors malloryErrors = new ServerErrors();
        try (NatsNetwork m = connect(MALLORY, malloryErrors);
                NatsNetwork a = connect(ALICE);
                NatsNetwork b = connect(BOB);
                Endpoint bob = Endpoint.open(b, BOB_INBOX);
                Endpoint alice = Endpoint.open(a, ALICE_INBOX)) {
            AtomicLong snooped = new AtomicLong();
            // jnats subscribes without waiting for the server, so bind "succeeds"; the
            // server's refusal comes back as an -ERR through the ErrorListener.
            m.bind(BOB_INBOX, frame -> snooped.incrementAndGet());
            m.bind("files.>", frame -> snooped.incrementAndGet());
            m.bind(">", frame -> snooped.incrementAndGet());
            await("mallory's subscriptions refused").atMost(WAIT).until(() -> malloryErrors.texts().containsAll(List.of(
                    "Permissions Violation for Subscription to \"files.bob\"",
                    "Permissions Violation for Subscription to \"files.>\"",
                    "Permissions Violation for Subscription to \">\"")));

            Transfers.Result r = Transfers.stream(alice, bob, 1024 * 1024, 9, n -> { });
            assertTrue(r.identical(), r.toString());
            assertTrue(bob.stats().framesReceived() > 0, "frames went through bob's inbox");
            // Every frame bob received was queued for every subscriber of files.bob before bob
            // got it; after this round trip, any of them for mallory would have arrived.
            m.connection().flush(FLUSH);
            assertEquals(0, m.connection().getStatistics().getInMsgs(), "messages delivered to mallory");
            assertEquals(0, snooped.get(), "frames handed to mallory's bindings");
        }
    }

    @Test
    void malloryCannotPublishIntoAlicesInbox() throws Exception {
        ServerErrors malloryErrors = new ServerErrors();
        SessionConfig quick = SessionConfig.builder().connectTimeout(Duration.ofSeconds(2)).build();
        try (NatsNetwork m = connect(MALLORY, malloryErrors);
                NatsNetwork a = connect(ALICE);
                NatsNetwork b = connect(BOB);
                Endpoint alice = Endpoint.open(a, ALICE_INBOX);
                Endpoint bob = Endpoint.open(b, BOB_INBOX);
                Endpoint guest = Endpoint.open(m, MALLORY_INBOX)) {
            a.connection().flush(FLUSH); // alice's subscription is in place at the server

            SessionException e = assertThrows(SessionException.class, () -> guest.connect(ALICE_INBOX, quick));
            assertEquals(CloseReason.CONNECT_TIMEOUT, e.reason(), e.getMessage());
            assertTrue(malloryErrors.texts().contains("Permissions Violation for Publish to \"files.alice\""),
                    "mallory's SYNs to alice were refused: " + malloryErrors.texts());
            // Mallory's publishes were all handled before the PONG of her flush; alice's flush
            // then returns after anything the server had delivered to her.
            m.connection().flush(FLUSH);
            a.connection().flush(FLUSH);
            assertEquals(0, a.connection().getStatistics().getInMsgs(), "messages delivered to alice");
            assertEquals(0, alice.stats().framesReceived(), "frames at alice's endpoint");

            // The guest's one permission works: a session with bob's drop box.
            Transfers.Result r = Transfers.stream(guest, bob, 64 * 1024, 10, n -> { });
            assertTrue(r.identical(), r.toString());
        }
    }

    /**
     * Frames carry their sender's inbox as a plain field, so mallory, allowed to publish
     * into bob's inbox, can claim to be {@code files.alice}. The handshake sends bob's nonce
     * to the claimed inbox, which she may not subscribe to: she never learns it, cannot
     * complete the handshake, and bob never accepts a session "from alice" that is hers.
     */
    @Test
    void malloryCannotOpenASessionAsAlice() throws Exception {
        ServerErrors malloryErrors = new ServerErrors();
        SessionConfig quick = SessionConfig.builder().connectTimeout(Duration.ofSeconds(2)).build();
        try (NatsNetwork m = connect(MALLORY, malloryErrors);
                NatsNetwork a = connect(ALICE);
                NatsNetwork b = connect(BOB);
                Endpoint alice = Endpoint.open(a, ALICE_INBOX);
                Endpoint bob = Endpoint.open(b, BOB_INBOX);
                Endpoint impostor = Endpoint.open(m, ALICE_INBOX)) {
            await("mallory's subscription to alice's inbox refused").atMost(WAIT).until(() -> malloryErrors.texts()
                    .contains("Permissions Violation for Subscription to \"files.alice\""));

            SessionException e = assertThrows(SessionException.class, () -> impostor.connect(BOB_INBOX, quick));
            assertEquals(CloseReason.CONNECT_TIMEOUT, e.reason(), e.getMessage());
            // Bob answered each SYN statelessly: its SYN_ACKs went to the real alice, whose
            // endpoint knew no such session and reset them; bob never held a session.
            await("alice resets bob's SYN_ACKs").atMost(WAIT).until(() -> alice.stats().resetsSent() >= 1);
            assertEquals(0, bob.stats().sessionsOpened(), "bob opened a session for the SYN: " + bob.stats());
            assertEquals(0, m.connection().getStatistics().getInMsgs(), "messages delivered to mallory");

            // The real alice still gets through, and hers is the only session bob accepts.
            Transfers.Result r = Transfers.stream(alice, bob, 64 * 1024, 11, n -> { });
            assertTrue(r.identical(), r.toString());
        }
    }

    private static NatsNetwork connect(Credentials user) throws IOException {
        return NatsNetwork.connect(NatsNetwork.optionsBuilder(server.url())
                .userInfo(user.name(), user.password()).build());
    }

    /** Connects with {@code errors} as the error listener, to see the server's -ERR texts. */
    private static NatsNetwork connect(Credentials user, ServerErrors errors) throws IOException {
        return NatsNetwork.connect(NatsNetwork.optionsBuilder(server.url())
                .userInfo(user.name(), user.password()).errorListener(errors).build());
    }

    private record Credentials(String name, String password) {
    }

    /** Records the server's -ERR texts as jnats reports them (without the quotes around them). */
    private static final class ServerErrors implements ErrorListener {
        private final List<String> texts = new CopyOnWriteArrayList<>();

        @Override
        public void errorOccurred(Connection connection, String error) {
            texts.add(error);
        }

        List<String> texts() {
            return texts;
        }
    }
}
