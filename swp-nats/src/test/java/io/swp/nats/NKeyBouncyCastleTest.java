package io.swp.nats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.AuthHandler;
import io.nats.client.NKey;
import io.nats.client.Options;
import io.swp.nats.testing.NatsServerProcess;
import io.swp.nats.testing.NatsServers;
import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * jnats' NKey code runs on bcprov-jdk18on alone: swp-nats excludes jnats' own
 * bcprov-lts8on (duplicate classes), so this proves the Ed25519 path still works, down
 * to authenticating against a real nats-server.
 */
class NKeyBouncyCastleTest {
    private static final String ED25519_SIGNER = "org/bouncycastle/crypto/signers/Ed25519Signer.class";

    @Test
    void onlyBcprovJdk18onProvidesTheEd25519Classes() throws IOException {
        List<URL> copies = Collections.list(getClass().getClassLoader().getResources(ED25519_SIGNER));
        assertEquals(1, copies.size(), "exactly one copy of Ed25519Signer on the class path: " + copies);
        assertTrue(copies.get(0).toString().contains("bcprov-jdk18on"), "it comes from bcprov-jdk18on: " + copies);
    }

    @Test
    void nkeySignsAndVerifies() throws GeneralSecurityException, IOException {
        SecureRandom random = new SecureRandom();
        NKey user = NKey.createUser(random);
        assertTrue(NKey.isValidPublicUserKey(user.getPublicKey()));
        byte[] message = "swp nonce".getBytes(StandardCharsets.UTF_8);
        byte[] signature = user.sign(message);
        assertEquals(64, signature.length, "Ed25519 signature length");
        assertTrue(user.verify(message, signature));

        byte[] tampered = message.clone();
        tampered[0] ^= 1;
        assertFalse(user.verify(tampered, signature), "a changed message fails verification");

        NKey publicOnly = NKey.fromPublicKey(user.getPublicKey());
        assertTrue(publicOnly.verify(message, signature), "verifies with the public key alone");
        NKey restored = NKey.fromSeed(user.getSeed());
        assertArrayEquals(user.getPublicKey(), restored.getPublicKey());
        assertArrayEquals(signature, restored.sign(message), "Ed25519 is deterministic");
        assertFalse(NKey.createUser(random).verify(message, signature), "another key does not verify");
    }

    @Test
    void connectsWithNKeyAuthentication() throws Exception {
        SecureRandom random = new SecureRandom();
        NKey allowed = NKey.createUser(random);
        NKey stranger = NKey.createUser(random);
        Path conf = Files.createTempFile("swp-nats-nkey", ".conf");
        Files.writeString(conf, "authorization {\n  users = [ { nkey: \"" + new String(allowed.getPublicKey())
                + "\" } ]\n}\n");
        try (NatsServerProcess server = NatsServers.process().args("-c", conf.toString()).start()) {
            NatsNetworkConfig config = NatsNetworkConfig.builder().connectTimeout(Duration.ofSeconds(2)).build();
            Options good = NatsNetwork.optionsBuilder(server.url(), config, new NatsEvents())
                    .authHandler(nkeyAuth(allowed)).build();
            try (NatsNetwork net = NatsNetwork.connect(good, config)) {
                BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
                net.bind("swp.nkey", got::add);
                net.connection().flush(Duration.ofSeconds(5));
                net.send("swp.nkey", new byte[] {1, 2, 3});
                assertArrayEquals(new byte[] {1, 2, 3}, got.poll(10, TimeUnit.SECONDS));
            }
            Options bad = NatsNetwork.optionsBuilder(server.url(), config, new NatsEvents())
                    .authHandler(nkeyAuth(stranger)).build();
            IOException e = assertThrows(IOException.class, () -> NatsNetwork.connect(bad, config));
            assertTrue(e.getMessage().contains("Authorization"), e.getMessage());
        } finally {
            Files.deleteIfExists(conf);
        }
    }

    /** The plain NKey challenge: the server's nonce signed with the user's seed. */
    private static AuthHandler nkeyAuth(NKey key) {
        return new AuthHandler() {
            @Override
            public byte[] sign(byte[] nonce) {
                try {
                    return key.sign(nonce);
                } catch (GeneralSecurityException | IOException e) {
                    throw new IllegalStateException("cannot sign the server nonce", e);
                }
            }

            @Override
            public char[] getID() {
                try {
                    return key.getPublicKey();
                } catch (GeneralSecurityException | IOException e) {
                    throw new IllegalStateException("cannot derive the public key", e);
                }
            }

            @Override
            public char[] getJWT() {
                return null;
            }
        };
    }
}
