package io.swp.fanout;

/**
 * A frame a state machine wants sent.
 *
 * @param to the destination: the subject, the publisher's inbox or a receiver's inbox
 * @param frame the encoded frame
 * @param toSubject whether {@code to} is the stream's subject (a publication every
 *     subscriber gets), for accounting
 */
public record FanoutTransmit(String to, byte[] frame, boolean toSubject) {
}
