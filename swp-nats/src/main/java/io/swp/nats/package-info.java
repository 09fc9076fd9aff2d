/**
 * The NATS binding of swp's {@link io.swp.Network} SPI, on the jnats client.
 *
 * <p>{@link io.swp.nats.NatsNetwork} publishes frames to NATS subjects (an inbox is a
 * subject, used verbatim) and delivers frames of bound inboxes through one shared jnats
 * {@code Dispatcher}, whose pending limits it reports as the free receive capacity that
 * the runtime advertises as its window. {@link io.swp.nats.NatsNetworkConfig} holds its
 * tunables; {@link io.swp.nats.NatsEvents} is the quiet, counting jnats listener.
 */
package io.swp.nats;
