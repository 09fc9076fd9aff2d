package io.swp;

import java.io.IOException;

/**
 * A {@link DirectNetwork} that a test network wraps to watch or hold what is sent, or to
 * change what its bindings report: each method goes straight through unless overridden.
 */
abstract class ForwardingNetwork implements Network {
    /** The network underneath, delivering on the sender's thread. */
    protected final DirectNetwork direct = new DirectNetwork();

    @Override
    public InboxBinding bind(String inbox, FrameHandler handler) throws IOException {
        return direct.bind(inbox, handler);
    }

    @Override
    public void send(String inbox, byte[] frame) {
        direct.send(inbox, frame);
    }

    @Override
    public int maxFrameSize() {
        return direct.maxFrameSize();
    }

    @Override
    public void close() {
        direct.close();
    }
}
