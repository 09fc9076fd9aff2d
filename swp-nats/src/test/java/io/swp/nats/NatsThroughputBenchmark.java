package io.swp.nats;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import io.swp.Endpoint;
import io.swp.SessionConfig;
import io.swp.nats.testing.NatsServers;
import io.swp.nats.testing.NatsTestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Throughput over a loopback nats-server: raw core NATS pub/sub for comparison (no
 * flow control, drops counted) in the same run as swp transfers. A benchmark, not part
 * of the default build; run with
 * {@code ./mvnw -B -pl swp-nats -am verify -Pbench -Dtest=NatsThroughputBenchmark -Dsurefire.failIfNoSpecifiedTests=false [-Dswp.bench.mib=256]}
 * and read the table on the console.
 */
@Tag("benchmark")
@Timeout(value = 60, unit = TimeUnit.MINUTES) // the run length follows the size properties
class NatsThroughputBenchmark {
    private static final int DEFAULT_MIB = 256;
    private static final int[] RAW_MESSAGE_SIZES = {8 * 1024, 16 * 1024, 64 * 1024};
    private static final int[] SWP_PAYLOAD_SIZES = {8 * 1024, 16 * 1024, 32 * 1024, 64 * 1024};
    private static final long MIB = 1024 * 1024;

    @Test
    void loopbackThroughput() throws Exception {
        long bytes = Long.getLong("swp.bench.mib", DEFAULT_MIB) * MIB;
        List<String> rows = new ArrayList<>();
        try (NatsTestServer server = NatsServers.start()) {
            for (int size : RAW_MESSAGE_SIZES) {
                rows.add(rawPubSub(server.url(), bytes, size));
            }
            for (int payload : SWP_PAYLOAD_SIZES) {
                rows.add(swpStream(server.url(), bytes, payload));
            }
        }
        System.out.printf("%nloopback nats-server, %d MiB per run, %s, %d cores, JDK %s%n", bytes / MIB,
                System.getProperty("os.name"), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"));
        System.out.printf("%-44s %10s %10s %s%n", "what", "MB/s", "seconds", "notes");
        rows.forEach(System.out::println);
    }

    /** One swp session through two NatsNetworks (two connections), BLAKE2b on both ends. */
    private static String swpStream(String url, long bytes, int payloadBytes) throws Exception {
        SessionConfig config = SessionConfig.builder().maxPayloadBytes(payloadBytes).build();
        try (NatsNetwork a = NatsNetwork.connect(url);
                NatsNetwork b = NatsNetwork.connect(url);
                Endpoint sender = Endpoint.open(a, "bench.swp.sender", config);
                Endpoint receiver = Endpoint.open(b, "bench.swp.receiver", config)) {
            Transfers.Result r = Transfers.stream(sender, receiver, bytes, payloadBytes, n -> { });
            if (!r.identical()) {
                throw new AssertionError("swp transfer corrupted: " + r);
            }
            String label = "swp stream, " + payloadBytes / 1024 + " KiB payload" + (payloadBytes == SessionConfig.defaults()
                    .maxPayloadBytes() ? " (default)" : "");
            return String.format("%-44s %10.1f %10.2f %s", label, r.megabytesPerSecond(), r.seconds(),
                    "BLAKE2b verified, retransmits " + r.senderStats().retransmits() + ", dropped " + b.droppedFrames()
                            + ", send drops " + a.sendDrops());
        }
    }

    /** One publisher and one subscriber connection, jnats defaults: what applications do today. */
    @SuppressWarnings("try") // jnats' Connection.close() declares InterruptedException
    private static String rawPubSub(String url, long bytes, int messageBytes) throws Exception {
        long messages = bytes / messageBytes;
        AtomicLong received = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        try (Connection sub = Nats.connect(url); Connection pub = Nats.connect(url)) {
            Dispatcher dispatcher = sub.createDispatcher(m -> {
                if (received.incrementAndGet() == messages) {
                    done.countDown();
                }
            });
            dispatcher.subscribe("bench.raw");
            sub.flush(Duration.ofSeconds(5));
            byte[] payload = new byte[messageBytes];
            long start = System.nanoTime();
            for (long i = 0; i < messages; i++) {
                pub.publish("bench.raw", payload);
            }
            pub.flush(Duration.ofSeconds(60));
            // Dropped messages never arrive: wait until all arrived or arrivals stop.
            long last = -1;
            while (!done.await(500, TimeUnit.MILLISECONDS) && received.get() != last) {
                last = received.get();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long got = received.get();
            return String.format("%-44s %10.1f %10.2f %s", "raw NATS pub/sub, " + messageBytes / 1024 + " KiB messages",
                    got * (double) messageBytes / 1e6 / seconds, seconds,
                    "delivered " + got + "/" + messages + ", dropped " + dispatcher.getDroppedCount());
        }
    }
}
