package io.swp.session;

import io.swp.Network;
import java.io.IOException;
import java.util.function.UnaryOperator;

/**
 * A test decorator: {@link #cut()} silently drops everything this side sends and
 * receives (a peer that vanished without a word), and an optional rewriter may alter
 * outgoing frames.
 */
final class CuttableNetwork implements Network {
    private final Network delegate;
    private volatile boolean cut;
    private volatile UnaryOperator<byte[]> rewriter = UnaryOperator.identity();

    CuttableNetwork(Network delegate) {
        this.delegate = delegate;
    }

    void cut() {
        cut = true;
    }

    void rewrite(UnaryOperator<byte[]> r) {
        rewriter = r;
    }

    @Override
    public InboxBinding bind(String inbox, FrameHandler handler) throws IOException {
        return delegate.bind(inbox, frame -> {
            if (!cut) {
                handler.onFrame(frame);
            }
        });
    }

    @Override
    public void send(String inbox, byte[] frame) throws IOException {
        if (!cut) {
            byte[] f = rewriter.apply(frame);
            if (f != null) {
                delegate.send(inbox, f);
            }
        }
    }

    @Override
    public int maxFrameSize() {
        return delegate.maxFrameSize();
    }

    @Override
    public void close() {
    }
}
