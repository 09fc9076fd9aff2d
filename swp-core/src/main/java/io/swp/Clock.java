package io.swp;

/**
 * A monotonic time source in nanoseconds from an arbitrary origin. The protocol engine
 * never reads a clock; the runtime reads this one and passes the value in, so tests can
 * substitute virtual time.
 */
@FunctionalInterface
public interface Clock {
    /** The system's monotonic clock. */
    Clock SYSTEM = System::nanoTime;

    /** @return the current time in nanoseconds; only differences are meaningful */
    long nanoTime();
}
