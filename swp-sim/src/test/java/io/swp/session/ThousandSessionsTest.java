package io.swp.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swp.Endpoint;
import io.swp.EndpointConfig;
import io.swp.Session;
import io.swp.SessionConfig;
import io.swp.sim.InMemoryNetwork;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A thousand sessions between two endpoints at once, each moving 256 KiB that is verified,
 * while the JVM's thread count stays small: the runtime runs one loop thread per endpoint,
 * not one per session.
 */
class ThousandSessionsTest {
    private static final Logger LOG = LoggerFactory.getLogger(ThousandSessionsTest.class);
    private static final int SESSIONS = 1000;
    private static final int BYTES_PER_SESSION = 256 * 1024;
    private static final int WORKERS = 8;
    /** Test threads (JUnit, workers, sampler) plus two loops, two deliverers and the JVM's own. */
    private static final int THREAD_BOUND = 50;

    @Test
    void thousandConcurrentSessionsWithBoundedThreads() throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        AtomicInteger maxThreads = new AtomicInteger(threads.getThreadCount());
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(() -> maxThreads.accumulateAndGet(threads.getThreadCount(), Math::max),
                0, 10, TimeUnit.MILLISECONDS);
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        long start = System.nanoTime();
        try (InMemoryNetwork net = InMemoryNetwork.create();
             Endpoint server = Endpoint.open(net, "server", EndpointConfig.builder().acceptBacklog(SESSIONS).build());
             Endpoint client = Endpoint.open(net, "client")) {
            List<Future<Session>> connects = new ArrayList<>();
            for (int i = 0; i < SESSIONS; i++) {
                connects.add(pool.submit(() -> client.connect("server")));
            }
            List<Session> accepted = new ArrayList<>();
            for (int i = 0; i < SESSIONS; i++) {
                Session s = server.accept(Duration.ofSeconds(30));
                assertNotNull(s, "only " + i + " sessions accepted");
                accepted.add(s);
            }
            List<Session> clients = new ArrayList<>();
            for (Future<Session> f : connects) {
                clients.add(f.get(30, TimeUnit.SECONDS));
            }
            assertEquals(SESSIONS, server.sessionCount());
            assertEquals(SESSIONS, client.sessionCount());

            // Every client writes its data (the send buffer holds it all), so all thousand
            // sessions transfer at once while the workers read and verify.
            List<Future<byte[]>> written = new ArrayList<>();
            for (int i = 0; i < SESSIONS; i++) {
                Session c = clients.get(i);
                long seed = i + 1;
                written.add(pool.submit(() -> {
                    byte[] d = Harness.writeGenerated(c.getOutputStream(), seed, BYTES_PER_SESSION, 32 * 1024);
                    c.shutdownOutput();
                    return d;
                }));
            }
            // Accept order need not match connect order, so data is matched by its hash.
            List<Future<Harness.Result>> read = new ArrayList<>();
            for (Session s : accepted) {
                read.add(pool.submit(() -> Harness.readAll(s.getInputStream(), 32 * 1024)));
            }
            Map<String, Integer> expected = new HashMap<>();
            for (Future<byte[]> f : written) {
                expected.merge(HexFormat.of().formatHex(f.get(60, TimeUnit.SECONDS)), 1, Integer::sum);
            }
            for (Future<Harness.Result> f : read) {
                Harness.Result r = f.get(60, TimeUnit.SECONDS);
                assertEquals(BYTES_PER_SESSION, r.bytes());
                String key = HexFormat.of().formatHex(r.digest());
                assertTrue(expected.merge(key, -1, Integer::sum) >= 0, "received data nobody sent: " + key);
            }
            List<Future<?>> closes = new ArrayList<>();
            for (int i = 0; i < SESSIONS; i++) {
                Session c = clients.get(i);
                Session s = accepted.get(i);
                closes.add(pool.submit(() -> {
                    c.close();
                    return null;
                }));
                closes.add(pool.submit(() -> {
                    s.close();
                    return null;
                }));
            }
            for (Future<?> f : closes) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            sampler.shutdownNow();
        }
        double secs = (System.nanoTime() - start) / 1e9;
        LOG.info("{} sessions x {} KiB in {} s; max live threads {}", SESSIONS, BYTES_PER_SESSION / 1024,
                String.format("%.1f", secs), maxThreads.get());
        assertTrue(maxThreads.get() < THREAD_BOUND, "live threads peaked at " + maxThreads.get());
    }
}
