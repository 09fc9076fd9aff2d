/**
 * The swp runtime and its public API: {@code Endpoint} and {@code Session} (streams,
 * messages, files), {@link io.swp.SessionConfig}, the {@link io.swp.Network} SPI that
 * transports implement, and the {@link io.swp.Clock} the runtime reads time from.
 */
package io.swp;
