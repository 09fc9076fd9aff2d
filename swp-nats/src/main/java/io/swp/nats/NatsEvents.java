package io.swp.nats;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Consumer;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A jnats {@link ErrorListener} and {@link ConnectionListener} that logs through SLF4J
 * instead of java.util.logging, stays quiet about routine events (JetStream flow
 * control, each failed reconnect attempt) and counts what matters: slow-consumer events,
 * disconnects, reconnects and server errors.
 *
 * <p>{@link NatsNetwork#optionsBuilder(String)} installs one; a caller that builds its
 * own jnats {@code Options} can install one too ({@code errorListener(events)} and
 * {@code connectionListener(events)}) and hand it to {@link NatsNetwork#wrap}. Safe for
 * concurrent use.
 */
public final class NatsEvents implements ErrorListener, ConnectionListener {
    private static final Logger LOG = LoggerFactory.getLogger(NatsEvents.class);
    /** At most one slow-consumer warning per this interval; the rest go to DEBUG. */
    private static final long SLOW_CONSUMER_WARNING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long NEVER = Long.MIN_VALUE;

    private final AtomicLong slowConsumerEvents = new AtomicLong();
    private final AtomicLong disconnects = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong serverErrors = new AtomicLong();
    private final AtomicLong discardedMessages = new AtomicLong();
    private final AtomicBoolean connected = new AtomicBoolean();
    private final AtomicLong lastSlowConsumerWarning = new AtomicLong(NEVER);
    private volatile String lastUrl = "no server yet";

    /** Creates a listener with all counters at zero. */
    public NatsEvents() {
    }

    /**
     * @return how often jnats reported a slow consumer (a subscription or dispatcher that
     *     hit its pending limits and started dropping); each event may cover many drops
     */
    public long slowConsumerEvents() {
        return slowConsumerEvents.get();
    }

    /** @return how often the connection was lost */
    public long disconnects() {
        return disconnects.get();
    }

    /** @return how often the connection was re-established after a loss */
    public long reconnects() {
        return reconnects.get();
    }

    /** @return how many {@code -ERR} messages the server sent */
    public long serverErrors() {
        return serverErrors.get();
    }

    /** @return outgoing messages jnats discarded because its outgoing queue was full */
    public long discardedMessages() {
        return discardedMessages.get();
    }

    /**
     * jnats declares this abstract but deprecated and calls only the four-argument form,
     * so this merely forwards there.
     *
     * @deprecated jnats calls {@link #connectionEvent(Connection, Events, Long, String)}
     */
    @Deprecated
    @Override
    public void connectionEvent(Connection connection, Events event) {
        connectionEvent(connection, event, null, null);
    }

    @Override
    public void connectionEvent(Connection connection, Events event, Long time, String uriDetails) {
        switch (event) {
            case CONNECTED -> {
                rememberUrl(connection);
                connected.set(true);
            }
            case DISCONNECTED -> {
                // jnats repeats DISCONNECTED for failed reconnect attempts: count the loss once.
                if (connected.getAndSet(false)) {
                    disconnects.incrementAndGet();
                    LOG.warn("NATS connection to {} lost; reconnecting", lastUrl);
                } else {
                    LOG.debug("NATS reconnect attempt failed");
                }
            }
            case RECONNECTED -> {
                rememberUrl(connection);
                connected.set(true);
                reconnects.incrementAndGet();
                LOG.info("NATS connection re-established to {}", lastUrl);
            }
            case CLOSED -> {
                connected.set(false);
                LOG.debug("NATS connection closed");
            }
            case LAME_DUCK -> LOG.info("NATS server {} entered lame duck mode", lastUrl);
            default -> LOG.debug("NATS connection event {}", event);
        }
    }

    private void rememberUrl(Connection connection) {
        String url = connection == null ? null : connection.getConnectedUrl();
        if (url != null) {
            lastUrl = NatsNetwork.redact(url);
        }
    }

    @Override
    public void errorOccurred(Connection connection, String error) {
        serverErrors.incrementAndGet();
        LOG.warn("NATS server error: {}", error);
    }

    @Override
    public void exceptionOccurred(Connection connection, Exception exception) {
        // Every failed reconnect attempt lands here; the DISCONNECTED/RECONNECTED events
        // already tell the story at a useful level.
        LOG.debug("NATS client exception: {}", exception.toString());
    }

    @Override
    public void slowConsumerDetected(Connection connection, Consumer consumer) {
        long events = slowConsumerEvents.incrementAndGet();
        long now = System.nanoTime();
        long last = lastSlowConsumerWarning.get();
        // A flood can flip a consumer in and out of "slow" hundreds of times a second.
        boolean warn = (last == NEVER || now - last >= SLOW_CONSUMER_WARNING_INTERVAL_NANOS)
                && lastSlowConsumerWarning.compareAndSet(last, now);
        if (warn) {
            LOG.warn("NATS slow consumer ({} events so far): {} frames pending, {} dropped; swp retransmits them",
                    events, consumer.getPendingMessageCount(), consumer.getDroppedCount());
        } else {
            LOG.debug("NATS slow consumer ({} events so far): {} dropped", events, consumer.getDroppedCount());
        }
    }

    @Override
    public void messageDiscarded(Connection connection, Message message) {
        discardedMessages.incrementAndGet();
        LOG.debug("NATS discarded an outgoing message to {}", message.getSubject());
    }

    @Override
    public void heartbeatAlarm(Connection connection, JetStreamSubscription subscription,
            long lastStreamSequence, long lastConsumerSequence) {
        LOG.debug("NATS heartbeat alarm at stream sequence {}", lastStreamSequence);
    }

    @Override
    public void socketWriteTimeout(Connection connection) {
        LOG.warn("NATS socket write to {} timed out; the connection will be re-established", lastUrl);
    }
}
