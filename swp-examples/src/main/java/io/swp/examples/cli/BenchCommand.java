package io.swp.examples.cli;

import io.swp.examples.cli.BenchRuns.Row;
import io.swp.examples.cli.BenchRuns.Sample;
import io.swp.hash.Blake2b;
import java.io.PrintWriter;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code swp bench}: side by side on the same server and file size — raw core NATS
 * pub/sub, an swp stream (goodput without file or hashing), an swp file transfer,
 * JetStream Object Store put + get, swp with injected loss, and one file to several
 * receivers by {@code publish} against as many unicast sessions ({@link FanoutBench}) —
 * so ratios are measured under the same conditions. With {@code --runs N} every row runs N times, the rows
 * alternating, and the median of each row is reported (see {@link BenchRuns}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Compare swp with raw NATS pub/sub and JetStream Object Store in one run.",
                "MB = 10^6 bytes. Object Store needs a server started with JetStream (nats-server -js)."})
final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--server", required = true, paramLabel = "URL", description = "NATS URL (or cluster URLs).")
    String server;

    @Option(names = "--size", defaultValue = "1g", converter = ByteSize.Converter.class,
            description = "Bytes moved by each contender. Default: ${DEFAULT-VALUE}.")
    long size;

    @Option(names = "--loss", split = ",", defaultValue = "0.01,0.10", paramLabel = "P",
            description = "Injected loss levels for the extra swp runs (each 0..0.5). Default: ${DEFAULT-VALUE}.")
    List<Double> lossLevels;

    @Option(names = "--warmup", defaultValue = "256m", converter = ByteSize.Converter.class, paramLabel = "SIZE",
            description = {"Bytes moved untimed by raw pub/sub and by an swp stream in each warm-up round before "
                    + "the measured runs, so the JIT has compiled both paths (it takes some 10^4 frames) and no contender "
                    + "pays for compilation; rounds repeat, 2 to 5 of them, until one adds under 100 ms of JIT "
                    + "compilation. 0 turns it off. "
                    + "Default: ${DEFAULT-VALUE}."})
    long warmup;

    @Option(names = "--runs", defaultValue = "1", paramLabel = "N",
            description = {"Run every row N times, alternating the rows (1, 2, ..., last, 1, 2, ...), and report "
                    + "each row's median; --json also lists every run. Default: ${DEFAULT-VALUE}."})
    int runs;

    @Option(names = "--fanout-size", defaultValue = "64m", converter = ByteSize.Converter.class, paramLabel = "SIZE",
            description = {"File size of the one-to-many rows: one publisher to --fanout-receivers subscribers, "
                    + "against as many unicast sessions from one sender; each receiver gets the whole file. "
                    + "0 leaves the rows out. Default: ${DEFAULT-VALUE}."})
    long fanoutSize;

    @Option(names = "--monitor", paramLabel = "URL",
            description = {"nats-server monitoring URL (e.g. http://127.0.0.1:8222, server started with -m 8222): the "
                    + "one-to-many rows then also report the server's own count of bytes in (/varz in_bytes), "
                    + "exact if nothing else uses the server meanwhile."})
    String monitor;

    @Option(names = "--fanout-receivers", defaultValue = "8", paramLabel = "N",
            description = "Receivers in the one-to-many rows. Default: ${DEFAULT-VALUE}.")
    int fanoutReceivers;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    private static final String RAW = "raw NATS pub/sub (no reliability)";
    private static final String STREAM = "swp stream (no file, no hashing)";
    private static final String FILE = "swp file transfer";
    private static final String OBJSTORE = "JetStream Object Store put+get";
    /** The table's columns as text: the header, and a row that could not run. */
    private static final String TEXT_ROW = "%-34s %10s %12s %10s %6s  %s%n";

    @Override
    public Integer call() throws Exception {
        for (double p : lossLevels) {
            InjectedLoss.check("--loss", p);
        }
        if (size < 1) {
            throw new SwpCli.UsageException("--size must be at least 1 byte");
        }
        if (warmup < 0) {
            throw new SwpCli.UsageException("--warmup must not be negative");
        }
        Checks.atLeastOne("--runs", runs);
        Checks.atLeastOne("--fanout-receivers", fanoutReceivers);
        if (fanoutSize < 0) {
            throw new SwpCli.UsageException("--fanout-size must not be negative");
        }
        if (fanoutSize > 0) {
            FanoutBench.varzInBytes(monitor); // an unreachable --monitor fails now, not after the other rows
        }
        String digest = Blake2b.selected().label();
        String digestCode = digest.equals(Blake2b.Implementation.LIBSODIUM.label())
                ? Blake2b.nativeCode().orElse("") : "";
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter log = json ? new PrintWriter(java.io.Writer.nullWriter()) : out;
        Path work = Files.createTempDirectory("swp-bench-");
        try {
            Path file = work.resolve("bench.bin");
            Transfers.generateFile(file, size, 42);
            Path fanoutFile = work.resolve("fanout.bin");
            if (fanoutSize > 0) {
                Transfers.generateFile(fanoutFile, fanoutSize, 43);
            }
            int frame = Transfers.benchFramePayload(server);

            log.println("swp bench: " + ByteSize.format(size) + " per run, frame payload "
                    + ByteSize.format(frame) + ", warm-up " + ByteSize.format(warmup) + ", server " + server + ", "
                    + Runtime.getRuntime().availableProcessors() + " CPUs, Java " + System.getProperty("java.version")
                    + ", BLAKE2b-256 by " + digest + (digestCode.isEmpty() ? "" : ", " + digestCode + " code")
                    + (runs > 1 ? ", " + runs + " runs per row (rows alternating), medians shown" : ""));
            log.flush();
            int warmupRounds = warmup > 0 ? warmUp(frame) : 0;
            log.println("warm-up: " + warmupRounds + " rounds");
            log.flush();
            List<Row> rows = rows(file, fanoutFile, work, frame);
            List<List<Sample>> all = BenchRuns.alternate(runs, rows, CpuMeter.SYSTEM);
            List<Sample> medians = BenchRuns.medians(all);

            if (json) {
                StringBuilder sb = new StringBuilder("{");
                sb.append("\"size_bytes\":").append(size).append(',');
                sb.append("\"frame_payload_bytes\":").append(frame).append(',');
                sb.append("\"warmup_bytes\":").append(warmup).append(',');
                sb.append("\"warmup_rounds\":").append(warmupRounds).append(',');
                sb.append("\"blake2b\":\"").append(digest).append("\",");
                if (!digestCode.isEmpty()) {
                    String word = digestCode.split(" ", 2)[0].toLowerCase(Locale.ROOT);
                    sb.append("\"blake2b_code\":\"").append(word).append("\",");
                }
                sb.append("\"run_count\":").append(runs).append(',');
                sb.append(BenchRuns.jsonFields(medians)).append(',');
                sb.append("\"runs\":[");
                for (int i = 0; i < all.size(); i++) {
                    sb.append(i == 0 ? "{" : ",{").append(BenchRuns.jsonFields(all.get(i))).append('}');
                }
                sb.append("]}");
                out.println(sb);
                return 0;
            }
            printTable(out, rows, medians, digest);
            if (runs > 1) {
                printRuns(out, rows, all);
            }
            return 0;
        } finally {
            Transfers.deleteTree(work);
        }
    }

    /** Fewest warm-up rounds: the second runs each path in a new session after the first has been compiled. */
    private static final int MIN_WARMUP_ROUNDS = 2;
    /** Most warm-up rounds, however busy the JIT still is. */
    private static final int MAX_WARMUP_ROUNDS = 5;
    /** JIT time one warm-up round may add and still count as settled. */
    private static final long SETTLED_COMPILE_MILLIS = 100;

    /**
     * Untimed raw pub/sub and swp stream transfers of {@code --warmup} bytes each, in rounds,
     * until a round adds less than {@link #SETTLED_COMPILE_MILLIS} of JIT compilation. One
     * round was not enough: the C2 code compiled during the first swp session still hits
     * branches it had not seen when the next session opens and closes, is thrown away and
     * compiled again; with one round that recompilation took about a fifth of the CPU of
     * the first measured stream run on 2 cores.
     *
     * @return the rounds run
     */
    private int warmUp(int frame) throws Exception {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
        int round = 0;
        while (round < MAX_WARMUP_ROUNDS) {
            long before = timed ? jit.getTotalCompilationTime() : 0;
            RawPubSubBench.run(server, warmup, frame);
            Transfers.benchStream(server, warmup);
            round++;
            long compiled = timed ? jit.getTotalCompilationTime() - before : 0;
            if (round >= MIN_WARMUP_ROUNDS && compiled < SETTLED_COMPILE_MILLIS) {
                break;
            }
        }
        return round;
    }

    /** The rows in table order; each measures once per call and names its metrics by JSON key. */
    private List<Row> rows(Path file, Path fanoutFile, Path work, int frame) {
        List<Row> rows = new ArrayList<>();
        rows.add(new Row(RAW, "raw_pubsub_mbps", size, () -> {
            RawPubSubBench.Result r = RawPubSubBench.run(server, size, frame);
            return sample("raw_pubsub_mbps", r.mbps(), "raw_dropped_msgs", (double) r.dropped(),
                    "raw_published_msgs", (double) r.messagesPublished());
        }));
        rows.add(new Row(STREAM, "swp_stream_mbps", size, () -> {
            Transfers.Outcome o = Transfers.benchStream(server, size);
            return sample("swp_stream_mbps", ByteSize.mbps(o.bytes(), o.nanos()),
                    "swp_stream_retransmits", (double) o.retransmits());
        }));
        rows.add(new Row(FILE, "swp_mbps", size, () -> {
            Transfers.Outcome o = Transfers.benchSwp(server, 0, file, work);
            return sample("swp_mbps", ByteSize.mbps(o.bytes(), o.nanos()), "swp_retransmits", (double) o.retransmits());
        }));
        rows.add(new Row(OBJSTORE, "objstore_put_get_mbps", size, () -> {
            ObjectStoreBench.Result r = ObjectStoreBench.run(server, file, work);
            Map<String, Double> m = new LinkedHashMap<>();
            boolean ok = r.unavailable() == null;
            m.put("objstore_put_get_mbps", ok ? r.mbps() : null);
            m.put("objstore_put_s", ok ? r.putNanos() / 1e9 : null);
            m.put("objstore_get_s", ok ? r.getNanos() / 1e9 : null);
            return new Sample(m, r.unavailable());
        }));
        for (double p : lossLevels) {
            String prefix = "swp_loss" + Math.round(p * 100);
            String name = String.format(Locale.ROOT, "swp at %.0f%% injected loss", p * 100);
            rows.add(new Row(name, prefix + "_mbps", size, () -> {
                Transfers.Outcome o = Transfers.benchSwp(server, p, file, work);
                return sample(prefix + "_mbps", ByteSize.mbps(o.bytes(), o.nanos()),
                        prefix + "_retransmits", (double) o.retransmits());
            }));
        }
        if (fanoutSize > 0) {
            rows.add(new Row(fanoutName(), "fanout_mbps", fanoutSize * fanoutReceivers, () -> fanoutSample("fanout",
                    FanoutBench.fanout(server, monitor, fanoutFile, work, fanoutReceivers))));
            rows.add(new Row(unicastName(), "unicast_n_mbps", fanoutSize * fanoutReceivers, () -> fanoutSample("unicast_n",
                    FanoutBench.unicast(server, monitor, fanoutFile, work, fanoutReceivers))));
        }
        return rows;
    }

    private String fanoutName() {
        return "swp publish, 1 to " + fanoutReceivers + " subscribers";
    }

    private String unicastName() {
        return "swp send, " + fanoutReceivers + " unicast sessions";
    }

    /** MB/s is what all receivers together got: the file size times the receivers over the wall time. */
    private Sample fanoutSample(String prefix, FanoutBench.Result r) {
        return sample(prefix + "_mbps", ByteSize.mbps(fanoutSize * fanoutReceivers, r.nanos()),
                prefix + "_wall_s", r.nanos() / 1e9,
                prefix + "_server_in_bytes", (double) r.serverInBytes(),
                prefix + "_sender_bytes", (double) r.senderBytes(),
                prefix + "_varz_in_bytes", r.varzInBytes() < 0 ? null : (Double) (double) r.varzInBytes());
    }

    private static Sample sample(Object... keysAndValues) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], (Double) keysAndValues[i + 1]);
        }
        return new Sample(m, null);
    }

    private void printTable(PrintWriter out, List<Row> rows, List<Sample> m, String digest) {
        Sample raw = m.get(0);
        Sample stream = m.get(1);
        Sample swp = m.get(2);
        Sample obj = m.get(3);
        double rawMbps = raw.get("raw_pubsub_mbps");
        double swpMbps = swp.get("swp_mbps");
        out.println();
        out.printf(Locale.ROOT, TEXT_ROW, "contender", "MB/s", "vs raw", "CPU ms/MB", "busy",
                "notes");
        row(out, rows.get(0), raw, rawMbps, count(raw.get("raw_dropped_msgs")) + " of "
                + count(raw.get("raw_published_msgs")) + " messages dropped");
        row(out, rows.get(1), stream, rawMbps, count(stream.get("swp_stream_retransmits")) + " retransmits");
        row(out, rows.get(2), swp, rawMbps,
                "BLAKE2b (" + digest + ") verified, " + count(swp.get("swp_retransmits")) + " retransmits");
        if (obj.get("objstore_put_get_mbps") != null) {
            row(out, rows.get(3), obj, rawMbps, String.format(Locale.ROOT,
                    "put %.2f s, get %.2f s", obj.get("objstore_put_s"), obj.get("objstore_get_s")));
        } else {
            out.printf(Locale.ROOT, TEXT_ROW, OBJSTORE, "n/a", "", "", "", obj.unavailable());
        }
        int lossRows = 4 + lossLevels.size();
        for (int i = 4; i < lossRows; i++) {
            Row r = rows.get(i);
            double mbps = m.get(i).get(r.mbpsKey());
            String retransmits = count(m.get(i).get(r.key("retransmits")));
            row(out, r, m.get(i), rawMbps, String.format(Locale.ROOT,
                    "%.0f%% of swp at 0%%, %s retransmits", 100 * mbps / swpMbps, retransmits));
        }
        if (fanoutSize > 0) {
            out.println();
            out.printf(Locale.ROOT, "one to many: %s to each of %d receivers, every client on its own connection; "
                    + "MB/s = all receivers together%n", ByteSize.format(fanoutSize), fanoutReceivers);
            Sample fan = m.get(lossRows);
            Sample uni = m.get(lossRows + 1);
            double uniWall = uni.get("unicast_n_wall_s");
            double uniIn = bytesIn(uni, "unicast_n");
            fanoutRow(out, rows.get(lossRows), fan, "fanout", rawMbps, uniWall, uniIn);
            fanoutRow(out, rows.get(lossRows + 1), uni, "unicast_n", rawMbps, uniWall, uniIn);
        }
        out.println();
        out.println("CPU ms/MB: this process's CPU per MB moved (both ends of every swp row run here; nats-server's"
                + " is not in it). busy: the machine's CPU busy while the row ran; near 100 % the row was limited by"
                + " the CPU, and its ratio to another such row compares what each costs per byte.");
    }

    /** @return the server's own count of bytes in when --monitor gave one, else the clients' count */
    private static double bytesIn(Sample s, String prefix) {
        Double varz = s.get(prefix + "_varz_in_bytes");
        return varz != null ? varz : s.get(prefix + "_server_in_bytes");
    }

    private void fanoutRow(PrintWriter out, Row r, Sample s, String prefix, double rawMbps, double uniWall,
            double uniIn) {
        double wall = s.get(prefix + "_wall_s");
        double in = bytesIn(s, prefix);
        boolean byServer = s.get(prefix + "_varz_in_bytes") != null;
        row(out, r, s, rawMbps, String.format(Locale.ROOT,
                "wall %.2f s (%.2fx unicast), into the server %s = %.2fx the file (%.2fx unicast; %s), sender %s",
                wall, wall / uniWall, ByteSize.format((long) in), in / fanoutSize, in / uniIn,
                byServer ? "server's count" : "counted at the clients",
                ByteSize.format(s.get(prefix + "_sender_bytes").longValue())));
    }

    /** Every run's MB/s per row, in the order measured, so the spread behind each median is visible. */
    private static void printRuns(PrintWriter out, List<Row> rows, List<List<Sample>> all) {
        out.println();
        out.println("MB/s of every run, in the order measured (rows alternate):");
        for (int r = 0; r < rows.size(); r++) {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-34s", rows.get(r).name()));
            for (List<Sample> pass : all) {
                Double mbps = pass.get(r).get(rows.get(r).mbpsKey());
                sb.append(mbps == null ? String.format(Locale.ROOT, " %10s", "n/a")
                        : String.format(Locale.ROOT, " %10.1f", mbps));
            }
            out.println(sb);
        }
    }

    private static String count(Double v) {
        return v == null ? "?" : BenchRuns.count(v);
    }

    private static void row(PrintWriter out, Row r, Sample s, double rawMbps, String notes) {
        double mbps = s.get(r.mbpsKey());
        Double cpu = s.get(r.key(BenchRuns.CPU_MS_PER_MB));
        Double busy = s.get(r.key(BenchRuns.MACHINE_BUSY));
        out.printf(Locale.ROOT, "%-34s %10.1f %11.2fx %10s %6s  %s%n", r.name(), mbps, rawMbps > 0 ? mbps / rawMbps : 0,
                cpu == null ? "?" : String.format(Locale.ROOT, "%.2f", cpu),
                busy == null ? "?" : String.format(Locale.ROOT, "%.0f%%", 100 * busy), notes);
    }
}
