package io.swp.file;

import io.swp.Session;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends files one after another over sessions it opens itself, and when a session fails
 * or cannot be opened, opens another after a back-off and continues: a file the receiver
 * holds in part resumes where the receiver's partial ends (see docs/files.md).
 *
 * <pre>{@code
 * FileSender sender = FileSender.builder(() -> endpoint.connect("bob"))
 *         .retryFor(Duration.ofMinutes(5))
 *         .build();
 * List<FileTransferStats> sent = sender.send(List.of(Path.of("a.iso"), Path.of("b.tar")));
 * }</pre>
 *
 * <p>It gives up when {@link Builder#retryFor} passes without progress, progress being a
 * file verified by the receiver or an attempt that resumed further into the current file
 * than the attempt before; and at once on a failure retrying cannot mend (the receiver
 * refused the file, the local file is unreadable: {@link FileTransferException#retryable()}).
 * Files already verified are not sent again. Not thread-safe: one {@code send} at a time.
 */
public final class FileSender {
    /** First pause after a failure. */
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(500);
    /** Longest pause between attempts; the pause doubles from the initial one up to this. */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(10);

    private static final Logger LOG = LoggerFactory.getLogger(FileSender.class);
    /** The pause varies by up to this fraction either way, so many senders do not retry in step. */
    private static final double JITTER = 0.2;

    /** Opens a session to the receiver: called for the first attempt and after every failure. */
    @FunctionalInterface
    public interface SessionOpener {
        /**
         * @return an established session
         * @throws IOException if the receiver or the network cannot be reached now
         */
        Session open() throws IOException;
    }

    /**
     * What happens during {@link #send}, for display. Called on the sending thread; every
     * method does nothing by default. {@link #LOGGING} logs each event at INFO.
     */
    public interface Listener {
        /** Logs every event through SLF4J at INFO (the default listener). */
        Listener LOGGING = new Listener() {
            @Override
            public void resumed(String name, long offset, long size) {
                LOG.info("resumed {} at {} of {}", name, offset, size);
            }

            @Override
            public void discarded(String name, String reason) {
                LOG.info("{}", reason);
            }

            @Override
            public void retrying(IOException failure, Duration delay, int attempt) {
                LOG.info("{}; retrying in {} ms (retry {})", failure.getMessage(), delay.toMillis(), attempt);
            }
        };

        /**
         * A file is about to be offered on a session.
         *
         * @param name the file name
         * @param size its size
         * @param session the session carrying it (for progress displays)
         */
        default void started(String name, long size, Session session) {
        }

        /**
         * The receiver holds the first {@code offset} bytes from an earlier attempt; only
         * the rest is sent.
         *
         * @param name the file name
         * @param offset bytes the receiver kept
         * @param size the file's size
         */
        default void resumed(String name, long offset, long size) {
        }

        /**
         * A partial at the receiver was not continued and the file is sent from 0.
         *
         * @param name the file name
         * @param reason one line saying why (a different version of the file, a prefix that
         *     does not match, a record that cannot be read)
         */
        default void discarded(String name, String reason) {
        }

        /**
         * A file was verified by the receiver.
         *
         * @param stats the transfer
         */
        default void sent(FileTransferStats stats) {
        }

        /**
         * An attempt failed and another follows after {@code delay}.
         *
         * @param failure what went wrong (a {@link FileTransferException} naming the file and
         *     position if a file was under way)
         * @param delay the pause before the next attempt
         * @param attempt how many retries this is, from 1
         */
        default void retrying(IOException failure, Duration delay, int attempt) {
        }
    }

    private final SessionOpener opener;
    private final Duration retryFor;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Listener listener;

    private FileSender(Builder b) {
        this.opener = b.opener;
        this.retryFor = b.retryFor;
        this.initialBackoff = b.initialBackoff;
        this.maxBackoff = b.maxBackoff;
        this.listener = b.listener;
    }

    /**
     * @param opener opens a session to the receiver, once per attempt
     * @return a builder; without further settings the sender does not retry
     */
    public static Builder builder(SessionOpener opener) {
        return new Builder(opener);
    }

    /** @return how long it keeps trying without progress (zero: no retries) */
    public Duration retryFor() {
        return retryFor;
    }

    /**
     * Sends one file; see {@link #send(List)}.
     *
     * @param file the file
     * @return what the transfer took
     * @throws IOException as for {@link #send(List)}
     */
    public FileTransferStats send(Path file) throws IOException {
        return send(List.of(file)).get(0);
    }

    /**
     * Sends the files in order, each verified by the receiver before the next, over as
     * many sessions as it takes. The last session is closed at the end.
     *
     * @param files regular files
     * @return one entry per file, in order
     * @throws FileTransferException if a file was refused or cannot be read, or the retry
     *     time passed without progress (the message says what failed last)
     * @throws IOException if the first session cannot be opened and retrying is off, or
     *     the thread was interrupted ({@link InterruptedIOException})
     */
    public List<FileTransferStats> send(List<Path> files) throws IOException {
        List<Path> todo = List.copyOf(files);
        List<FileTransferStats> done = new ArrayList<>();
        Map<Path, Long> bestOffset = new HashMap<>();
        long deadline = System.nanoTime() + retryFor.toNanos();
        Duration backoff = initialBackoff;
        int retries = 0;
        Session session = null;
        try {
            while (done.size() < todo.size()) {
                Path file = todo.get(done.size());
                ProgressWatch watch = new ProgressWatch(bestOffset.getOrDefault(file, 0L));
                try {
                    if (session == null) {
                        session = open();
                    }
                    FileTransferStats st = FileSending.send(session, file, watch);
                    done.add(st);
                    listener.sent(st);
                    deadline = System.nanoTime() + retryFor.toNanos();
                    backoff = initialBackoff;
                } catch (IOException e) {
                    if (session != null) {
                        session.abort();
                        session = null;
                    }
                    boolean retryable = !(e instanceof FileTransferException f) || f.retryable();
                    if (!retryable || retryFor.isZero()) {
                        throw e;
                    }
                    if (watch.best > bestOffset.getOrDefault(file, 0L)) {
                        bestOffset.put(file, watch.best);
                        deadline = System.nanoTime() + retryFor.toNanos();
                        backoff = initialBackoff;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw giveUp(e);
                    }
                    Duration delay = jittered(backoff);
                    if (delay.toNanos() > left) {
                        delay = Duration.ofNanos(left);
                    }
                    listener.retrying(e, delay, ++retries);
                    pause(delay);
                    backoff = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
                }
            }
            Session last = session;
            session = null;
            if (last != null) {
                try {
                    last.close();
                } catch (IOException e) {
                    LOG.debug("closing the session after the last file failed: {}", e.toString());
                }
            }
            return done;
        } finally {
            if (session != null) {
                session.abort();
            }
        }
    }

    /** Opens a session; a runtime failure of the opener (a client library's) counts as a failed attempt. */
    private Session open() throws IOException {
        try {
            return opener.open();
        } catch (RuntimeException e) {
            throw new IOException("cannot open a session: " + e, e);
        }
    }

    private FileTransferException giveUp(IOException last) {
        String message = "gave up after retrying for " + human(retryFor) + " without progress: " + last.getMessage();
        if (last instanceof FileTransferException f) {
            return new FileTransferException(f.kind(), f.fileName(), f.position(), f.size(), message, last);
        }
        return new FileTransferException(FileTransferException.Kind.INTERRUPTED, null, -1, -1, message, last);
    }

    private static String human(Duration d) {
        return d.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
    }

    private static Duration jittered(Duration d) {
        double f = 1 + (ThreadLocalRandom.current().nextDouble() * 2 - 1) * JITTER;
        return Duration.ofNanos((long) (d.toNanos() * f));
    }

    private static void pause(Duration d) throws InterruptedIOException {
        try {
            Thread.sleep(d.toMillis(), (int) (d.toNanos() % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to retry");
        }
    }

    /** Passes events on and remembers how far the receiver said it got. */
    private final class ProgressWatch implements Listener {
        long best;

        ProgressWatch(long best) {
            this.best = best;
        }

        @Override
        public void started(String name, long size, Session session) {
            listener.started(name, size, session);
        }

        @Override
        public void resumed(String name, long offset, long size) {
            best = Math.max(best, offset);
            listener.resumed(name, offset, size);
        }

        @Override
        public void discarded(String name, String reason) {
            listener.discarded(name, reason);
        }
    }

    /** Settings of a {@link FileSender}. */
    public static final class Builder {
        private final SessionOpener opener;
        private Duration retryFor = Duration.ZERO;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private Listener listener = Listener.LOGGING;

        private Builder(SessionOpener opener) {
            this.opener = Objects.requireNonNull(opener, "opener");
        }

        /**
         * @param d how long to keep trying without progress; zero (the default) fails on
         *     the first failure
         * @return this builder
         */
        public Builder retryFor(Duration d) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("retryFor must not be negative, got " + d);
            }
            this.retryFor = d;
            return this;
        }

        /**
         * @param initial first pause after a failure (default 500 ms)
         * @param max longest pause (default 10 s); the pause doubles up to it, varied by ±20 %
         * @return this builder
         */
        public Builder backoff(Duration initial, Duration max) {
            if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("need 0 < initial <= max, got " + initial + " and " + max);
            }
            this.initialBackoff = initial;
            this.maxBackoff = max;
            return this;
        }

        /**
         * @param l receives the events (default {@link Listener#LOGGING})
         * @return this builder
         */
        public Builder listener(Listener l) {
            this.listener = Objects.requireNonNull(l, "listener");
            return this;
        }

        /** @return the sender */
        public FileSender build() {
            return new FileSender(this);
        }
    }
}
