package io.swp.protocol;

import java.io.ByteArrayOutputStream;

/** Test applications: a writer that pushes a byte array into an engine, a reader that drains one. */
final class StreamPump {
    private StreamPump() {
    }

    /** Writes {@code data} into an engine as the send buffer allows, then optionally closes. */
    static final class Writer implements Runnable {
        private final VirtualLink link;
        private final boolean fromA;
        private final byte[] data;
        private final int chunk;
        private int written;
        boolean closeWhenDone;
        private boolean closed;

        Writer(VirtualLink link, boolean fromA, byte[] data, int chunk) {
            this.link = link;
            this.fromA = fromA;
            this.data = data;
            this.chunk = chunk;
        }

        @Override
        public void run() {
            Engine e = fromA ? link.a : link.b;
            if (e == null || e.state() == EngineState.CLOSED) {
                return;
            }
            while (written < data.length) {
                int n = e.write(data, written, Math.min(chunk, data.length - written), false, link.now);
                if (n == 0) {
                    break;
                }
                written += n;
            }
            if (written == data.length && closeWhenDone && !closed) {
                closed = true;
                e.close(link.now);
            }
        }

        int written() {
            return written;
        }
    }

    /** Reads everything an engine delivers; {@code paused} stops reading. */
    static final class Reader implements Runnable {
        private final VirtualLink link;
        private final boolean atB;
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private final byte[] buf = new byte[64 * 1024];
        boolean paused;
        boolean eof;

        Reader(VirtualLink link, boolean atB) {
            this.link = link;
            this.atB = atB;
        }

        @Override
        public void run() {
            Engine e = atB ? link.b : link.a;
            if (e == null || paused) {
                return;
            }
            int n;
            while ((n = e.read(buf, 0, buf.length, link.now)) > 0) {
                received.write(buf, 0, n);
            }
            if (n < 0) {
                eof = true;
            }
        }
    }

    /** Runs several applications in order. */
    static Runnable all(Runnable... apps) {
        return () -> {
            for (Runnable r : apps) {
                r.run();
            }
        };
    }
}
