package io.swp;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The simplest possible {@link Network}: {@code send} calls the bound handler directly on
 * the sender's thread. It checks that the runtime never blocks or re-enters badly when a
 * transport delivers synchronously. Shared by the tests of {@code io.swp} and
 * {@code io.swp.file} (swp-core cannot use swp-sim's networks).
 */
public final class DirectNetwork implements Network {
    private final Map<String, FrameHandler> handlers = new ConcurrentHashMap<>();

    @Override
    public InboxBinding bind(String inbox, FrameHandler handler) throws IOException {
        if (handlers.putIfAbsent(inbox, handler) != null) {
            throw new IOException("inbox " + inbox + " already bound");
        }
        return new InboxBinding() {
            @Override
            public String inbox() {
                return inbox;
            }

            @Override
            public void close() {
                handlers.remove(inbox, handler);
            }
        };
    }

    @Override
    public void send(String inbox, byte[] frame) {
        FrameHandler h = handlers.get(inbox);
        if (h != null) {
            h.onFrame(frame.clone());
        }
    }

    /** @return the handler bound to {@code inbox}, or null */
    FrameHandler handler(String inbox) {
        return handlers.get(inbox);
    }

    @Override
    public int maxFrameSize() {
        return 64 * 1024;
    }

    @Override
    public void close() {
        handlers.clear();
    }
}
