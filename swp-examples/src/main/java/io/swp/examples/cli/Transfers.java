package io.swp.examples.cli;

import io.swp.file.FileTransfer;
import io.swp.Endpoint;
import io.swp.Network;
import io.swp.Session;
import io.swp.SessionConfig;
import io.swp.file.FileReceiver;
import io.swp.file.FileSender;
import io.swp.file.FileTransferException;
import io.swp.file.FileTransferStats;
import io.swp.file.ReceivedFile;
import io.swp.nats.NatsNetwork;
import io.swp.sim.Impairments;
import io.swp.sim.InMemoryNetwork;
import io.swp.sim.LossyNetwork;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
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
        // Each side loses only what it sends: both ends are in this process, so dropping
        // inbound frames too would apply the loss twice, 1 - (1 - p)^2 per direction
        // (19 % for --loss 0.1), where --loss promises p each way.
        try (Network senderNet = lossy(server == null ? shared : NatsNetwork.connect(server), loss, false, seed,
                     shared == null);
             Network receiverNet = lossy(server == null ? shared : NatsNetwork.connect(server), loss, false, seed + 1,
                     shared == null);
             Endpoint receiver = Endpoint.open(receiverNet, "swp.demo.receiver." + suffix,
                     InjectedLoss.stretch(SessionConfig.defaults(), loss));
             Endpoint sender = Endpoint.open(senderNet, "swp.demo.sender." + suffix,
                     InjectedLoss.stretch(loopbackSender(), loss))) {
            ExecutorService pool = Executors.newSingleThreadExecutor(r -> new Thread(r, "swp-receiver"));
            try {
                Future<ReceivedFile> received = pool.submit(() -> {
                    try (Session s = receiver.accept(InjectedLoss.stretch(Duration.ofSeconds(30), loss))) {
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

    /**
     * Session settings for the sending end of a transfer whose receiving end is in this
     * process: no TIME_WAIT. The sender closes first, so its session would wait out a
     * TIME_WAIT (and its endpoint's close about 4 s more) to answer the receiver's FIN
     * again if our last ACK were lost. Here the sender's endpoint stays open until the
     * receiver's session has closed, and a FIN that finds no session is answered with a
     * RESET, which ends the receiver's close as well: the wait would only delay the exit.
     */
    static SessionConfig loopbackSender() {
        return SessionConfig.defaults().toBuilder().timeWait(Duration.ZERO).build();
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
             Endpoint sender = Endpoint.open(senderNet, "swp.bench.stream.sender." + suffix, loopbackSender())) {
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

    /**
     * {@code swp send}: the files one after another over one session, or, when a session
     * fails or the server cannot be reached, over new ones for up to {@code retryFor}
     * without progress, resuming each unfinished file.
     */
    static void send(BusOptions bus, String from, String to, List<Path> files, Duration retryFor, PrintWriter out)
            throws IOException {
        try (SenderLink link = new SenderLink(bus, from, to)) {
            SendReport report = new SendReport(out);
            try {
                FileSender.builder(link::open).retryFor(retryFor).listener(report).build().send(files);
            } finally {
                report.stopProgress();
            }
        }
    }

    /** Opens the network and endpoint on first use, and a session per attempt. */
    private static final class SenderLink implements AutoCloseable {
        private final BusOptions bus;
        private final String from;
        private final String to;
        private Network net;
        private Endpoint endpoint;

        SenderLink(BusOptions bus, String from, String to) {
            this.bus = bus;
            this.from = from;
            this.to = to;
        }

        Session open() throws IOException {
            if (endpoint == null) {
                Network n = lossy(NatsNetwork.connect(bus.server), bus.loss, true, bus.lossSeed(), true);
                try {
                    endpoint = Endpoint.open(n, from, bus.sessionConfig());
                } catch (IOException | RuntimeException e) {
                    n.close();
                    throw e;
                }
                endpoint.setAccepting(false);
                net = n;
            }
            return endpoint.connect(to);
        }

        @Override
        public void close() {
            if (endpoint != null) {
                endpoint.close();
            }
            if (net != null) {
                net.close();
            }
        }
    }

    /** What {@code swp send} prints: one line per event, on standard output. */
    private static final class SendReport implements FileSender.Listener {
        private final PrintWriter out;
        private Progress progress;

        SendReport(PrintWriter out) {
            this.out = out;
        }

        @Override
        @SuppressWarnings("try")
        public void started(String name, long size, Session session) {
            stopProgress();
            long base = session.stats().payloadBytesSent();
            progress = Progress.start(name, size, () -> session.stats().payloadBytesSent() - base, System.out);
        }

        @Override
        public void resumed(String name, long offset, long size) {
            say(String.format(Locale.ROOT, "resumed %s at %d of %d (%.1f %%)", name, offset, size,
                    size == 0 ? 100.0 : offset * 100.0 / size));
        }

        @Override
        public void discarded(String name, String reason) {
            say(reason);
        }

        @Override
        public void sent(FileTransferStats st) {
            stopProgress();
            say(String.format(Locale.ROOT, "sent %s (%s) in %.2f s, %.1f MB/s, %d retransmits, blake2b-256 %s%s",
                    st.name(), ByteSize.format(st.bytes()), st.duration().toNanos() / 1e9,
                    st.goodputBytesPerSecond() / 1e6, st.retransmits(), st.blake2b256(),
                    st.resumedAt() == st.bytes() && st.bytes() > 0 ? " (the receiver already had it)"
                            : st.resumedAt() > 0 ? " (resumed at " + st.resumedAt() + ")" : ""));
        }

        @Override
        public void retrying(IOException failure, Duration delay, int attempt) {
            stopProgress();
            say(SwpCli.oneLine(failure) + "; retrying in " + Durations.format(delay));
        }

        void stopProgress() {
            if (progress != null) {
                progress.close();
                progress = null;
            }
        }

        private void say(String line) {
            out.println(line);
            out.flush();
        }
    }

    /**
     * {@code swp recv}: serves up to {@code parallel} sessions at once until {@code count}
     * files are stored. A session that fails, is refused or goes idle is reported with one
     * line and the receiver goes on waiting (the sender, if it retries, comes back and
     * resumes); only a failure of the receiver itself ends it.
     */
    static void receive(BusOptions bus, String inbox, String from, FileReceiver.Builder policy, int count,
                        int parallel, PrintWriter out) throws Exception {
        try (Network net = lossy(NatsNetwork.connect(bus.server), bus.loss, true, bus.lossSeed(), true);
             Endpoint endpoint = Endpoint.open(net, inbox, bus.sessionConfig())) {
            ReceiveJob job = new ReceiveJob(endpoint, from, count, out);
            FileReceiver receiver = policy.listener(job).build();
            int removed = receiver.cleanUp();
            if (removed > 0) {
                job.say("removed " + removed + " stale partial file(s) from " + receiver.directory());
            }
            job.run(receiver, parallel);
        }
    }

    /** The state {@code swp recv}'s workers share. */
    private static final class ReceiveJob implements FileReceiver.Listener {
        private final Endpoint endpoint;
        private final String from;
        private final int count;
        private final PrintWriter out;
        private final AtomicInteger stored = new AtomicInteger();
        private final Set<String> names = ConcurrentHashMap.newKeySet();
        private final Set<Session> live = ConcurrentHashMap.newKeySet();
        private final LongAdder doneBytes = new LongAdder();
        private final CompletableFuture<Void> finished = new CompletableFuture<>();

        ReceiveJob(Endpoint endpoint, String from, int count, PrintWriter out) {
            this.endpoint = endpoint;
            this.from = from;
            this.count = count;
            this.out = out;
        }

        @SuppressWarnings("try") // the Progress resource is a scope guard: the try only closes it
        void run(FileReceiver receiver, int parallel) throws Exception {
            ExecutorService workers = Executors.newFixedThreadPool(parallel, r -> {
                Thread t = new Thread(r, "swp-recv");
                t.setDaemon(true);
                return t;
            });
            try (Progress p = Progress.start("recv", -1, this::bytesSoFar, System.out)) {
                for (int i = 0; i < parallel; i++) {
                    workers.execute(() -> work(receiver));
                }
                try {
                    finished.get();
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof Exception x ? x : e;
                }
            } finally {
                live.forEach(Session::abort);
                workers.shutdownNow();
            }
        }

        private long bytesSoFar() {
            long sum = doneBytes.sum();
            for (Session s : live) {
                sum += s.stats().payloadBytesReceived();
            }
            return sum;
        }

        private void work(FileReceiver receiver) {
            while (!finished.isDone()) {
                CompletableFuture<Session> next = endpoint.acceptAsync();
                CompletableFuture.anyOf(next, finished).join();
                if (finished.isDone()) {
                    next.thenAccept(Session::abort);
                    return;
                }
                Session s;
                try {
                    s = next.join();
                } catch (CompletionException e) {
                    finished.completeExceptionally(e.getCause());
                    return;
                }
                try {
                    serve(receiver, s);
                } catch (RuntimeException | Error e) {
                    finished.completeExceptionally(e);
                    throw e;
                }
            }
        }

        private void serve(FileReceiver receiver, Session s) {
            live.add(s);
            boolean clean = false;
            boolean last = false;
            try {
                if (from != null && !from.equals(s.remoteInbox())) {
                    say("refused a session from " + s.remoteInbox() + " (expecting " + from + ")");
                    s.abort();
                    return;
                }
                while (!finished.isDone()) {
                    ReceivedFile f;
                    try {
                        f = receiver.receive(s);
                    } catch (FileTransferException | FileAlreadyExistsException e) {
                        if (!finished.isDone()) {
                            say(SwpCli.oneLine(e));
                        }
                        return;
                    } catch (IOException e) {
                        finished.completeExceptionally(e);
                        return;
                    }
                    if (f == null) {
                        clean = true;
                        return;
                    }
                    if (f.alreadyStored() && !names.add(f.name())) {
                        say(f.name() + " was already received; confirmed again to " + s.remoteInbox());
                        continue;
                    }
                    names.add(f.name());
                    // Every stored file is reported, also one that completed on another
                    // session just as the last one counted did.
                    int n = stored.incrementAndGet();
                    say(String.format(Locale.ROOT, "received %s (%s) in %.2f s, %.1f MB/s, blake2b-256 %s verified%s",
                            f.path(), ByteSize.format(f.size()), f.duration().toNanos() / 1e9,
                            ByteSize.mbps(f.size() - f.resumedAt(), f.duration().toNanos()), f.blake2b256(),
                            f.alreadyStored() ? " (stored by an earlier attempt)"
                                    : f.resumedAt() > 0 ? " (resumed at " + f.resumedAt() + ")" : ""));
                    if (n >= count) {
                        awaitSenderFinished(s, out);
                        clean = true;
                        last = true; // finished once the session is closed: closing must not be interrupted
                        return;
                    }
                }
            } finally {
                live.remove(s);
                doneBytes.add(s.stats().payloadBytesReceived());
                if (clean) {
                    try {
                        s.close();
                    } catch (IOException e) {
                        // The files are stored and verified: a close that fails changes
                        // nothing, and is no failure of the command. Said, not hidden.
                        say("closing the session with " + s.remoteInbox() + " failed after its files were stored "
                                + "(" + SwpCli.oneLine(e) + "); they are complete");
                    }
                    if (last) {
                        finished.complete(null);
                    }
                } else {
                    // Not abort: a refusal must reach the sender before the session ends
                    // (a failed session is closed already; the endpoint bounds the rest).
                    s.closeAsync();
                }
            }
        }

        @Override
        public void resumed(String name, String sender, long offset, long size) {
            say(String.format(Locale.ROOT, "resuming %s from %s at %d of %d", name, sender, offset, size));
        }

        @Override
        public void discarded(String name, String sender, String reason) {
            say(reason);
        }

        void say(String line) {
            synchronized (out) {
                out.println(line);
                out.flush();
            }
        }
    }

    /**
     * After the last file we want, lets the sender finish its side first, so our close
     * (and the process exit that follows) does not reset a sender still closing.
     */
    private static void awaitSenderFinished(Session session, PrintWriter out) {
        session.setReadTimeout(SENDER_FINISH_WAIT);
        try {
            if (session.getInputStream().read() != -1) {
                synchronized (out) {
                    out.println("the sender has more files than --count; closing the session");
                    out.flush();
                }
            }
        } catch (IOException e) {
            // The sender keeps its session open, or it failed: closing from our side is all we can do.
        }
    }

    /**
     * @param inboundToo whether to drop received frames as well as sent ones: for a
     *     process that talks to a peer elsewhere, whose own frames would otherwise never
     *     be lost
     */
    static Network lossy(Network delegate, double loss, boolean inboundToo, long seed, boolean closeDelegate) {
        if (loss <= 0 && closeDelegate) {
            return delegate;
        }
        // Without loss this is just a view of a shared network whose close leaves it open.
        Impairments drop = loss <= 0 ? Impairments.NONE : Impairments.builder().lossRate(loss).build();
        return LossyNetwork.builder(delegate).outbound(drop).inbound(inboundToo ? drop : Impairments.NONE).seed(seed)
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
