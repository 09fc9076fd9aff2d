package io.swp;

import io.swp.fanout.FanoutConfig;
import java.io.IOException;
import java.util.Objects;

/**
 * What {@link Publisher.Builder} and {@link Subscription.Builder} share: the settings of
 * either end of one-to-many delivery on a subject before it opens.
 *
 * @param <B> the concrete builder, returned by each setter
 * @param <T> what {@link #open()} opens
 */
abstract class FanoutBuilder<B extends FanoutBuilder<B, T>, T> {
    final Network network;
    final String subject;
    String inbox;
    FanoutConfig config = FanoutConfig.DEFAULTS;
    Clock clock = Clock.SYSTEM;

    FanoutBuilder(Network network, String subject) {
        this.network = Objects.requireNonNull(network, "network");
        this.subject = Objects.requireNonNull(subject, "subject");
    }

    /** @return this builder as its concrete type */
    abstract B self();

    /**
     * @param inbox this end's own inbox; by default one under the subject, unique to
     *     this end ({@code SUBJECT.pub.<stream nonce>} or {@code SUBJECT.sub.<nonce>})
     * @return this builder
     */
    public B inbox(String inbox) {
        this.inbox = Objects.requireNonNull(inbox, "inbox");
        return self();
    }

    /**
     * @param config the protocol settings (window, late-join policy, …); default
     *     {@link FanoutConfig#DEFAULTS}
     * @return this builder
     */
    public B config(FanoutConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        return self();
    }

    /**
     * @param clock the time source; default {@link Clock#SYSTEM}
     * @return this builder
     */
    public B clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return self();
    }

    /**
     * @return the open publisher or subscription
     * @throws IOException if its inbox cannot be bound
     */
    public abstract T open() throws IOException;
}
