package io.swp.file;

import io.swp.Session;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The transfers this process is receiving, by partial file: so that two sessions never
 * write one partial, a sender that comes back on a new session takes over from its own
 * stale one, cleanup leaves partials in use alone, and the free-space check counts the
 * bytes other transfers still have to write.
 */
final class ActiveTransfers {
    private static final Map<Path, Claim> CLAIMS = new ConcurrentHashMap<>();

    private ActiveTransfers() {
    }

    /** Another transfer holds the partial. */
    static final class BusyException extends IOException {
        private static final long serialVersionUID = 1L;

        BusyException(String message) {
            super(message);
        }
    }

    /** One transfer's hold on a partial; {@link #release()} it when done. */
    static final class Claim {
        final Path key;
        final String from;
        final Session session;
        final FileStore store;
        /** Bytes this transfer may still write. */
        volatile long remaining;
        private final CompletableFuture<Void> released = new CompletableFuture<>();

        private Claim(Path key, String from, Session session, FileStore store) {
            this.key = key;
            this.from = from;
            this.session = session;
            this.store = store;
        }

        void release() {
            CLAIMS.remove(key, this);
            released.complete(null);
        }
    }

    /**
     * Claims the partial {@code key}. If the same sender (inbox) holds it on another
     * session, that session is stale (a sender retries only after its session failed, even
     * if this side has not noticed yet): it is aborted, and its transfer given
     * {@code takeover} to checkpoint and let go.
     *
     * @throws BusyException if another sender holds it, or the stale transfer did not let go
     */
    static Claim claim(Path key, String from, Session session, FileStore store, Duration takeover)
            throws BusyException {
        Claim mine = new Claim(key, from, session, store);
        for (int round = 0; round < 2; round++) {
            Claim held = CLAIMS.putIfAbsent(key, mine);
            if (held == null) {
                return mine;
            }
            if (!held.from.equals(from) || held.session == session) {
                throw new BusyException("it is being received from " + held.from + " right now");
            }
            held.session.abort();
            try {
                held.released.get(takeover.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (ExecutionException | TimeoutException e) {
                break;
            }
        }
        throw new BusyException("an earlier transfer from " + from + " has not let go of it yet");
    }

    static boolean inUse(Path key) {
        return CLAIMS.containsKey(key);
    }

    /** @return bytes that transfers other than {@code except} may still write to {@code store} */
    static long promised(FileStore store, Claim except) {
        long sum = 0;
        for (Claim c : CLAIMS.values()) {
            if (c != except && store.equals(c.store)) {
                sum += Math.max(0, c.remaining);
            }
        }
        return sum;
    }
}
