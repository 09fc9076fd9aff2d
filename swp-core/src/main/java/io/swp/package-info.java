/**
 * The swp runtime and its public API. Where things are:
 * <ul>
 *   <li>{@link io.swp.Endpoint}: one inbox and its event loop, a step function
 *       ({@link io.swp.Endpoint#step(long)}) run by one thread in production and by hand in
 *       tests; connect, accept and close, blocking or as futures;</li>
 *   <li>{@link io.swp.Session}: the application's side of one session (streams, ordered
 *       and unordered messages, timeouts, close); what the loop alone keeps about a
 *       session is in {@code SessionLoopState}, message reassembly in
 *       {@code MessageAssembler};</li>
 *   <li>{@link io.swp.EndpointConfig} (the endpoint's settings) and
 *       {@link io.swp.SessionConfig} (each session's), with documented defaults;</li>
 *   <li>errors ({@link io.swp.SessionException}) and counters ({@link io.swp.EndpointStats});</li>
 *   <li>the {@link io.swp.Network} SPI that transports implement, and the
 *       {@link io.swp.Clock} the runtime reads time from.</li>
 * </ul>
 * Routing (which session a frame belongs to, SYN admission, RESETs) is the pure
 * {@link io.swp.protocol.Demux}; the protocol of one session is the pure
 * {@link io.swp.protocol.Engine}; files are a layer on top of a session's public API in
 * {@link io.swp.file}. The stream, message and file contracts are written out in
 * {@code docs/sessions.md}.
 */
package io.swp;
