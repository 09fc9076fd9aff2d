package io.swp.examples.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code swp demo}: a file through a session over an in-process network with simulated
 * loss (or a real NATS server with {@code --server}), verified with BLAKE2b.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Send a generated file through an swp session and verify it.",
                "Needs no server: by default the session runs over an in-process network that "
                        + "loses, reorders and duplicates frames."})
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--size", defaultValue = "64m", converter = ByteSize.Converter.class,
            description = "Size of the generated file (k, m, g = KiB, MiB, GiB). Default: ${DEFAULT-VALUE}.")
    long size;

    @Option(names = "--loss", defaultValue = "0.05",
            description = "Probability that a frame is lost, each direction (0..0.5; waits to connect and close grow with it). "
                    + "Default: ${DEFAULT-VALUE}.")
    double loss;

    @Option(names = "--seed", defaultValue = "1",
            description = "Seed of the simulated network and of the file content. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--server", paramLabel = "URL",
            description = "Use this NATS server (or comma-separated cluster URLs) instead of the in-process network.")
    String server;

    @Option(names = "--stats", description = "Also print the sender's protocol counters.")
    boolean stats;

    @Override
    public Integer call() throws Exception {
        InjectedLoss.check("--loss", loss);
        PrintWriter out = spec.commandLine().getOut();
        Path work = Files.createTempDirectory("swp-demo-");
        try {
            Path file = work.resolve("demo.bin");
            Files.createDirectories(work.resolve("received"));
            Transfers.generateFile(file, size, seed);
            String where = server == null
                    ? String.format(java.util.Locale.ROOT, "an in-process network losing %.0f%% of frames each way", loss * 100)
                    : "NATS at " + server + (loss > 0 ? String.format(java.util.Locale.ROOT, " with %.0f%% injected loss", loss * 100) : "");
            out.println("swp demo: sending " + ByteSize.format(size) + " over " + where);
            Transfers.Outcome o = Transfers.loopback(server, loss, seed, file, work.resolve("received"),
                    spec.commandLine().getOut());
            out.printf(java.util.Locale.ROOT, "  goodput      %.1f MB/s (%s in %.2f s)%n",
                    ByteSize.mbps(o.bytes(), o.nanos()), ByteSize.format(o.bytes()), o.nanos() / 1e9);
            out.printf(java.util.Locale.ROOT, "  frames       %d sent, %d retransmitted%n", o.framesSent(), o.retransmits());
            out.println("  blake2b-256  " + o.blake2bHex() + " (verified by the receiver)");
            if (stats) {
                out.println("  sender       " + o.senderStats());
            }
            return 0;
        } finally {
            Transfers.deleteTree(work);
        }
    }
}
