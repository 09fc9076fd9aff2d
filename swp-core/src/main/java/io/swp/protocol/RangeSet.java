package io.swp.protocol;

/**
 * A set of sequence numbers kept as sorted, disjoint, non-adjacent {@code [start, end)}
 * ranges in two parallel arrays. The receiver uses one for the out-of-order blocks it
 * reports as SACK ranges; the sender uses one for the blocks the peer has SACKed, and
 * learns from {@link #add} exactly which numbers are new, so re-reported ranges cost
 * nothing per frame.
 *
 * <p>Insertion is a binary search plus an array move over the (few) ranges; dropping
 * ranges below a point only moves an offset.
 */
final class RangeSet {
    /** Receives the parts of an added range that were not in the set before. */
    interface NewSpanSink {
        /** @param start first new number @param end one past the last */
        void newSpan(long start, long end);
    }

    private static final int INITIAL_CAPACITY = 8;

    private long[] starts = new long[INITIAL_CAPACITY];
    private long[] ends = new long[INITIAL_CAPACITY];
    private int first;
    private int size;

    /** @return how many ranges the set holds */
    int size() {
        return size;
    }

    /** @param i 0 .. size-1, lowest first @return the range's first number */
    long start(int i) {
        return starts[first + i];
    }

    /** @param i 0 .. size-1, lowest first @return one past the range's last number */
    long end(int i) {
        return ends[first + i];
    }

    /** @return whether the set holds nothing */
    boolean isEmpty() {
        return size == 0;
    }

    /** @param x a number @return whether the set holds it */
    boolean contains(long x) {
        int i = firstEndingAtOrAfter(x + 1);
        return i < size && start(i) <= x;
    }

    /**
     * Adds {@code [start, end)}, merging with overlapping or adjacent ranges.
     *
     * @param start first number
     * @param end one past the last; ignored if not above {@code start}
     * @param sink told about every part that was not in the set before; may be null
     */
    void add(long start, long end, NewSpanSink sink) {
        if (end <= start) {
            return;
        }
        int lo = firstEndingAtOrAfter(start);
        int hi = lo;
        long cursor = start;
        while (hi < size && start(hi) <= end) {
            if (sink != null && start(hi) > cursor) {
                sink.newSpan(cursor, start(hi));
            }
            cursor = Math.max(cursor, end(hi));
            hi++;
        }
        if (sink != null && cursor < end) {
            sink.newSpan(cursor, end);
        }
        if (hi == lo) {
            insertAt(lo, start, end);
        } else {
            long mergedStart = Math.min(start, start(lo));
            long mergedEnd = Math.max(end, end(hi - 1));
            starts[first + lo] = mergedStart;
            ends[first + lo] = mergedEnd;
            int removed = hi - lo - 1;
            if (removed > 0) {
                int tail = size - hi;
                System.arraycopy(starts, first + hi, starts, first + lo + 1, tail);
                System.arraycopy(ends, first + hi, ends, first + lo + 1, tail);
                size -= removed;
            }
        }
    }

    /** Drops every number below {@code x}. */
    void removeBelow(long x) {
        while (size > 0 && ends[first] <= x) {
            first++;
            size--;
        }
        if (size == 0) {
            first = 0;
        } else if (starts[first] < x) {
            starts[first] = x;
        }
    }

    /** Drops every number at or above {@code x}. */
    void removeFrom(long x) {
        while (size > 0 && starts[first + size - 1] >= x) {
            size--;
        }
        if (size == 0) {
            first = 0;
        } else if (ends[first + size - 1] > x) {
            ends[first + size - 1] = x;
        }
    }

    /** Empties the set. */
    void clear() {
        first = 0;
        size = 0;
    }

    /** @return the lowest index whose range ends at or after {@code x} (size if none) */
    private int firstEndingAtOrAfter(long x) {
        int lo = 0;
        int hi = size;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (end(mid) < x) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private void insertAt(int index, long start, long end) {
        if (first + size == starts.length) {
            makeRoomAtEnd();
        }
        int at = first + index;
        int tail = size - index;
        System.arraycopy(starts, at, starts, at + 1, tail);
        System.arraycopy(ends, at, ends, at + 1, tail);
        starts[at] = start;
        ends[at] = end;
        size++;
    }

    private void makeRoomAtEnd() {
        if (first > starts.length / 2) {
            System.arraycopy(starts, first, starts, 0, size);
            System.arraycopy(ends, first, ends, 0, size);
        } else {
            long[] biggerStarts = new long[starts.length * 2];
            long[] biggerEnds = new long[ends.length * 2];
            System.arraycopy(starts, first, biggerStarts, 0, size);
            System.arraycopy(ends, first, biggerEnds, 0, size);
            starts = biggerStarts;
            ends = biggerEnds;
        }
        first = 0;
    }
}
