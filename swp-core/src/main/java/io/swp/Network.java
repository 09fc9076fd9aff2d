package io.swp;

import java.io.IOException;

/**
 * The transport swp runs over: something that carries opaque frames to named inboxes,
 * with no promise of delivery, order or uniqueness. Implementations: {@code NatsNetwork}
 * (swp-nats), {@code InMemoryNetwork} and {@code SimNetwork} (swp-sim), or any binding
 * a user writes (UDP, …).
 *
 * <p>Frames are encoded by swp-core; a network never looks inside them. Implementations
 * must be safe for concurrent use.
 */
public interface Network extends AutoCloseable {

    /**
     * Starts delivering frames sent to {@code inbox} to {@code handler}. Frames may be
     * delivered on a transport thread; the handler must not block for long.
     *
     * @param inbox the local inbox (a NATS subject, used verbatim)
     * @param handler receives each arriving frame; it owns the array
     * @return the binding; closing it stops delivery
     * @throws IOException if the transport cannot subscribe
     */
    InboxBinding bind(String inbox, FrameHandler handler) throws IOException;

    /**
     * Sends a frame to an inbox, fire and forget. May block briefly for transport
     * back-pressure, never for delivery.
     *
     * @param inbox the destination inbox
     * @param frame the encoded frame; the network must not modify it
     * @throws IOException if the transport is closed or the frame cannot be queued
     */
    void send(String inbox, byte[] frame) throws IOException;

    /** @return the largest frame, in bytes, this network carries */
    int maxFrameSize();

    /** Releases the transport; bindings stop delivering. */
    @Override
    void close();

    /** Receives frames that arrive at a bound inbox. */
    @FunctionalInterface
    interface FrameHandler {
        /** @param frame the frame bytes, owned by the handler from now on */
        void onFrame(byte[] frame);

        /**
         * Receives a frame, saying whether more frames wait in the transport's queue for
         * delivery right after this one. A handler may then put off what it does once per
         * batch (waking the thread that processes frames) until the burst ends, and with
         * {@code moreFollow = false} it may spend longer, as nothing waits behind this
         * frame: an endpoint then runs a step on this thread, which may call
         * {@link Network#send}. So a network must pass {@code false} only when its queue
         * for this handler is really empty. A network
         * that passes {@code moreFollow = true} must call the same handler again without
         * waiting for more network input: with its next frame, or with {@link #onBurstEnd()}
         * before it delivers to another handler. Networks that cannot tell call
         * {@link #onFrame(byte[])}, which this default does too.
         *
         * @param frame the frame bytes, owned by the handler from now on
         * @param moreFollow whether the transport delivers more frames at once
         */
        default void onFrame(byte[] frame, boolean moreFollow) {
            onFrame(frame);
        }

        /**
         * Ends a burst begun by {@code onFrame(frame, true)}: no frame follows at once. A
         * network may also call it from another thread, or when no burst is open, when it
         * can no longer deliver a frame it announced; handlers must take that.
         */
        default void onBurstEnd() {
        }
    }

    /** A subscription of one inbox. */
    interface InboxBinding extends AutoCloseable {
        /** Value of {@link #freeFrames()} / {@link #freeBytes()} when the transport cannot tell. */
        long UNKNOWN = -1;

        /** @return the bound inbox */
        String inbox();

        /**
         * @return how many more frames the local receive buffer can take before the
         *     transport drops, or {@link #UNKNOWN}
         */
        default long freeFrames() {
            return UNKNOWN;
        }

        /**
         * @return how many more bytes the local receive buffer can take before the
         *     transport drops, or {@link #UNKNOWN}
         */
        default long freeBytes() {
            return UNKNOWN;
        }

        /**
         * @return the most bytes the transport itself may buffer for this inbox before it
         *     drops (its own receive buffer, e.g. a NATS client's pending byte limit), or
         *     {@link #UNKNOWN}. An endpoint counts them against its memory budget: they
         *     are memory a publisher can make the process hold, windows or not.
         */
        default long bufferLimitBytes() {
            return UNKNOWN;
        }

        /**
         * @return frames the transport dropped locally for this inbox so far (e.g. NATS
         *     slow-consumer drops); 0 if it cannot tell
         */
        default long droppedFrames() {
            return 0;
        }

        /** Stops delivery. */
        @Override
        void close();
    }
}
