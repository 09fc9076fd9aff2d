package io.swp.sim;

import io.swp.Endpoint;
import io.swp.EndpointConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.function.LongUnaryOperator;

/**
 * Real {@link Endpoint}s and their sessions over a {@link SimNetwork}, in virtual time and
 * on one thread: every endpoint is opened with {@link Endpoint#openSteppable} on the
 * network's clock, and {@link #runUntil} steps them and delivers frames, jumping the clock
 * to the next frame arrival or endpoint deadline whenever nothing is left to do now. A
 * dead-peer timeout of minutes takes milliseconds, and one seed reproduces one run.
 *
 * <p>Code under test must not block: use the asynchronous forms
 * ({@link Endpoint#connectAsync}, {@link Endpoint#acceptAsync()},
 * {@link Endpoint#closeAsync()}), and read only what {@code available()} reports.
 */
public final class SteppedEndpoints implements AutoCloseable {
    /** Steps at one instant before the run is declared stuck (something keeps making work). */
    private static final int MAX_STEPS_AT_ONE_INSTANT = 1_000_000;

    private final SimNetwork network;
    private final SplittableRandom nonces;
    private final List<Endpoint> endpoints = new ArrayList<>();
    /** Endpoints whose loop runs only at some times (see {@link #stepEvery}, {@link #stepOn}). */
    private final Map<Endpoint, LongUnaryOperator> schedules = new IdentityHashMap<>();
    private long steps;

    /**
     * @param seed seeds the network's impairments and the endpoints' nonces
     */
    public SteppedEndpoints(long seed) {
        this.network = new SimNetwork(seed);
        this.nonces = new SplittableRandom(seed ^ 0x5EED_E4D0_1A7EL);
    }

    /** @return the simulated network, to impair links or filter frames */
    public SimNetwork network() {
        return network;
    }

    /** @return the current virtual time in nanoseconds */
    public long now() {
        return network.now();
    }

    /** @return endpoint steps run so far */
    public long steps() {
        return steps;
    }

    /**
     * Opens a stepped endpoint on the network's clock.
     *
     * @param inbox its inbox
     * @param config its settings
     * @return the endpoint, driven by {@link #runUntil}
     * @throws IOException if the inbox cannot be bound
     */
    public Endpoint open(String inbox, EndpointConfig config) throws IOException {
        Endpoint e = Endpoint.openSteppable(network, inbox, config, network.clock(), nonces.split());
        endpoints.add(e);
        return e;
    }

    /**
     * Lets {@code endpoint}'s loop run only at multiples of {@code period} of virtual time,
     * as a loop that is busy, or descheduled, for that long between steps would: frames
     * go on arriving into its inbound queue meanwhile, and its timers fire late.
     *
     * @param endpoint an endpoint opened here
     * @param period the time between its steps, at least 1 ns
     */
    public void stepEvery(Endpoint endpoint, Duration period) {
        long p = period.toNanos();
        if (p < 1) {
            throw new IllegalArgumentException("not a positive period: " + period);
        }
        stepOn(endpoint, t -> {
            long r = Math.floorMod(t, p);
            return r == 0 ? t : saturatedAdd(t, p - r);
        });
    }

    /**
     * Lets {@code endpoint}'s loop run only when {@code schedule} allows: a loop that is
     * stalled at irregular times (a busy or descheduled thread), for instance one that
     * steps freely for a few milliseconds and then not at all for a while. Frames go on
     * arriving into its inbound queue meanwhile, and its timers fire late.
     *
     * @param endpoint an endpoint opened here
     * @param schedule gives, for a virtual time {@code t} (never {@code Long.MAX_VALUE}),
     *     the first time at or after {@code t} at which the endpoint may step
     */
    public void stepOn(Endpoint endpoint, LongUnaryOperator schedule) {
        if (!endpoints.contains(endpoint)) {
            throw new IllegalArgumentException("not an endpoint of this world: " + endpoint);
        }
        schedules.put(endpoint, schedule);
    }

    /** @return the first time at or after {@code t} at which {@code e} may step */
    private long stepTimeFrom(Endpoint e, long t) {
        LongUnaryOperator schedule = schedules.get(e);
        if (schedule == null || t == Long.MAX_VALUE) {
            return t;
        }
        long at = schedule.applyAsLong(t);
        if (at < t) {
            throw new IllegalStateException("a step schedule went back in time: " + at + " for " + t);
        }
        return at;
    }

    /**
     * Runs until {@code condition} holds, virtual time has advanced by {@code limit}, or
     * nothing can happen any more.
     *
     * @param condition checked after every round
     * @param limit how much virtual time may pass
     * @return whether the condition holds
     * @throws IllegalStateException if the endpoints keep making work at one instant
     */
    public boolean runUntil(BooleanSupplier condition, Duration limit) {
        long end = saturatedAdd(network.now(), limit.toNanos());
        while (true) {
            settle();
            if (condition.getAsBoolean()) {
                return true;
            }
            long next = network.nextDeliveryTime();
            for (Endpoint e : endpoints) {
                next = Math.min(next, stepTimeFrom(e, e.pollTimeout()));
                if (e.hasPendingWork() && !e.isTerminated()) {
                    next = Math.min(next, stepTimeFrom(e, network.now() + 1));
                }
            }
            if (next > end) {
                if (end != Long.MAX_VALUE) {
                    network.advanceTo(end);
                    settle();
                }
                return condition.getAsBoolean();
            }
            if (next <= network.now()) {
                throw new IllegalStateException("a deadline at virtual " + Duration.ofNanos(next)
                        + " stays due after every endpoint was stepped: " + endpoints);
            }
            network.advanceTo(next);
        }
    }

    /**
     * Runs for {@code span} of virtual time.
     *
     * @param span how long
     */
    public void runFor(Duration span) {
        runUntil(() -> false, span);
    }

    /** Delivers and steps until nothing is left to do at the current instant. */
    private void settle() {
        long now = network.now();
        int rounds = 0;
        boolean busy = true;
        while (busy) {
            if (++rounds > MAX_STEPS_AT_ONE_INSTANT) {
                throw new IllegalStateException("endpoints keep making work at virtual " + Duration.ofNanos(now));
            }
            busy = network.deliverDue() > 0;
            for (Endpoint e : endpoints) {
                if (e.isTerminated() || stepTimeFrom(e, now) != now) {
                    continue;
                }
                if (e.hasPendingWork() || e.pollTimeout() <= now) {
                    e.step(now);
                    steps++;
                    busy |= e.hasPendingWork();
                }
            }
            busy |= network.nextDeliveryTime() <= now;
        }
    }

    /** Closes every endpoint at once (sessions still open are reset) and the network. */
    @Override
    public void close() {
        for (Endpoint e : endpoints) {
            e.close();
        }
        network.close();
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    @Override
    public String toString() {
        return "SteppedEndpoints{now=" + Duration.ofNanos(network.now()) + ", endpoints=" + endpoints.size() + "}";
    }
}
