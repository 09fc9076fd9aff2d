/**
 * One-to-many delivery over a subject: the pure state machines of a publisher
 * ({@link io.swp.fanout.PublisherEngine}) and a receiver ({@link io.swp.fanout.ReceiverEngine}),
 * their wire format ({@link io.swp.fanout.FanoutFrame}, {@link io.swp.fanout.FanoutCodec})
 * and settings ({@link io.swp.fanout.FanoutConfig}). Data is published once on the
 * subject with sequence numbers; receivers NACK gaps to the publisher's inbox; repairs go
 * back on the subject as parity rows of an erasure code ({@code BlockCode}) when several
 * receivers miss frames of the same block, and to the one receiver otherwise; heartbeats on a growing schedule expose tail loss and a silent
 * publisher; members report position and free window, and the publisher publishes no
 * further than the slowest active member can take, cutting off one that holds the
 * stream back too long. Like {@code io.swp.protocol}, nothing here performs I/O, starts
 * threads or reads a clock: time is always an argument. docs/fanout.md describes the
 * design and its choices.
 */
package io.swp.fanout;
