package io.swp.examples.cli;

import io.swp.file.FileTransfer;
import io.swp.Endpoint;
import io.swp.Network;
import io.swp.Session;
import io.swp.SessionConfig;
import io.swp.file.FileTransferStats;
import io.swp.file.ReceivedFile;
import io.swp.nats.NatsNetwork;
import io.swp.sim.Impairments;
import io.swp.sim.InMemoryNetwork;
import io.swp.sim.LossyNetwork;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * What the commands do with sessions: open networks and endpoints, move files, and
 * summarise the outcome. Kept apart from argument parsing so {@code demo}, {@code send},
 * {@code recv} and {@code bench} share one way of running a transfer.
 */
final class Transfers {
    private static final int GENERATE_CHUNK = 1 << 20;
    /** How long recv waits for the sender to close after the last file it wanted. */
    private static final Duration SENDER_FINISH_WAIT = Duration.ofSeconds(30);

    /**
     * @param bytes file bytes moved
     * @param nanos wall time of the transfer
     * @param framesSent frames the sender put on the network
     * @param retransmits frames the sender sent again
     * @param blake2bHex BLAKE2b-256 the receiver verified
     */
    record Outcome(long bytes, long nanos, long framesSent, long retransmits, String blake2bHex,
                   io.swp.protocol.EngineStats senderStats) {
    }

    private Transfers() {
    }

