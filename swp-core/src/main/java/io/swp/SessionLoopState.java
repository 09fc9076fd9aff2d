package io.swp;

import io.swp.protocol.Demux;
import io.swp.protocol.Engine;
import io.swp.protocol.Frame;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;

/**
 * What the endpoint's event loop keeps about one session: routed frames not yet fed to
 * the engine, its place in the timer queue, and where the session stands in the
 * endpoint's life cycle (accept queue, connect, shutdown). Only the loop touches it; the
 * application's side of the session is {@link Session}.
 */
final class SessionLoopState implements Demux.Routed {
    final Engine engine;
    final Session session;
    /** Frames routed to this session in the current step, fed to the engine when it is serviced. */
    final ArrayList<Frame> pendingFrames = new ArrayList<>();
    /** Completed when an outgoing session is established; null for incoming sessions. */
    CompletableFuture<Session> connectFuture;
    /** The deadline this session sits in the timer queue with, or {@code Long.MAX_VALUE}. */
    long scheduledDeadline = Long.MAX_VALUE;
    /** Queued for service in the current step. */
    boolean dirty;
    /** Closed and forgotten by the demux: no further service. */
    boolean removed;
    /** Established and handed to the accept queue (incoming sessions only). */
    boolean offeredToAccept;
    /** Everything this side sent, FIN included, has been acknowledged. */
    boolean outputFinished;
    /** In TIME_WAIT at its last service. */
    boolean inTimeWait;
    /** Inbound bytes this session held at its last service, as counted in the endpoint's memory budget. */
    long accountedBytes;
    /**
     * The engine's {@link Engine#receivedThrough()} at its last service, for the network's
     * thread: an arriving DATA frame of this session below it is a duplicate, and is
     * stripped of its payload before it is queued. The session is listed for that thread
     * after the first write, with {@link #peerNonce} set just before.
     */
    volatile long receivedThrough;
    /** The peer's nonce, once known: only its frames are judged by {@link #receivedThrough}. */
    volatile long peerNonce;
    /** Listed where the network's thread finds it by its local nonce. */
    boolean listedForArrivals;

    SessionLoopState(Endpoint endpoint, Engine engine, SessionConfig config, Clock clock) {
        this.engine = engine;
        // The engine takes in any payload the network carries; it sends the session's own size.
        engine.setMaxPayload(config.maxPayloadBytes());
        this.session = new Session(endpoint, this, engine, config, clock);
    }

    @Override
    public Engine engine() {
        return engine;
    }
}
