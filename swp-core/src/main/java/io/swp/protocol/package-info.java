/**
 * The swp protocol core: the wire format ({@link io.swp.protocol.Frame},
 * {@link io.swp.protocol.FrameCodec}), the sans-I/O protocol engine of one session
 * ({@link io.swp.protocol.Engine}, configured by {@link io.swp.protocol.EngineConfig}),
 * and routing for one inbox ({@link io.swp.protocol.Demux}: session table, SYN admission
 * and backlog, RESET policy, nonces, capacity sharing). Nothing here performs I/O,
 * starts threads or reads a clock; time is always an argument, and nothing is imported
 * from the runtime above.
 *
 * <p>The engine's parts, package-private, one concept each: {@code SendBuffer} (queued
 * and in-flight frames, the SACK scoreboard and loss detection) with its {@code SentFrame}
 * entries; {@code ReceiveBuffer} (reassembly, window accounting, SACK ranges, unordered
 * messages); {@code RttEstimator} (RFC 6298); {@code Timer} (every timer, one line each);
 * and two containers, {@code SeqRing} (a ring addressed by sequence number) and
 * {@code RangeSet} (sorted disjoint ranges).
 */
package io.swp.protocol;
