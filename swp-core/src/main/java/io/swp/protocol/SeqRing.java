package io.swp.protocol;

import java.util.Arrays;

/**
 * A ring buffer addressed by sequence number: slot {@code seq} for every {@code seq} in
 * {@code [base, base + capacity)}. Slots may be empty (null), which is how the receive
 * side holds out-of-order frames. Lookup, store and removal at the base are O(1); the
 * ring doubles when a store lands beyond its capacity, so its size follows the window
 * actually used rather than the configured maximum.
 *
 * @param <T> what each slot holds
 */
final class SeqRing<T> {
    private static final int INITIAL_CAPACITY = 16;

    private Object[] slots = new Object[INITIAL_CAPACITY];
    private int head;
    private long base;

    /** @param base the sequence number of the first slot */
    SeqRing(long base) {
        this.base = base;
    }

    /** @return the sequence number of the first slot */
    long base() {
        return base;
    }

    /** @return how many slots the ring has allocated now: what its memory follows */
    int capacity() {
        return slots.length;
    }

    /**
     * @param seq a sequence number
     * @return what slot {@code seq} holds, or null if it is empty or outside the ring
     */
    @SuppressWarnings("unchecked")
    T get(long seq) {
        long offset = seq - base;
        if (offset < 0 || offset >= slots.length) {
            return null;
        }
        return (T) slots[(int) ((head + offset) & (slots.length - 1))];
    }

    /**
     * Stores a value, growing the ring if {@code seq} lies beyond it.
     *
     * @param seq at least {@link #base()}; callers bound how far beyond it
     * @param value the value (null empties the slot)
     */
    void put(long seq, T value) {
        long offset = seq - base;
        if (offset < 0 || offset > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException("sequence " + seq + " outside the ring at " + base);
        }
        if (offset >= slots.length) {
            grow((int) offset + 1);
        }
        slots[(int) ((head + offset) & (slots.length - 1))] = value;
    }

    /**
     * Removes the base slot and moves the base on by one.
     *
     * @return what the base slot held, or null
     */
    @SuppressWarnings("unchecked")
    T pollBase() {
        T value = (T) slots[head];
        slots[head] = null;
        head = (head + 1) & (slots.length - 1);
        base++;
        return value;
    }

    private void grow(int needed) {
        int capacity = slots.length;
        while (capacity < needed) {
            capacity <<= 1;
        }
        Object[] bigger = new Object[capacity];
        int firstPart = slots.length - head;
        System.arraycopy(slots, head, bigger, 0, firstPart);
        System.arraycopy(slots, 0, bigger, firstPart, head);
        Arrays.fill(slots, null);
        slots = bigger;
        head = 0;
    }
}
