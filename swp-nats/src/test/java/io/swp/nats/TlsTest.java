package io.swp.nats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.nats.testing.NatsServerProcess;
import io.swp.nats.testing.NatsServers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS end to end: a self-signed certificate made at test time with the JDK's keytool,
 * exported to PEM for nats-server, trusted by the client through an SSLContext.
 */
class TlsTest {
    private static final char[] STORE_PASSWORD = "swp-test".toCharArray();
    private static final String ALIAS = "nats";
    private static final Duration KEYTOOL_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    private static KeyStore keyStore;
    private static NatsServerProcess server;

    @BeforeAll
    static void startTlsServer() throws Exception {
        Path p12 = dir.resolve("server.p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process gen = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-alias", ALIAS,
                "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2",
                "-keystore", p12.toString(), "-storetype", "PKCS12",
                "-storepass", new String(STORE_PASSWORD), "-keypass", new String(STORE_PASSWORD)))
                .redirectErrorStream(true).start();
        String output = new String(gen.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(gen.waitFor(KEYTOOL_TIMEOUT.toSeconds(), TimeUnit.SECONDS) && gen.exitValue() == 0,
                "keytool failed: " + output);

        keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            keyStore.load(in, STORE_PASSWORD);
        }
        Certificate cert = keyStore.getCertificate(ALIAS);
        Key key = keyStore.getKey(ALIAS, STORE_PASSWORD);
        Path certPem = dir.resolve("cert.pem");
        Path keyPem = dir.resolve("key.pem");
        Files.writeString(certPem, pem("CERTIFICATE", cert.getEncoded()));
        Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded())); // PKCS#8, which nats-server reads
        server = NatsServers.process()
                .args("--tls", "--tlscert", certPem.toString(), "--tlskey", keyPem.toString()).start();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void connectsAndCarriesFramesOverTls() throws Exception {
        String url = server.url().replace("nats://", "tls://");
        NatsNetworkConfig config = NatsNetworkConfig.builder().connectTimeout(Duration.ofSeconds(5)).build();
        try (NatsNetwork net = NatsNetwork.connect(
                NatsNetwork.optionsBuilder(url, config, new NatsEvents()).sslContext(trusting(keyStore)).build(), config)) {
            assertTrue(net.connection().getServerInfo().isTLSRequired(), "the server requires TLS");
            BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
            net.bind("swp.tls", got::add);
            net.connection().flush(Duration.ofSeconds(5));
            byte[] frame = NatsNetworkTest.filled(100_000, 3);
            net.send("swp.tls", frame);
            assertArrayEquals(frame, got.poll(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void untrustedCertificateFailsClearly() throws Exception {
        String url = server.url().replace("nats://", "tls://");
        NatsNetworkConfig config = NatsNetworkConfig.builder().connectTimeout(Duration.ofSeconds(2)).build();
        KeyStore empty = KeyStore.getInstance("PKCS12");
        empty.load(null, null);
        IOException e = assertThrows(IOException.class, () -> NatsNetwork.connect(
                NatsNetwork.optionsBuilder(url, config, new NatsEvents()).sslContext(sslContext(empty)).build(), config));
        assertTrue(e.getMessage().startsWith("cannot connect to NATS"), e.getMessage());
    }

    private static SSLContext trusting(KeyStore withServerCert) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry(ALIAS, withServerCert.getCertificate(ALIAS));
        return sslContext(trust);
    }

    private static SSLContext sslContext(KeyStore trust) throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }
}
