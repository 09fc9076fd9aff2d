package io.swp.examples.cli;

import io.swp.hash.Blake2b;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code swp bench}: one run, side by side on the same server and file size — raw core
 * NATS pub/sub, an swp stream (goodput without file or hashing), an swp file transfer,
 * JetStream Object Store put + get, and swp with
 * injected loss — so ratios are measured under the same conditions.
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
            description = "Injected loss levels for the extra swp runs. Default: ${DEFAULT-VALUE}.")
    List<Double> lossLevels;

    @Option(names = "--warmup", defaultValue = "256m", converter = ByteSize.Converter.class, paramLabel = "SIZE",
            description = {"Bytes moved untimed by raw pub/sub and by an swp stream before the measured runs, so "
                    + "the JIT has compiled both paths (it takes some 10^4 frames) and no contender pays for compilation; "
                    + "0 turns it off. "
                    + "Default: ${DEFAULT-VALUE}."})
    long warmup;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        for (double p : lossLevels) {
            Checks.probability("--loss", p);
        }
        if (size < 1) {
            throw new SwpCli.UsageException("--size must be at least 1 byte");
        }
        if (warmup < 0) {
            throw new SwpCli.UsageException("--warmup must not be negative");
        }
        String digest = Blake2b.selected().label();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter log = json ? new PrintWriter(java.io.Writer.nullWriter()) : out;
        Path work = Files.createTempDirectory("swp-bench-");
        try {
            Path file = work.resolve("bench.bin");
            Transfers.generateFile(file, size, 42);
            int frame = Transfers.benchFramePayload(server);

            log.println("swp bench: " + ByteSize.format(size) + " per run, frame payload "
                    + ByteSize.format(frame) + ", warm-up " + ByteSize.format(warmup) + ", server " + server + ", "
                    + Runtime.getRuntime().availableProcessors() + " CPUs, Java " + System.getProperty("java.version")
                    + ", BLAKE2b-256 by " + digest);
            log.flush();
            if (warmup > 0) {
                RawPubSubBench.run(server, warmup, frame);
                Transfers.benchStream(server, warmup);
            }
            RawPubSubBench.Result raw = RawPubSubBench.run(server, size, frame);
            Transfers.Outcome stream = Transfers.benchStream(server, size);
            Transfers.Outcome swp = Transfers.benchSwp(server, 0, file, work);
            ObjectStoreBench.Result obj = ObjectStoreBench.run(server, file, work);
            List<Transfers.Outcome> lossy = new ArrayList<>();
            for (double p : lossLevels) {
                lossy.add(Transfers.benchSwp(server, p, file, work));
            }

            double rawMbps = raw.mbps();
            double streamMbps = ByteSize.mbps(stream.bytes(), stream.nanos());
            double swpMbps = ByteSize.mbps(swp.bytes(), swp.nanos());
            if (json) {
                StringBuilder sb = new StringBuilder("{");
                sb.append(kv("size_bytes", size)).append(',');
                sb.append(kv("frame_payload_bytes", frame)).append(',');
                sb.append(kv("warmup_bytes", warmup)).append(',');
                sb.append("\"blake2b\":\"").append(digest).append("\",");
                sb.append(kv("raw_pubsub_mbps", rawMbps)).append(',');
                sb.append(kv("raw_dropped_msgs", raw.dropped())).append(',');
                sb.append(kv("swp_stream_mbps", streamMbps)).append(',');
                sb.append(kv("swp_stream_retransmits", stream.retransmits())).append(',');
                sb.append(kv("swp_mbps", swpMbps)).append(',');
                sb.append(kv("swp_retransmits", swp.retransmits())).append(',');
                sb.append("\"objstore_put_get_mbps\":").append(obj.unavailable() == null ? num(obj.mbps()) : "null");
                for (int i = 0; i < lossLevels.size(); i++) {
                    Transfers.Outcome o = lossy.get(i);
                    String key = "swp_loss" + Math.round(lossLevels.get(i) * 100) + "_mbps";
                    sb.append(',').append(kv(key, ByteSize.mbps(o.bytes(), o.nanos())));
                }
                sb.append('}');
                out.println(sb);
                return 0;
            }
            out.println();
            out.printf(Locale.ROOT, "%-34s %10s %12s  %s%n", "contender", "MB/s", "vs raw", "notes");
            row(out, "raw NATS pub/sub (no reliability)", rawMbps, rawMbps,
                    raw.dropped() + " of " + raw.messagesPublished() + " messages dropped");
            row(out, "swp stream (no file, no hashing)", streamMbps, rawMbps,
                    stream.retransmits() + " retransmits");
            row(out, "swp file transfer", swpMbps, rawMbps,
                    "BLAKE2b (" + digest + ") verified, " + swp.retransmits() + " retransmits");
            if (obj.unavailable() == null) {
                row(out, "JetStream Object Store put+get", obj.mbps(), rawMbps,
                        String.format(Locale.ROOT, "put %.2f s, get %.2f s", obj.putNanos() / 1e9, obj.getNanos() / 1e9));
            } else {
                out.printf(Locale.ROOT, "%-34s %10s %12s  %s%n", "JetStream Object Store put+get", "n/a", "", obj.unavailable());
            }
            for (int i = 0; i < lossLevels.size(); i++) {
                Transfers.Outcome o = lossy.get(i);
                double m = ByteSize.mbps(o.bytes(), o.nanos());
                row(out, String.format(Locale.ROOT, "swp at %.0f%% injected loss", lossLevels.get(i) * 100), m, rawMbps,
                        String.format(Locale.ROOT, "%.0f%% of swp at 0%%, %d retransmits", 100 * m / swpMbps, o.retransmits()));
            }
            return 0;
        } finally {
            Transfers.deleteTree(work);
        }
    }

    private static void row(PrintWriter out, String name, double mbps, double rawMbps, String notes) {
        out.printf(Locale.ROOT, "%-34s %10.1f %11.2fx  %s%n", name, mbps, rawMbps > 0 ? mbps / rawMbps : 0, notes);
    }

    private static String kv(String key, double v) {
        return "\"" + key + "\":" + num(v);
    }

    private static String kv(String key, long v) {
        return "\"" + key + "\":" + v;
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2f", v) : "null";
    }
}
