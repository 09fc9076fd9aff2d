package io.swp;

import io.swp.protocol.CloseReason;
import java.io.IOException;
import java.util.Objects;

/**
 * A session failed: the peer reset it, stopped answering, the handshake timed out, or it
 * was aborted. {@link #reason()} says which; the message names the remote inbox and the
 * reason in words.
 */
public final class SessionException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient CloseReason reason;

    /**
     * @param reason why the session closed
     * @param message what failed, naming the remote inbox
     */
    public SessionException(CloseReason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** @return why the session closed */
    public CloseReason reason() {
        return reason;
    }
}
