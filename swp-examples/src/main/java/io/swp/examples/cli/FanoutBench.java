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
 * client publishes), which is what the server's {@code in_bytes} counts too.
 */
final class FanoutBench {
    private static final Duration WAIT = Duration.ofMinutes(10);

    private FanoutBench() {
    }

    /**
     * @param nanos wall time from the first byte sent until every receiver had the file verified
     * @param serverInBytes bytes of frames all clients published into the server
     * @param senderBytes of those, the publisher's or sender's
     */
    record Result(long nanos, long serverInBytes, long senderBytes) {
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

    static Result fanout(String server, Path file, Path work, int receivers) throws Exception {
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
            return new Result(nanos, p + subBytes.get() - startSub, p);
        } finally {
            pool.shutdownNow();
            subs.forEach(Subscription::close);
            nets.forEach(Network::close);
        }
    }

    static Result unicast(String server, Path file, Path work, int receivers) throws Exception {
        String prefix = "swp.bench.unicast." + Long.toHexString(new SplittableRandom().nextLong() >>> 1);
        AtomicLong senderBytes = new AtomicLong();
        AtomicLong receiverBytes = new AtomicLong();
        List<Network> nets = new ArrayList<>();
        List<Endpoint> endpoints = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(2 * receivers);
        try (Network senderNet = new Counting(NatsNetwork.connect(server), senderBytes);
             Endpoint sender = Endpoint.open(senderNet, prefix + ".sender")) {
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
            return new Result(nanos, senderBytes.get() + receiverBytes.get(), senderBytes.get());
        } finally {
            pool.shutdownNow();
            endpoints.forEach(Endpoint::close);
            nets.forEach(Network::close);
        }
    }
}
