package io.swp.examples.cli;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The baseline swp is measured against: plain core NATS pub/sub of the same bytes in
 * frames of the same size, one publishing and one subscribing connection, no flow
 * control and no reliability. Whatever the subscriber's client drops (slow consumer) is
 * simply lost; the count is part of the result.
 */
final class RawPubSubBench {

    /** How long the subscriber may stay silent after the publisher finished before we stop waiting. */
    private static final Duration DRAIN_QUIET = Duration.ofSeconds(2);

    /**
     * @param messagesPublished frames the publisher sent
     * @param messagesReceived frames the subscriber saw
     * @param bytesReceived payload bytes the subscriber saw
     * @param nanos from the first publish to the last arrival
     */
    record Result(long messagesPublished, long messagesReceived, long bytesReceived, long nanos) {
        long dropped() {
            return messagesPublished - messagesReceived;
        }

        double mbps() {
            return ByteSize.mbps(bytesReceived, nanos);
        }
    }

    private RawPubSubBench() {
    }

    static Options options(String servers) {
        return new Options.Builder()
                .servers(servers.split(","))
                .connectionTimeout(Duration.ofSeconds(5))
                .errorListener(new ErrorListener() { })
                .build();
    }

    @SuppressWarnings("try") // jnats' Connection.close() declares InterruptedException
    static Result run(String servers, long totalBytes, int frameSize) throws Exception {
        Options options = options(servers);
        try (Connection pub = Nats.connect(options); Connection sub = Nats.connect(options)) {
            String subject = "swp.bench.raw." + Long.toHexString(new SplittableRandom().nextLong());
            AtomicLong received = new AtomicLong();
            AtomicLong receivedBytes = new AtomicLong();
            AtomicLong lastArrival = new AtomicLong();
            Dispatcher dispatcher = sub.createDispatcher(msg -> {
                receivedBytes.addAndGet(msg.getData().length);
                received.incrementAndGet();
                lastArrival.set(System.nanoTime());
            });
            dispatcher.subscribe(subject);
            sub.flush(Duration.ofSeconds(5));

            byte[] payload = new byte[frameSize];
            new SplittableRandom(1).nextBytes(payload);
            long frames = (totalBytes + frameSize - 1) / frameSize;
            long start = System.nanoTime();
            for (long i = 0; i < frames; i++) {
                pub.publish(subject, payload);
            }
            pub.flush(Duration.ofSeconds(30));

            long lastSeen = -1;
            long quietSince = System.nanoTime();
            while (received.get() < frames) {
                long now = System.nanoTime();
                long r = received.get();
                if (r != lastSeen) {
                    lastSeen = r;
                    quietSince = now;
                } else if (now - quietSince > DRAIN_QUIET.toNanos()) {
                    break;
                }
                Thread.sleep(5); // polling a counter owned by the client's dispatcher thread
            }
            long end = lastArrival.get() == 0 ? System.nanoTime() : lastArrival.get();
            sub.closeDispatcher(dispatcher);
            return new Result(frames, received.get(), receivedBytes.get(), end - start);
        }
    }
}
