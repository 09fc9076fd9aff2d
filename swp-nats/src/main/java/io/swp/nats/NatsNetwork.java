package io.swp.nats;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import io.nats.client.api.ServerInfo;
import io.swp.Network;
import java.io.IOException;
import java.time.Duration;
import java.io.InterruptedIOException;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * swp's {@link Network} on core NATS (jnats): an inbox is a NATS subject used verbatim,
 * a frame is the payload of one NATS message.
 *
 * <h2>Connection ownership</h2>
 * {@link #wrap(Connection)} uses a connection the caller opened and keeps owning:
 * {@link #close()} then unsubscribes but leaves the connection open, so many networks,
 * sessions and other NATS users can share it. {@link #connect(String)} and
 * {@link #connect(Options)} open a connection that this network owns and closes.
 *
 * <h2>Delivery and flow control</h2>
 * All inboxes bound on one network share one jnats {@link Dispatcher} (one delivery
 * thread), whose pending limits are set explicitly from
 * {@link NatsNetworkConfig#pendingMessageLimit()} and
 * {@link NatsNetworkConfig#pendingByteLimit()}. Each binding reports the dispatcher's
 * free capacity (limit minus pending, in bytes less jnats' per-message protocol overhead)
 * as {@link InboxBinding#freeFrames()} and {@link InboxBinding#freeBytes()}, divided evenly among the bindings that share it, so
 * the windows all of them advertise together never exceed what the client can queue.
 * If the client still drops frames as a slow consumer, the drops are counted
 * ({@link InboxBinding#droppedFrames()}, {@link #droppedFrames()}, {@link NatsEvents})
 * and swp's retransmission repairs them.
 *
 * <h2>Failures</h2>
 * A connect failure (unreachable, refused, bad credentials, bad URL) is an
 * {@link IOException} within the configured connect timeout per server. Once connected,
 * jnats reconnects without limit; while it is disconnected, frames go into its reconnect
 * buffer, and a frame that does not fit is dropped and counted ({@link #sendDrops()}),
 * not thrown, because swp retransmits it. {@link #send} throws only when the connection
 * is closed for good, or the frame is larger than {@link #maxFrameSize()}.
 *
 * <p>Safe for concurrent use.
 */
public final class NatsNetwork implements Network {
    private static final Logger LOG = LoggerFactory.getLogger(NatsNetwork.class);
    private static final String CONNECTION_NAME = "swp";
    /**
     * Longest a publish waits for the outgoing queue's lock (other threads publishing on
     * the same connection); with discarding on, it never waits for room.
     */
    private static final Duration OUTGOING_QUEUE_LOCK_WAIT = Duration.ofMillis(20);
    /** "MSG " + " " + a subscription id + " " + a size, two line ends: bounded by 32. */
    private static final int NATS_MESSAGE_FRAMING_BYTES = 32;
    private static final Pattern CREDENTIALS_IN_URL = Pattern.compile("//([^/@:\\s\\[\\],]+)(:[^/@\\s,]*)?@");

    private final Connection connection;
    private final boolean ownsConnection;
    private final NatsNetworkConfig config;
    private final NatsEvents events;
    private final Dispatcher dispatcher;
    private final Set<Binding> bindings = ConcurrentHashMap.newKeySet();
    private final AtomicLong sendDrops = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile long lastKnownMaxPayload;
    // The binding told "more follow" by the last delivery, until its burst ends; only the
    // dispatcher's thread reads or writes it.
    private Binding burstOpen;

    private NatsNetwork(Connection connection, boolean ownsConnection, NatsNetworkConfig config, NatsEvents events) {
        this.connection = Objects.requireNonNull(connection, "connection");
        this.ownsConnection = ownsConnection;
        this.config = Objects.requireNonNull(config, "config");
        this.events = events;
        this.lastKnownMaxPayload = NatsNetworkConfig.DEFAULT_SERVER_MAX_PAYLOAD;
        this.dispatcher = connection.createDispatcher();
        dispatcher.setPendingLimits(config.pendingMessageLimit(), config.pendingByteLimit());
        refreshMaxPayload();
    }

    /**
     * Uses a connection the caller opened and keeps owning; {@link #close()} leaves it
     * open. Default {@link NatsNetworkConfig}.
     *
     * @param connection an open jnats connection
     * @return the network
     */
    public static NatsNetwork wrap(Connection connection) {
        return wrap(connection, NatsNetworkConfig.defaults(), eventsOf(connection.getOptions()));
    }

    /**
     * Uses a connection the caller opened and keeps owning; {@link #close()} leaves it
     * open.
     *
     * @param connection an open jnats connection
     * @param config the pending limits and header room to use (connect and reconnect
     *     settings do not apply: the caller configured the connection)
     * @param events the listener installed in the connection's options, whose counts
     *     {@link #events()} exposes, or {@code null}
     * @return the network
     */
    public static NatsNetwork wrap(Connection connection, NatsNetworkConfig config, NatsEvents events) {
        return new NatsNetwork(connection, false, config, events);
    }

    /**
     * Opens and owns a connection to a NATS server or cluster with swp's defaults
     * (unlimited reconnects, bounded connect timeout, quiet SLF4J listener).
     *
     * @param urls one NATS URL ({@code nats://host:4222}, {@code tls://host:4222}) or a
     *     comma-separated list of them; credentials may be embedded as
     *     {@code nats://user:password@host:port} or {@code nats://token@host:port}
     * @return the network
     * @throws IOException if no server of the list accepts the connection within the
     *     connect timeout, or the URL list is malformed
     */
    public static NatsNetwork connect(String urls) throws IOException {
        return connect(urls, NatsNetworkConfig.defaults());
    }

    /**
     * Opens and owns a connection with swp's defaults, tuned by {@code config}.
     *
     * @param urls one NATS URL or a comma-separated list of them
     * @param config the tunables
     * @return the network
     * @throws IOException if no server accepts the connection or the URL list is malformed
     */
    public static NatsNetwork connect(String urls, NatsNetworkConfig config) throws IOException {
        NatsEvents events = new NatsEvents();
        Options options;
        try {
            options = optionsBuilder(urls, config, events).build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IOException("invalid NATS server URL list '" + redact(urls) + "': " + redact(e.getMessage()), e);
        }
        return connect(options, config);
    }

    /**
     * Opens and owns a connection with options the caller built, so anything jnats
     * supports (credentials files, NKeys, JWTs, TLS contexts, …) works. The options are
     * used as given: start from {@link #optionsBuilder(String)} to keep swp's reconnect,
     * timeout and listener defaults.
     *
     * @param options jnats options
     * @return the network
     * @throws IOException if no server accepts the connection
     */
    public static NatsNetwork connect(Options options) throws IOException {
        return connect(options, NatsNetworkConfig.defaults());
    }

    /**
     * Opens and owns a connection with options the caller built.
     *
     * @param options jnats options
     * @param config the pending limits and header room to use
     * @return the network
     * @throws IOException if no server accepts the connection
     */
    public static NatsNetwork connect(Options options, NatsNetworkConfig config) throws IOException {
        Connection connection = openConnection(options);
        try {
            return new NatsNetwork(connection, true, config, eventsOf(options));
        } catch (RuntimeException e) {
            closeQuietly(connection);
            throw e;
        }
    }

    /**
     * A jnats options builder with swp's defaults and a fresh {@link NatsEvents}; add
     * credentials, TLS or NKeys to it, then pass the result to {@link #connect(Options)}.
     *
     * @param urls one NATS URL or a comma-separated list of them
     * @return the builder
     * @throws IllegalArgumentException if a URL is malformed
     */
    public static Options.Builder optionsBuilder(String urls) {
        return optionsBuilder(urls, NatsNetworkConfig.defaults(), new NatsEvents());
    }

    /**
     * A jnats options builder with swp's connection settings from {@code config}:
     * the servers of {@code urls}, unlimited reconnects, the connect timeout, reconnect
     * wait and buffer, pings, and {@code events} as error and connection listener. A
     * publish never waits for room in jnats's outgoing queue: when it is full the frame
     * is discarded (counted in {@link NatsEvents#discardedMessages()}) and swp's
     * retransmission repairs it, because a publish that blocks would stall the
     * endpoint's loop, and with it every session of the endpoint, for up to jnats's
     * default push timeout of 2 s.
     *
     * @param urls one NATS URL or a comma-separated list of them
     * @param config the connection settings
     * @param events the listener to install
     * @return the builder
     * @throws IllegalArgumentException if a URL is malformed or the list is empty
     */
    public static Options.Builder optionsBuilder(String urls, NatsNetworkConfig config, NatsEvents events) {
        return new Options.Builder()
                .servers(splitUrls(urls))
                .connectionName(CONNECTION_NAME)
                .connectionTimeout(config.connectTimeout())
                .maxReconnects(-1)
                .reconnectWait(config.reconnectWait())
                .reconnectBufferSize(config.reconnectBufferBytes())
                .pingInterval(config.pingInterval())
                .maxPingsOut(config.maxPingsOut())
                .discardMessagesWhenOutgoingQueueFull()
                .writeQueuePushTimeout(OUTGOING_QUEUE_LOCK_WAIT)
                .errorListener(events)
                .connectionListener(events);
    }

    /**
     * @param urls one URL or a comma-separated list, blanks around commas ignored
     * @return the URLs
     * @throws IllegalArgumentException if the list holds no URL
     */
    static String[] splitUrls(String urls) {
        if (urls == null) {
            throw new IllegalArgumentException("no NATS server URL given");
        }
        String[] list = Arrays.stream(urls.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .toArray(String[]::new);
        if (list.length == 0) {
            throw new IllegalArgumentException("no NATS server URL given");
        }
        return list;
    }

    /**
     * Delivers on the dispatcher's thread, telling the handler whether more messages wait in
     * the dispatcher's queue: the endpoint then wakes its loop once per burst, not once per
     * frame. The dispatcher pops the next message as soon as this returns; if it is for
     * another inbox, the burst of this one ends first (the contract of
     * {@link FrameHandler#onFrame(byte[], boolean)}).
     */
    private void deliverTo(Binding b, byte[] frame) {
        Binding open = burstOpen;
        if (open != null && open != b) {
            burstOpen = null;
            open.endBurst();
        }
        boolean more = dispatcher.getPendingMessageCount() > 0;
        burstOpen = more ? b : null;
        b.deliver(frame, more);
    }

    @Override
    public InboxBinding bind(String inbox, FrameHandler handler) throws IOException {
        Objects.requireNonNull(handler, "handler");
        ensureOpen();
        if (inbox == null || inbox.isBlank()) {
            throw new IOException("cannot bind an empty inbox");
        }
        Binding binding = new Binding(inbox, handler, dispatcher.getDroppedCount());
        try {
            binding.subscription = dispatcher.subscribe(inbox, message -> deliverTo(binding, message.getData()));
        } catch (IllegalArgumentException e) {
            throw new IOException("cannot bind inbox '" + inbox + "': " + e.getMessage(), e);
        } catch (IllegalStateException e) {
            throw new IOException("cannot bind inbox '" + inbox + "': NATS connection is " + connection.getStatus(), e);
        }
        bindings.add(binding);
        return binding;
    }

    @Override
    public void send(String inbox, byte[] frame) throws IOException {
        ensureOpen();
        int limit = maxFrameSize();
        if (frame.length > limit) {
            throw new IOException("frame of " + frame.length + " bytes exceeds this NATS network's limit of " + limit
                    + " bytes (server max_payload " + lastKnownMaxPayload + " minus " + config.headerRoomBytes()
                    + " bytes of header room)");
        }
        try {
            connection.publish(inbox, frame);
        } catch (IllegalArgumentException e) {
            throw new IOException("NATS refused a frame to '" + inbox + "': " + e.getMessage(), e);
        } catch (IllegalStateException e) {
            if (connection.getStatus() == Connection.Status.CLOSED) {
                throw new IOException("NATS connection is closed", e);
            }
            // Disconnected with a full reconnect buffer, or the outgoing queue stayed full:
            // the frame is lost like any other, and swp's retransmission recovers it.
            long drops = sendDrops.incrementAndGet();
            LOG.debug("dropped a frame to '{}' while NATS is {} ({} so far): {}", inbox, connection.getStatus(), drops,
                    e.getMessage());
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>The server's advertised max payload (the connected server's, or the last one
     * seen while disconnected; 1 MiB before any) minus
     * {@link NatsNetworkConfig#headerRoomBytes()}.
     */
    @Override
    public int maxFrameSize() {
        refreshMaxPayload();
        long frame = lastKnownMaxPayload - config.headerRoomBytes();
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, frame));
    }

    private void refreshMaxPayload() {
        ServerInfo info = connection.getServerInfo();
        if (info != null && info.getMaxPayload() > 0) {
            lastKnownMaxPayload = info.getMaxPayload();
        }
    }

    /** @return the jnats connection (owned by this network only if it opened it) */
    public Connection connection() {
        return connection;
    }

    /** @return the configuration in use */
    public NatsNetworkConfig config() {
        return config;
    }

    /** @return the listener counting slow-consumer and connection events, if one is known */
    public Optional<NatsEvents> events() {
        return Optional.ofNullable(events);
    }

    /** @return frames the shared dispatcher dropped as a slow consumer, over all inboxes */
    public long droppedFrames() {
        return dispatcher.getDroppedCount();
    }

    /** @return frames dropped on send because the connection could not queue them */
    public long sendDrops() {
        return sendDrops.get();
    }

    /** @return the number of inboxes currently bound */
    public int bindingCount() {
        return bindings.size();
    }

    /**
     * @param inbox a subject
     * @return the bytes jnats counts for a message to {@code inbox} beyond its payload:
     *     {@code MSG <subject> <sid> <size>\r\n} and the payload's closing {@code \r\n}
     */
    static long messageOverheadBytes(String inbox) {
        return inbox.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + NATS_MESSAGE_FRAMING_BYTES;
    }

    /** @return the dispatcher shared by all bindings (visible for tests) */
    Dispatcher dispatcher() {
        return dispatcher;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (Binding binding : bindings) {
            binding.close();
        }
        if (connection.getStatus() != Connection.Status.CLOSED) {
            try {
                connection.closeDispatcher(dispatcher);
            } catch (RuntimeException e) {
                LOG.debug("closing the NATS dispatcher failed: {}", e.toString());
            }
        }
        if (ownsConnection) {
            closeQuietly(connection);
        }
    }

    @Override
    public String toString() {
        return "NatsNetwork{" + connection.getConnectedUrl() + ", " + connection.getStatus() + ", bindings="
                + bindings.size() + "}";
    }

    private void ensureOpen() throws IOException {
        if (closed.get()) {
            throw new IOException("NatsNetwork is closed");
        }
        if (connection.getStatus() == Connection.Status.CLOSED) {
            throw new IOException("NATS connection is closed");
        }
    }

    private static Connection openConnection(Options options) throws IOException {
        try {
            return Nats.connect(options);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException interrupted = new InterruptedIOException("interrupted while connecting to NATS");
            interrupted.initCause(e);
            throw interrupted;
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot connect to NATS " + redact(options.getServers().toString()) + ": "
                    + describe(e), e);
        }
    }

    private static String describe(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : redact(e.getMessage());
    }

    /**
     * @param text text that may contain URLs with credentials
     * @return the text with every {@code //user:password@} shown as {@code //user:***@}
     *     and every {@code //token@} as {@code //***@}
     */
    static String redact(String text) {
        if (text == null) {
            return null;
        }
        return CREDENTIALS_IN_URL.matcher(text).replaceAll(m -> m.group(2) == null ? "//***@" : "//" + m.group(1) + ":***@");
    }

    private static NatsEvents eventsOf(Options options) {
        return options.getErrorListener() instanceof NatsEvents events ? events : null;
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.debug("closing the NATS connection failed: {}", e.toString());
        }
    }

    /** One inbox subscribed on the shared dispatcher. */
    private final class Binding implements InboxBinding {
        private final String inbox;
        private final FrameHandler handler;
        private final long droppedAtBind;
        private final long messageOverhead;
        private final AtomicBoolean bindingClosed = new AtomicBoolean();
        private volatile Subscription subscription;

        Binding(String inbox, FrameHandler handler, long droppedAtBind) {
            this.inbox = inbox;
            this.handler = handler;
            this.droppedAtBind = droppedAtBind;
            this.messageOverhead = messageOverheadBytes(inbox);
        }

        void endBurst() {
            try {
                handler.onBurstEnd();
            } catch (RuntimeException e) {
                LOG.warn("frame handler of inbox '{}' failed at the end of a burst", inbox, e);
            }
        }

        void deliver(byte[] frame, boolean more) {
            if (bindingClosed.get()) {
                return;
            }
            try {
                handler.onFrame(frame, more);
            } catch (RuntimeException e) {
                // One bad frame or handler bug must not stop delivery for every inbox.
                LOG.warn("frame handler of inbox '{}' failed; frame dropped", inbox, e);
            }
        }

        @Override
        public String inbox() {
            return inbox;
        }

        @Override
        public long freeFrames() {
            long free = dispatcher.getPendingMessageLimit() - dispatcher.getPendingMessageCount();
            return share(free);
        }

        /**
         * {@inheritDoc}
         *
         * <p>jnats counts each pending message's protocol line ({@code MSG <subject> <sid>
         * <size>}) against the byte limit too, so the bytes reported are frame bytes: the
         * dispatcher's free bytes less that overhead for as many messages as could still
         * arrive.
         */
        @Override
        public long freeBytes() {
            long freeBytes = Math.max(0, dispatcher.getPendingByteLimit() - dispatcher.getPendingByteCount());
            long freeFrames = Math.max(0, dispatcher.getPendingMessageLimit() - dispatcher.getPendingMessageCount());
            long arrivals = Math.min(freeFrames, freeBytes / messageOverhead + 1);
            return share(freeBytes - arrivals * messageOverhead);
        }

        /**
         * {@inheritDoc}
         *
         * <p>The whole pending byte limit of the shared dispatcher: every frame it holds
         * may be for this inbox.
         */
        @Override
        public long bufferLimitBytes() {
            return dispatcher.getPendingByteLimit();
        }

        /** An equal share of the dispatcher's free capacity for each binding on it. */
        private long share(long free) {
            return Math.max(0, free) / Math.max(1, bindings.size());
        }

        /**
         * {@inheritDoc}
         *
         * <p>The dispatcher is shared by every inbox of this network and jnats does not
         * say which inbox a dropped frame was for: this is every drop since this binding
         * was made.
         */
        @Override
        public long droppedFrames() {
            return dispatcher.getDroppedCount() - droppedAtBind;
        }

        @Override
        public void close() {
            if (!bindingClosed.compareAndSet(false, true)) {
                return;
            }
            bindings.remove(this);
            Subscription sub = subscription;
            if (sub != null && connection.getStatus() != Connection.Status.CLOSED) {
                try {
                    dispatcher.unsubscribe(sub);
                } catch (RuntimeException e) {
                    LOG.debug("unsubscribing inbox '{}' failed: {}", inbox, e.toString());
                }
            }
            // A message queued for this inbox may have been what the dispatcher's queue held
            // when another inbox was told that more follow; jnats now drops it unseen, so
            // that burst would never end.
            for (Binding other : bindings) {
                other.endBurst();
            }
        }

        @Override
        public String toString() {
            return "NatsInbox{" + inbox + "}";
        }
    }
}
