package io.swp.protocol;

import java.util.Arrays;

/**
 * Sends in the order they were made: each frame with the time of that send, first in,
 * first out. A frame sent again appears again with its new time, and an entry whose time
 * is no longer the frame's {@link SentFrame#lastSentAt} describes a superseded send.
 * Times sit in a ring of primitives, so logging a send allocates nothing.
 */
final class SendLog {
    private SentFrame[] frames = new SentFrame[64];
    private long[] times = new long[64];
    private int head;
    private int size;

    /** Appends a send of {@code f} at {@code sentAt}. */
    void add(SentFrame f, long sentAt) {
        if (size == frames.length) {
            grow();
        }
        int i = (head + size) % frames.length;
        frames[i] = f;
        times[i] = sentAt;
        size++;
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    /** @return the oldest entry's frame; the log must not be empty */
    SentFrame oldestFrame() {
        return frames[head];
    }

    /** @return the oldest entry's send time; the log must not be empty */
    long oldestTime() {
        return times[head];
    }

    /** Removes the oldest entry; the log must not be empty. */
    void removeOldest() {
        frames[head] = null;
        head = (head + 1) % frames.length;
        size--;
    }

    void clear() {
        Arrays.fill(frames, null);
        head = 0;
        size = 0;
    }

    private void grow() {
        int n = frames.length;
        SentFrame[] f = new SentFrame[n * 2];
        long[] t = new long[n * 2];
        for (int i = 0; i < n; i++) {
            f[i] = frames[(head + i) % n];
            t[i] = times[(head + i) % n];
        }
        frames = f;
        times = t;
        head = 0;
    }
}
