package io.swp.fanout;

/** Where a receiver that joins a stream already under way starts. */
public enum LateJoin {
    /**
     * From the next frame the publisher sends: nothing already published is delivered.
     * Message readers skip the rest of a message already under way.
     */
    FROM_NOW,
    /**
     * From the oldest frame still in the publisher's backlog: as much history as the
     * publisher kept. A stream shorter than the backlog is delivered whole.
     */
    FROM_BACKLOG
}
