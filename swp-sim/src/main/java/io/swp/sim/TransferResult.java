package io.swp.sim;

import io.swp.protocol.CloseReason;
import io.swp.protocol.EngineState;
import io.swp.protocol.EngineStats;
import java.time.Duration;

/**
 * What one {@link SimTransfer} run did. Everything but {@link #wallNanos()} is a function
 * of the {@link SimTransfer.Spec}; {@link #fingerprint()} condenses that part so two runs
 * of one seed can be compared.
 *
 * @param spec what was run
 * @param client the client's outcome
 * @param server the server's outcome
 * @param toServer what the link did to frames for the server
 * @param toClient what the link did to frames for the client
 * @param lastByteAtNanos virtual time the server read the last byte, or -1
 * @param endedAtNanos virtual time the run stopped
 * @param timedOut whether it stopped at the virtual time limit
 * @param traceHash hash of every frame delivery (time, inbox, bytes)
 * @param wallNanos real time the run took
 */
public record TransferResult(
        SimTransfer.Spec spec,
        Outcome client,
        Outcome server,
        LinkStats toServer,
        LinkStats toClient,
        long lastByteAtNanos,
        long endedAtNanos,
        boolean timedOut,
        long traceHash,
        long wallNanos) {

    private static final double NANOS_PER_SECOND = 1e9;

    /**
     * One side of the transfer.
     *
     * @param side which side
     * @param bytesToSend what its application had to send
     * @param bytesWritten what the engine accepted
     * @param bytesExpected what its application should receive
     * @param bytesRead what it read
     * @param endOfStream whether it read end of stream
     * @param verified whether it read exactly the expected bytes, in order, each once
     * @param failure the first problem with the data read, or null
     * @param state the engine's final state (null if no session was ever accepted)
     * @param closeReason why it closed, or null
     * @param establishedAtNanos when the handshake completed here, or -1
     * @param closedAtNanos when the engine reached CLOSED, or -1
     * @param vanishedAtNanos when this side vanished, or -1
     * @param peerVanishedAtNanos when the other side vanished, or -1
     * @param stats the engine's counters at the end (null if no session)
     * @param maxReadableBytes most in-order bytes waiting for the application at once
     * @param maxBufferedBytes most receive-window bytes in use at once (window minus advertised)
     * @param maxInFlightBytes most unacknowledged payload bytes at once
     * @param framesDroppedOutsideSession undecodable frames that reached no session
     * @param resetsAfterClose frames answered with a reset after the session finished
     */
    public record Outcome(
            SimTransfer.Side side,
            long bytesToSend,
            long bytesWritten,
            long bytesExpected,
            long bytesRead,
            boolean endOfStream,
            boolean verified,
            String failure,
            EngineState state,
            CloseReason closeReason,
            long establishedAtNanos,
            long closedAtNanos,
            long vanishedAtNanos,
            long peerVanishedAtNanos,
            EngineStats stats,
            long maxReadableBytes,
            long maxBufferedBytes,
            long maxInFlightBytes,
            long framesDroppedOutsideSession,
            long resetsAfterClose) {

        /** @return whether this side closed with {@link CloseReason#NORMAL} */
        public boolean closedNormally() {
            return state == EngineState.CLOSED && closeReason == CloseReason.NORMAL;
        }

        private String brief() {
            return side + ": read " + bytesRead + "/" + bytesExpected + (verified ? " ok" : " BAD")
                    + (failure != null ? " (" + failure + ")" : "") + ", " + state
                    + (closeReason != null ? " " + closeReason : "")
                    + (closedAtNanos >= 0 ? " at " + Duration.ofNanos(closedAtNanos) : "")
                    + (vanishedAtNanos >= 0 ? ", vanished at " + Duration.ofNanos(vanishedAtNanos) : "")
                    + (stats != null ? ", sent " + stats.framesSent() + " frames (" + stats.retransmits() + " retx, "
                    + stats.timeouts() + " RTOs), srtt " + Duration.ofNanos(stats.srttNanos()) : "");
        }
    }

    /** @return whether both sides read exactly what the other sent, in order, once */
    public boolean delivered() {
        return client.verified() && server.verified();
    }

    /** @return whether the data arrived intact and both sides closed normally */
    public boolean isCleanSuccess() {
        return delivered() && client.closedNormally() && server.closedNormally();
    }

    /** @return client-to-server payload bytes per virtual second until the last byte was read, or 0 */
    public double goodputBytesPerSecond() {
        return lastByteAtNanos <= 0 ? 0 : spec.bytesToServer() * NANOS_PER_SECOND / lastByteAtNanos;
    }

    /** @return every deterministic part of the result, for comparing two runs */
    public String fingerprint() {
        return client + "|" + server + "|" + toServer + "|" + toClient + "|" + lastByteAtNanos + "|"
                + endedAtNanos + "|" + timedOut + "|" + Long.toHexString(traceHash);
    }

    /** @return a few lines that say what happened */
    public String summary() {
        return (isCleanSuccess() ? "OK" : "FAILED") + " " + spec + "\n  "
                + client.brief() + "\n  " + server.brief() + "\n  virtual " + Duration.ofNanos(endedAtNanos)
                + (timedOut ? " (TIME LIMIT)" : "") + ", last byte at " + Duration.ofNanos(Math.max(0, lastByteAtNanos))
                + String.format(", goodput %.1f KiB/s", goodputBytesPerSecond() / 1024)
                + ", wall " + wallNanos / 1_000_000 + " ms"
                + "\n  toServer " + toServer + "\n  toClient " + toClient;
    }
}
