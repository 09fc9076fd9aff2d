package io.swp.fanout;

import io.swp.sim.Impairments;
import io.swp.sim.SimNetwork;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Drives one {@link PublisherEngine} and many {@link ReceiverEngine}s over a
 * {@link SimNetwork} in virtual time: every subscriber binds the subject (fan-out), and
 * each copy passes through its own impairments. Counts what the publisher puts on the
 * subject at the network (a frame filter that never drops).
 */
final class FanoutHarness {
    static final String SUBJECT = "feed";
    static final String PUB_INBOX = "feed.pub";

    final SimNetwork net;
    final FanoutConfig config;
    final PublisherEngine pub;
    final List<Rx> receivers = new ArrayList<>();
    final List<PublisherEvent> pubEvents = new ArrayList<>();
    final Impairments impairments;
    long subjectBytesAtNetwork;
    long unicastBytesFromPublisher;
    boolean publisherAlive = true;
    private byte[] source = new byte[0];
    private int sourceOffset;
    private boolean finishWhenWritten;
    private long stream;
    /** Publication waits until this many receivers joined, like {@code Publisher.awaitReceivers}. */
    int expectMembers;

    /** One subscriber and what it delivered. */
    final class Rx {
        final ReceiverEngine engine;
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        final List<byte[]> messages = new ArrayList<>();
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        private boolean inMessage;
        boolean reading = true;
        boolean crashed;
        final List<io.swp.Network.InboxBinding> bindings = new ArrayList<>();

        Rx(ReceiverEngine engine) {
            this.engine = engine;
        }

        void crash() {
            crashed = true;
            bindings.forEach(io.swp.Network.InboxBinding::close);
        }

        void drain(long now) {
            FanoutChunk c;
            while (reading && (c = engine.pollChunk(now)) != null) {
                got.writeBytes(c.payload());
                // Message assembly that skips a message whose start it never saw (late join FROM_NOW).
                if (c.startOfMessage()) {
                    partial.reset();
                    inMessage = true;
                }
                if (inMessage) {
                    partial.writeBytes(c.payload());
                    if (c.endOfMessage()) {
                        messages.add(partial.toByteArray());
                        partial.reset();
                        inMessage = false;
                    }
                }
            }
        }
    }

    FanoutHarness(long seed, FanoutConfig config, Impairments impairments) {
        this.net = new SimNetwork(seed);
        this.config = config;
        this.impairments = impairments;
        this.stream = seed * 0x9E3779B97F4A7C15L | 1;
        net.impair(SUBJECT, impairments);
        net.impair(PUB_INBOX, impairments);
        net.setFrameFilter((to, frame, now) -> {
            if (to.equals(SUBJECT)) {
                subjectBytesAtNetwork += frame.length;
            }
            return false;
        });
        this.pub = new PublisherEngine(config, SUBJECT, PUB_INBOX, stream, 0);
        net.bind(PUB_INBOX, f -> {
            if (publisherAlive) {
                pub.handleFrame(f, net.now());
            }
        });
    }

    Rx addReceiver(FanoutConfig rxConfig) {
        int i = receivers.size();
        String inbox = "rx." + i;
        net.impair(inbox, impairments);
        ReceiverEngine e = new ReceiverEngine(rxConfig, SUBJECT, inbox, 1000 + i, net.now());
        Rx rx = new Rx(e);
        rx.bindings.add(net.bind(SUBJECT, f -> e.handleFrame(f, net.now())));
        rx.bindings.add(net.bind(inbox, f -> e.handleFrame(f, net.now())));
        receivers.add(rx);
        return rx;
    }

    /** Publishes {@code data} as one message, then the end of the stream. */
    void publish(byte[] data) {
        this.source = data;
        this.sourceOffset = 0;
        this.finishWhenWritten = true;
        this.expectMembers = receivers.size();
    }

    boolean allWritten() {
        return sourceOffset == source.length;
    }

    /**
     * Runs until {@code done} or the virtual deadline.
     *
     * @return whether done held
     */
    boolean runUntil(BooleanSupplier done, long deadline) {
        int spins = 0;
        while (!done.getAsBoolean()) {
            long now = net.now();
            if (now > deadline) {
                return false;
            }
            net.deliverDue();
            if (publisherAlive && pub.memberCount() >= expectMembers) {
                if (sourceOffset < source.length) {
                    sourceOffset += pub.write(source, sourceOffset, source.length - sourceOffset, true, now);
                }
                if (finishWhenWritten && sourceOffset == source.length) {
                    pub.finish(now);
                }
            }
            if (publisherAlive) {
                if (pub.pollTimeout() <= now) {
                    pub.handleTimeout(now);
                }
                FanoutTransmit t;
                while ((t = pub.pollTransmit(now)) != null) {
                    if (!t.toSubject()) {
                        unicastBytesFromPublisher += t.frame().length;
                    }
                    send(t);
                }
                PublisherEvent ev;
                while ((ev = pub.pollEvent()) != null) {
                    pubEvents.add(ev);
                }
            }
            for (Rx rx : receivers) {
                if (rx.crashed) {
                    continue;
                }
                rx.drain(now);
                if (rx.engine.pollTimeout() <= now) {
                    rx.engine.handleTimeout(now);
                }
                FanoutTransmit t;
                while ((t = rx.engine.pollTransmit(now)) != null) {
                    send(t);
                }
            }
            if (net.nextDeliveryTime() <= now) {
                continue;
            }
            long next = net.nextDeliveryTime();
            if (publisherAlive) {
                next = Math.min(next, pub.pollTimeout());
            }
            for (Rx rx : receivers) {
                if (!rx.crashed) {
                    next = Math.min(next, rx.engine.pollTimeout());
                }
            }
            if (next <= now) {
                // A deadline that a full round did not move; step past it rather than spin.
                if (++spins > 1000) {
                    throw new IllegalStateException("a deadline does not move at " + now + ": " + pub + " " + receivers.get(0).engine);
                }
                next = now + 1;
            } else {
                spins = 0;
            }
            if (next == Long.MAX_VALUE) {
                return done.getAsBoolean();
            }
            net.advanceTo(next);
        }
        return true;
    }

    private void send(FanoutTransmit t) {
        try {
            net.send(t.to(), t.frame());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] pattern(int size, long seed) {
        byte[] b = new byte[size];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }
}
