/**
 * The swp protocol core: the wire format ({@link io.swp.protocol.Packet},
 * {@link io.swp.protocol.PacketCodec}) and the sans-I/O protocol engine
 * ({@link io.swp.protocol.Engine}). Nothing here performs I/O, starts threads or reads
 * a clock; time is always an argument.
 */
package io.swp.protocol;