    /** Writes {@code size} pseudo-random bytes (seeded, so runs are comparable). */
    static void generateFile(Path file, long size, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] chunk = new byte[GENERATE_CHUNK];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; ) {
                int n = (int) Math.min(chunk.length, left);
                random.nextBytes(chunk);
                out.write(chunk, 0, n);
                left -= n;
            }
        }
    }

    /** @return the frame payload swp uses by default, which the raw baseline copies */
    static int benchFramePayload(String server) {
        return SessionConfig.defaults().maxPayloadBytes();
    }

    /**
     * Sends {@code file} from one endpoint to another in this process and waits until the
     * receiver has verified it.
     *
     * @param server NATS URLs, or null for the in-process network
     * @param loss loss probability per frame and direction
     * @param seed seed of the injected loss
     */
    @SuppressWarnings("try") // the Progress resource is a scope guard: the try only closes it
    static Outcome loopback(String server, double loss, long seed, Path file, Path outDir, PrintWriter out)
            throws Exception {
        String suffix = Long.toHexString(new SplittableRandom().nextLong() >>> 1);
        InMemoryNetwork shared = server == null ? InMemoryNetwork.create() : null;
        try (Network senderNet = lossy(server == null ? shared : NatsNetwork.connect(server), loss, seed, shared == null);
             Network receiverNet = lossy(server == null ? shared : NatsNetwork.connect(server), loss, seed + 1,
                     shared == null);
             Endpoint receiver = Endpoint.open(receiverNet, "swp.demo.receiver." + suffix);
             Endpoint sender = Endpoint.open(senderNet, "swp.demo.sender." + suffix)) {
            ExecutorService pool = Executors.newSingleThreadExecutor(r -> new Thread(r, "swp-receiver"));
            try {
                Future<ReceivedFile> received = pool.submit(() -> {
                    try (Session s = receiver.accept(Duration.ofSeconds(30))) {
                        ReceivedFile f = FileTransfer.receive(s, outDir);
                        if (f == null) {
                            throw new IOException("the sender closed the session before sending the file");
                        }
                        return f;
                    }
                });
                long start = System.nanoTime();
                FileTransferStats sent;
                io.swp.protocol.EngineStats senderStats;
                try (Session s = sender.connect(receiver.localInbox());
                     Progress p = Progress.start("send", Files.size(file), () -> s.stats().payloadBytesSent(),
                             System.out)) {
                    sent = FileTransfer.send(s, file);
                    senderStats = s.stats();
                }
                ReceivedFile got = unwrap(received);
                long nanos = System.nanoTime() - start;
                if (!got.blake2b256().equals(sent.blake2b256())) {
                    throw new IOException("BLAKE2b mismatch: sent " + sent.blake2b256() + ", received " + got.blake2b256());
                }
                return new Outcome(got.size(), nanos, senderStats.framesSent(), senderStats.retransmits(),
                        got.blake2b256(), senderStats);
            } finally {
                pool.shutdownNow();
            }
        } finally {
            if (shared != null) {
                shared.close();
            }
        }
    }

    /** Bytes per write in the stream bench: large, so the figure measures swp rather than the caller. */
    private static final int STREAM_WRITE_BYTES = 64 * 1024;

    /**
     * Stream goodput with no file and no hashing: {@code size} bytes written through one
     * session's {@code OutputStream} between two connections and read to end of stream on
     * the other side. The time runs from {@code connect} until the receiver has seen end of
     * stream and the sender's {@code close()} has been acknowledged.
     */
    static Outcome benchStream(String server, long size) throws Exception {
        String suffix = Long.toHexString(new SplittableRandom().nextLong() >>> 1);
        try (Network senderNet = NatsNetwork.connect(server);
             Network receiverNet = NatsNetwork.connect(server);
             Endpoint receiver = Endpoint.open(receiverNet, "swp.bench.stream.receiver." + suffix);
             Endpoint sender = Endpoint.open(senderNet, "swp.bench.stream.sender." + suffix)) {
            ExecutorService pool = Executors.newSingleThreadExecutor(r -> new Thread(r, "swp-stream-receiver"));
            try {
                Future<Long> received = pool.submit(() -> {
                    try (Session s = receiver.accept(Duration.ofSeconds(30))) {
                        byte[] buf = new byte[STREAM_WRITE_BYTES];
                        long total = 0;
                        for (int n; (n = s.getInputStream().read(buf)) >= 0; ) {
                            total += n;
                        }
                        return total;
                    }
                });
                byte[] chunk = new byte[STREAM_WRITE_BYTES];
                new SplittableRandom(42).nextBytes(chunk);
                long start = System.nanoTime();
                Session s = sender.connect(receiver.localInbox());
                try (s) {
                    OutputStream out = s.getOutputStream();
                    for (long left = size; left > 0; ) {
                        int n = (int) Math.min(chunk.length, left);
                        out.write(chunk, 0, n);
                        left -= n;
                    }
                } // close() returns once the receiver acknowledged everything
                io.swp.protocol.EngineStats senderStats = s.stats();
                long got = unwrap(received);
                long nanos = System.nanoTime() - start;
                if (got != size) {
                    throw new IOException("stream bench: sent " + size + " bytes, received " + got);
                }
                return new Outcome(got, nanos, senderStats.framesSent(), senderStats.retransmits(), null,
                        senderStats);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** swp over the given server with two connections, as the bench's contender. */
    static Outcome benchSwp(String server, double loss, Path file, Path work) throws Exception {
        Path outDir = Files.createTempDirectory(work, "recv-");
        try {
            return loopback(server, loss, 7, file, outDir, null);
        } finally {
            deleteTree(outDir);
        }
    }

    /** {@code swp send}: one session, the files one after another. */
    @SuppressWarnings("try") // the Progress resource is a scope guard: the try only closes it
    static void send(String server, String from, String to, double loss, List<Path> files, PrintWriter out)
            throws IOException {
        try (Network net = lossy(NatsNetwork.connect(server), loss, System.nanoTime(), true);
             Endpoint endpoint = Endpoint.open(net, from)) {
            endpoint.setAccepting(false);
            try (Session session = endpoint.connect(to)) {
                for (Path f : files) {
                    long base = session.stats().payloadBytesSent();
                    FileTransferStats st;
                    try (Progress p = Progress.start(f.getFileName().toString(), Files.size(f),
                            () -> session.stats().payloadBytesSent() - base, System.out)) {
                        st = FileTransfer.send(session, f);
                    }
                    out.printf(Locale.ROOT, "sent %s (%s) in %.2f s, %.1f MB/s, %d retransmits, blake2b-256 %s%n",
                            st.name(), ByteSize.format(st.bytes()), st.duration().toNanos() / 1e9,
                            st.goodputBytesPerSecond() / 1e6, st.retransmits(), st.blake2b256());
                    out.flush();
                }
            }
        }
    }

    /** {@code swp recv}: accept sessions until {@code count} files are stored. */
    @SuppressWarnings("try") // the Progress resource is a scope guard: the try only closes it
    static void receive(String server, String inbox, String from, double loss, Path dir, int count, PrintWriter out)
            throws IOException {
        try (Network net = lossy(NatsNetwork.connect(server), loss, System.nanoTime(), true);
             Endpoint endpoint = Endpoint.open(net, inbox)) {
            int stored = 0;
            while (stored < count) {
                Session session = endpoint.accept();
                try {
                    if (from != null && !from.equals(session.remoteInbox())) {
                        out.println("refused a session from " + session.remoteInbox() + " (expecting " + from + ")");
                        out.flush();
                        session.abort();
                        continue;
                    }
                    while (stored < count) {
                        ReceivedFile f;
                        try (Progress p = Progress.start("recv", -1, () -> session.stats().payloadBytesReceived(),
                                System.out)) {
                            f = FileTransfer.receive(session, dir);
                        }
                        if (f == null) {
                            break;
                        }
                        stored++;
                        out.printf(Locale.ROOT, "received %s (%s) in %.2f s, %.1f MB/s, blake2b-256 %s verified%n",
                                f.path(), ByteSize.format(f.size()), f.duration().toNanos() / 1e9,
                                ByteSize.mbps(f.size(), f.duration().toNanos()), f.blake2b256());
                        out.flush();
                    }
                    if (stored == count) {
                        awaitSenderFinished(session, out);
                    }
                } finally {
                    session.close();
                }
            }
        }
    }

    /**
     * After the last file we want, lets the sender finish its side first, so our close
     * (and the process exit that follows) does not reset a sender still closing.
     */
    private static void awaitSenderFinished(Session session, PrintWriter out) throws IOException {
        session.setReadTimeout(SENDER_FINISH_WAIT);
        try {
            if (session.getInputStream().read() != -1) {
                out.println("the sender has more files than --count; closing the session");
                out.flush();
            }
        } catch (java.net.SocketTimeoutException e) {
            // The sender keeps its session open; closing from our side is all we can do.
        }
    }

    private static Network lossy(Network delegate, double loss, long seed, boolean closeDelegate) {
        if (loss <= 0 && closeDelegate) {
            return delegate;
        }
        // Without loss this is just a view of a shared network whose close leaves it open.
        Impairments drop = loss <= 0 ? Impairments.NONE : Impairments.builder().lossRate(loss).build();
        return LossyNetwork.builder(delegate).outbound(drop).inbound(drop).seed(seed)
                .closeDelegate(closeDelegate).build();
    }

    private static <T> T unwrap(Future<T> f) throws Exception {
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof Exception) {
                throw (Exception) c;
            }
            throw e;
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
