package io.swp.protocol;

/**
 * A frame could not be decoded: truncated, corrupted, from an unknown protocol version,
 * or with a field outside its bounds. The runtime counts such frames and drops them;
 * a malformed frame never affects a session.
 */
public final class MalformedFrameException extends Exception {
    private static final long serialVersionUID = 1L;

    /** @param message what was wrong with the frame */
    public MalformedFrameException(String message) {
        super(message, null, false, false);
    }

    /** @param message what was wrong @param cause the decoder's exception */
    public MalformedFrameException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
