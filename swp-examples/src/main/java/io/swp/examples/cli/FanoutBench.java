package io.swp.examples.cli;

import io.swp.Endpoint;
import io.swp.Network;
import io.swp.Publisher;
import io.swp.Session;
import io.swp.Subscription;
import io.swp.file.FileTransfer;
import io.swp.nats.NatsNetwork;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bench's one-to-many rows: one file to N receivers, once by a {@link Publisher} to N
 * {@link Subscription}s, once over N unicast sessions from one sender, every client on
 * its own connection. Bytes into the server are counted at the clients (every frame any
 * client hands to its connection; a frame the NATS client drops when its outgoing queue is
 * full counts too) and, given the monitoring URL, read from the server's {@code /varz}
 * {@code in_bytes} before and after (exact, if nothing else uses the server meanwhile).
 */
final class FanoutBench {
    private static final Duration WAIT = Duration.ofMinutes(10);

    private FanoutBench() {
    }

    /**
     * @param nanos wall time from the first byte sent until every receiver had the file verified
     * @param serverInBytes bytes of frames all clients handed to their NATS connections
     * @param senderBytes of those, the publisher's or sender's
     * @param varzInBytes what the server's monitoring endpoint counted coming in meanwhile, or -1
     */
    record Result(long nanos, long serverInBytes, long senderBytes, long varzInBytes) {
    }

    /**
     * Reads {@code in_bytes} from a nats-server monitoring endpoint ({@code /varz}).
     *
     * @param monitor the monitoring base URL (e.g. http://127.0.0.1:8222), or null
     * @return the count, or -1 without a URL
     */
    static long varzInBytes(String monitor) throws IOException, InterruptedException {
        if (monitor == null) {
            return -1;
        }
        String url = monitor.replaceAll("/+$", "") + "/varz";
        java.net.http.HttpResponse<String> r;
        try {
            r = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
        } catch (IOException | IllegalArgumentException e) {
            // The HTTP client's connect failures often carry no message, only a cause.
            Throwable why = e.getMessage() == null && e.getCause() != null ? e.getCause() : e;
            String reason = e instanceof java.net.ConnectException ? "cannot connect"
                    : why.getMessage() == null ? why.getClass().getSimpleName() : why.getMessage();
            throw new IOException("cannot read " + url + " (--monitor needs nats-server started with -m PORT): "
                    + reason, e);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"in_bytes\"\\s*:\\s*(\\d+)").matcher(r.body());
        if (r.statusCode() != 200 || !m.find()) {
            throw new IOException("no in_bytes at " + monitor + "/varz (HTTP " + r.statusCode() + ")");
        }
        return Long.parseLong(m.group(1));
    }

    /** A network that counts the bytes of every frame sent through it. */
    static final class Counting implements Network {
        private final Network delegate;
        private final AtomicLong bytes;

        Counting(Network delegate, AtomicLong bytes) {
            this.delegate = delegate;
            this.bytes = bytes;
        }

        @Override
        public InboxBinding bind(String inbox, FrameHandler handler) throws IOException {
            return delegate.bind(inbox, handler);
        }

        @Override
        public void send(String inbox, byte[] frame) throws IOException {
            bytes.addAndGet(frame.length);
            delegate.send(inbox, frame);
        }

        @Override
        public int maxFrameSize() {
            return delegate.maxFrameSize();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    static Result fanout(String server, String monitor, Path file, Path work, int receivers) throws Exception {
        String subject = "swp.bench.fanout." + Long.toHexString(new SplittableRandom().nextLong() >>> 1);
        AtomicLong pubBytes = new AtomicLong();
        AtomicLong subBytes = new AtomicLong();
        List<Network> nets = new ArrayList<>();
        List<Subscription> subs = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(receivers);
        try (Network pubNet = new Counting(NatsNetwork.connect(server), pubBytes);
             Publisher pub = Publisher.open(pubNet, subject)) {
            List<Future<?>> got = new ArrayList<>();
            for (int i = 0; i < receivers; i++) {
                Network n = new Counting(NatsNetwork.connect(server), subBytes);
                nets.add(n);
                Subscription s = Subscription.open(n, subject);
                subs.add(s);
                Path out = Files.createTempDirectory(work, "sub-");
                got.add(pool.submit(() -> s.receiveFile(out)));
            }
            pub.awaitReceivers(receivers, Duration.ofSeconds(30));
            long startPub = pubBytes.get();
            long startSub = subBytes.get();
            long startVarz = varzInBytes(monitor);
            long start = System.nanoTime();
            pub.sendFile(file);
            pub.finish();
            for (Future<?> f : got) {
                if (f.get(WAIT.toSeconds(), TimeUnit.SECONDS) == null) {
                    throw new IOException("a subscriber saw the end of the stream before the file");
                }
            }
            for (Publisher.ReceiverOutcome o : pub.awaitConfirmations(1, Duration.ofSeconds(30))) {
                if (!o.ok()) {
                    throw new IOException("fan-out bench: " + o);
                }
            }
            long nanos = System.nanoTime() - start;
            long p = pubBytes.get() - startPub;
            long varz = monitor == null ? -1 : varzInBytes(monitor) - startVarz;
            return new Result(nanos, p + subBytes.get() - startSub, p, varz);
        } finally {
            pool.shutdownNow();
            subs.forEach(Subscription::close);
            nets.forEach(Network::close);
        }
    }

    static Result unicast(String server, String monitor, Path file, Path work, int receivers) throws Exception {
        String prefix = "swp.bench.unicast." + Long.toHexString(new SplittableRandom().nextLong() >>> 1);
        AtomicLong senderBytes = new AtomicLong();
        AtomicLong receiverBytes = new AtomicLong();
        List<Network> nets = new ArrayList<>();
        List<Endpoint> endpoints = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(2 * receivers);
        try (Network senderNet = new Counting(NatsNetwork.connect(server), senderBytes);
             Endpoint sender = Endpoint.open(senderNet, prefix + ".sender", Transfers.loopbackSender())) {
            List<Future<?>> got = new ArrayList<>();
            for (int i = 0; i < receivers; i++) {
                Network n = new Counting(NatsNetwork.connect(server), receiverBytes);
                nets.add(n);
                Endpoint e = Endpoint.open(n, prefix + ".r" + i);
                endpoints.add(e);
                Path out = Files.createTempDirectory(work, "recv-");
                got.add(pool.submit(() -> {
                    try (Session s = e.accept(Duration.ofSeconds(60))) {
                        return FileTransfer.receive(s, out);
                    }
                }));
            }
            long startVarz = varzInBytes(monitor);
            long start = System.nanoTime();
            List<Future<?>> sent = new ArrayList<>();
            for (Endpoint e : endpoints) {
                sent.add(pool.submit(() -> {
                    try (Session s = sender.connect(e.localInbox())) {
                        return FileTransfer.send(s, file);
                    }
                }));
            }
            for (Future<?> f : sent) {
                f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            }
            for (Future<?> f : got) {
                f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            }
            long nanos = System.nanoTime() - start;
            long varz = monitor == null ? -1 : varzInBytes(monitor) - startVarz;
            return new Result(nanos, senderBytes.get() + receiverBytes.get(), senderBytes.get(), varz);
        } finally {
            pool.shutdownNow();
            endpoints.forEach(Endpoint::close);
            nets.forEach(Network::close);
        }
    }
}
