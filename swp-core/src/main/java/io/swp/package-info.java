/**
 * The swp runtime and its public API: {@link io.swp.Endpoint} (one inbox, one event-loop
 * thread, many sessions) and {@link io.swp.Session} (streams, messages, unordered
 * messages, files via {@link io.swp.file}), their errors ({@link io.swp.SessionException})
 * and counters ({@link io.swp.EndpointStats}), {@link io.swp.SessionConfig}, the
 * {@link io.swp.Network} SPI that transports implement, and the {@link io.swp.Clock} the
 * runtime reads time from. The stream, message and file contracts are written out in
 * {@code docs/sessions.md}.
 */
package io.swp;
