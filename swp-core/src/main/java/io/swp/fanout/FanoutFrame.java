package io.swp.fanout;

import java.util.Arrays;
import java.util.Objects;

/**
 * One decoded one-to-many frame. Every kind has the same eight fields, so one codec and
 * one set of bounds serve them all; fields a kind does not use are zero or empty:
 *
 * <table>
 *   <caption>fields by kind</caption>
 *   <tr><th>kind</th><th>seq</th><th>aux</th><th>receiver</th><th>inbox</th><th>ranges</th><th>payload</th></tr>
 *   <tr><td>DATA</td><td>sequence number</td><td>flags ({@link #SOM}, {@link #EOM}, {@link #FIN},
 *       {@link #REPAIR})</td><td>0, or the receiver of a unicast repair</td><td></td><td></td><td>data</td></tr>
 *   <tr><td>HEARTBEAT</td><td>next sequence number</td><td>backlog start</td><td></td><td>publisher inbox</td>
 *       <td>{@code [k, k]} when the publisher sends parity for blocks of k frames</td><td></td></tr>
 *   <tr><td>PARITY</td><td>first sequence number of the block</td><td>{@code k << 16 | row}</td><td></td>
 *       <td></td><td></td><td>the parity row (see {@code BlockCode})</td></tr>
 *   <tr><td>JOIN</td><td>free window, frames</td><td>{@link #JOIN_FROM_BACKLOG} or 0</td><td>receiver nonce</td><td>receiver inbox</td>
 *       <td></td><td></td></tr>
 *   <tr><td>STATUS, NACK</td><td>position (next sequence number missing)</td><td>free window, frames</td>
 *       <td>receiver nonce</td><td>receiver inbox</td><td>NACK: missing ranges, pairs [first, last]</td><td></td></tr>
 *   <tr><td>LEAVE</td><td>position</td><td></td><td>receiver nonce</td><td>receiver inbox</td><td></td><td></td></tr>
 *   <tr><td>WELCOME</td><td>start sequence number</td><td></td><td>receiver nonce</td><td></td><td></td><td></td></tr>
 *   <tr><td>LOST</td><td>oldest sequence number still held</td><td>{@link LostReason} code</td><td>receiver nonce</td>
 *       <td></td><td></td><td></td></tr>
 *   <tr><td>REPORT</td><td>report index</td><td></td><td>receiver nonce</td><td>receiver inbox</td><td></td>
 *       <td>report</td></tr>
 *   <tr><td>REPORT_ACK</td><td>report index</td><td></td><td>receiver nonce</td><td></td><td></td><td></td></tr>
 * </table>
 *
 * <p>Every frame carries the publisher's stream nonce, so frames of an earlier or another
 * publisher on the same subject are told apart and ignored.
 *
 * @param kind the kind
 * @param stream the publisher's stream nonce (never 0)
 * @param seq see the table
 * @param aux see the table
 * @param receiver the receiver's nonce, 0 on frames for the whole subject
 * @param inbox an inbox name (empty if unused)
 * @param ranges NACK ranges as pairs of inclusive bounds (empty if unused)
 * @param payload data or report bytes (empty if unused); not copied
 */
public record FanoutFrame(FanoutKind kind, long stream, long seq, long aux, long receiver, String inbox,
        long[] ranges, byte[] payload) {
    /** DATA flag: the first frame of a message. */
    public static final long SOM = 1;
    /** DATA flag: the last frame of a message. */
    public static final long EOM = 2;
    /** DATA flag: end of the stream; the frame carries no data. */
    public static final long FIN = 4;
    /** DATA flag: a repair (resent), for statistics. */
    public static final long REPAIR = 8;
    /** All DATA flags. */
    public static final long DATA_FLAGS = SOM | EOM | FIN | REPAIR;
    /** JOIN option: start from the oldest frame the publisher still holds, not from now. */
    public static final long JOIN_FROM_BACKLOG = 1;

    private static final long[] NO_RANGES = new long[0];
    private static final byte[] NO_BYTES = new byte[0];

    /** Checks the fields and replaces nulls by empty values. */
    public FanoutFrame {
        Objects.requireNonNull(kind, "kind");
        inbox = inbox == null ? "" : inbox;
        ranges = ranges == null ? NO_RANGES : ranges;
        payload = payload == null ? NO_BYTES : payload;
    }

    static FanoutFrame data(long stream, long seq, long flags, long receiver, byte[] payload) {
        return new FanoutFrame(FanoutKind.DATA, stream, seq, flags, receiver, "", null, payload);
    }

    static FanoutFrame control(FanoutKind kind, long stream, long seq, long aux, long receiver, String inbox) {
        return new FanoutFrame(kind, stream, seq, aux, receiver, inbox, null, null);
    }

    /** @return whether this DATA frame has {@code flag} */
    boolean has(long flag) {
        return (aux & flag) != 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FanoutFrame f && kind == f.kind && stream == f.stream && seq == f.seq && aux == f.aux
                && receiver == f.receiver && inbox.equals(f.inbox) && Arrays.equals(ranges, f.ranges)
                && Arrays.equals(payload, f.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, stream, seq, aux, receiver, inbox, Arrays.hashCode(ranges), Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
        return kind + "{stream=" + Long.toHexString(stream) + " seq=" + seq + " aux=" + aux + " receiver="
                + Long.toHexString(receiver) + (inbox.isEmpty() ? "" : " inbox=" + inbox)
                + (ranges.length == 0 ? "" : " ranges=" + Arrays.toString(ranges)) + " payload=" + payload.length + "}";
    }
}
