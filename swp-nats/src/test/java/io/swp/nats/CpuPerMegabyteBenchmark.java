package io.swp.nats;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import io.swp.Endpoint;
import io.swp.Session;
import io.swp.SessionConfig;
import io.swp.nats.testing.NatsServers;
import io.swp.nats.testing.NatsTestServer;
import io.swp.protocol.EngineStats;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Steady-state goodput and CPU per megabyte of raw pub/sub against an swp stream (no file,
 * no hashing), alternating in one warmed-up JVM over one loopback nats-server. CPU is this
 * JVM's process time and, when the fixture started a local {@code nats-server}, the
 * server's: on a small machine goodput follows CPU per byte, and these figures say whose.
 * A benchmark, not part of the default build; run with
 * {@code ./mvnw -B -pl swp-nats -am verify -Pbench -Dtest=CpuPerMegabyteBenchmark -Dsurefire.failIfNoSpecifiedTests=false [-Dswp.cpuBench.mib=256] [-Dswp.cpuBench.rounds=3]}
 * and read the table on the console.
 */
@Tag("benchmark")
@Timeout(value = 60, unit = TimeUnit.MINUTES) // the run length follows the size properties
class CpuPerMegabyteBenchmark {
    private static final long MIB = 1024 * 1024;
    private static final int DEFAULT_MIB = 256;
    private static final int DEFAULT_ROUNDS = 3;
    /** Untimed rounds first: C2 needs some 10^4 frames before the per-frame paths are compiled. */
    private static final int WARMUP_ROUNDS = 2;
    private static final int WRITE_BYTES = 64 * 1024;
    private static final int FRAME_BYTES = SessionConfig.defaults().maxPayloadBytes();
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);

    @Test
    void rawAgainstSwpStream() throws Exception {
        long bytes = Long.getLong("swp.cpuBench.mib", DEFAULT_MIB) * MIB;
        int rounds = Integer.getInteger("swp.cpuBench.rounds", DEFAULT_ROUNDS);
        try (NatsTestServer server = NatsServers.start()) {
            Optional<ProcessHandle> natsServer = ProcessHandle.current().descendants()
                    .filter(p -> p.info().command().orElse("").endsWith("nats-server")).findFirst();
            for (int i = 0; i < WARMUP_ROUNDS; i++) {
                raw(server.url(), bytes);
                stream(server.url(), bytes);
            }
            System.out.printf("%nsteady state, %d MiB per run, %d KiB frames, %d cores, JDK %s, server %s%n",
                    bytes / MIB, FRAME_BYTES / 1024, Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.version"), server.description());
            System.out.printf("%-10s %8s %14s %16s %10s %s%n", "what", "MB/s", "JVM CPU ms/MB", "server CPU ms/MB",
                    "swp/raw", "notes");
            for (int r = 0; r < rounds; r++) {
                Measured raw = measure(natsServer, bytes, () -> raw(server.url(), bytes));
                Measured swp = measure(natsServer, bytes, () -> stream(server.url(), bytes));
                print("raw", raw, "", "");
                print("swp", swp, String.format("%.2f", swp.mbps / raw.mbps), swp.notes);
            }
        }
    }

    private record Measured(double mbps, double jvmMsPerMb, double serverMsPerMb, String notes) {
    }

    private interface Run {
        String go() throws Exception;
    }

    private static void print(String what, Measured m, String ratio, String notes) {
        System.out.printf("%-10s %8.1f %14.2f %16s %10s %s%n", what, m.mbps, m.jvmMsPerMb,
                Double.isNaN(m.serverMsPerMb) ? "n/a" : String.format("%.2f", m.serverMsPerMb), ratio, notes);
    }

    private static Measured measure(Optional<ProcessHandle> server, long bytes, Run run) throws Exception {
        long jvm0 = jvmCpuNanos();
        long server0 = serverCpuNanos(server);
        long t0 = System.nanoTime();
        String notes = run.go();
        long nanos = System.nanoTime() - t0;
        double mb = bytes / 1e6;
        long server1 = serverCpuNanos(server);
        double serverMs = server0 < 0 || server1 < 0 ? Double.NaN : (server1 - server0) / 1e6 / mb;
        return new Measured(mb / (nanos / 1e9), (jvmCpuNanos() - jvm0) / 1e6 / mb, serverMs, notes);
    }

    private static long jvmCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static long serverCpuNanos(Optional<ProcessHandle> server) {
        return server.flatMap(p -> p.info().totalCpuDuration()).map(Duration::toNanos).orElse(-1L);
    }

    /** One publisher and one subscriber connection, jnats defaults; waits for every message. */
    @SuppressWarnings("try") // jnats' Connection.close() declares InterruptedException
    private static String raw(String url, long bytes) throws Exception {
        long messages = bytes / FRAME_BYTES;
        AtomicLong received = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        try (Connection sub = Nats.connect(url); Connection pub = Nats.connect(url)) {
            String subject = "bench.cpu.raw";
            Dispatcher dispatcher = sub.createDispatcher(m -> {
                if (received.incrementAndGet() == messages) {
                    done.countDown();
                }
            });
            dispatcher.subscribe(subject);
            sub.flush(DRAIN_TIMEOUT);
            byte[] payload = new byte[FRAME_BYTES];
            new SplittableRandom(1).nextBytes(payload);
            for (long i = 0; i < messages; i++) {
                pub.publish(subject, payload);
            }
            pub.flush(DRAIN_TIMEOUT);
            if (!done.await(DRAIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                return (messages - received.get()) + " of " + messages + " messages lost";
            }
            return "";
        }
    }

    /** One session between two NatsNetworks, 64 KiB writes, read to end of stream, no hashing. */
    private static String stream(String url, long bytes) throws Exception {
        try (NatsNetwork a = NatsNetwork.connect(url);
                NatsNetwork b = NatsNetwork.connect(url);
                Endpoint sender = Endpoint.open(a, "bench.cpu.sender");
                Endpoint receiver = Endpoint.open(b, "bench.cpu.receiver")) {
            CompletableFuture<Long> read = CompletableFuture.supplyAsync(() -> {
                try (Session s = receiver.accept(DRAIN_TIMEOUT)) {
                    if (s == null) {
                        throw new IllegalStateException("no session arrived");
                    }
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[WRITE_BYTES];
                    long total = 0;
                    for (int n; (n = in.read(buf)) >= 0; ) {
                        total += n;
                    }
                    return total;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            byte[] chunk = new byte[WRITE_BYTES];
            new SplittableRandom(2).nextBytes(chunk);
            Session s = sender.connect(receiver.localInbox());
            try (s) {
                OutputStream out = s.getOutputStream();
                for (long left = bytes; left > 0; left -= chunk.length) {
                    out.write(chunk, 0, (int) Math.min(left, chunk.length));
                }
            } // close() returns once the receiver acknowledged everything
            EngineStats stats = s.stats();
            long got = read.get(DRAIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (got != bytes) {
                throw new AssertionError("sent " + bytes + " bytes, received " + got);
            }
            return "retransmits " + stats.retransmits() + " (" + stats.timeouts() + " timeouts), acks received "
                    + stats.acksReceived() + " for " + stats.dataFramesSent() + " data frames, dispatcher drops "
                    + b.droppedFrames();
        }
    }
}
