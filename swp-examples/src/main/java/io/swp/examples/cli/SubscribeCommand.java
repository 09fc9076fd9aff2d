package io.swp.examples.cli;

import io.swp.Network;
import io.swp.Subscription;
import io.swp.fanout.LateJoin;
import io.swp.nats.NatsNetwork;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code swp subscribe}: receives the files a publisher publishes on a subject. */
@Command(name = "subscribe", mixinStandardHelpOptions = true,
        description = {"Receive the files published on a subject (see 'swp publish'). Each file appears in DIR under "
                + "its name only after its BLAKE2b-256 matched, and the digest is reported back to the publisher; "
                + "an existing file is never overwritten.",
            "Prints one line per verified file, like 'swp recv', and exits after --count files."})
final class SubscribeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    BusOptions bus;

    @Option(names = "--subject", required = true, paramLabel = "SUBJECT", description = "The subject to subscribe to.")
    String subject;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for received files.")
    Path out;

    @Option(names = "--count", defaultValue = "1", paramLabel = "N",
            description = "Exit after this many files. Default: ${DEFAULT-VALUE}.")
    int count;

    @Option(names = "--from-start",
            description = "Joining a publication under way, start from the oldest data the publisher still holds "
                    + "rather than from now.")
    boolean fromStart;

    @Option(names = "--timeout", defaultValue = "10m", paramLabel = "DURATION", converter = Durations.Converter.class,
            description = "Fail if no publisher or no data comes for this long. Default: ${DEFAULT-VALUE}.")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        bus.validate();
        Checks.inbox("--subject", subject);
        Checks.atLeastOne("--count", count);
        if (!Files.isDirectory(out) || !Files.isWritable(out)) {
            throw new SwpCli.UsageException("not a writable directory: " + out);
        }
        PrintWriter pw = spec.commandLine().getOut();
        try (Network net = Transfers.lossy(NatsNetwork.connect(bus.server), bus.loss, true, bus.lossSeed(), true);
             Subscription sub = Subscription.builder(net, subject)
                     .config(Fanout.config(bus).toBuilder().lateJoin(fromStart ? LateJoin.FROM_BACKLOG : LateJoin.FROM_NOW)
                             .build()).open()) {
            sub.readTimeout(timeout);
            for (int i = 0; i < count; i++) {
                Subscription.ReceivedFile f = sub.receiveFile(out);
                if (f == null) {
                    throw new IOException("the publication ended after " + i + " of " + count + " files");
                }
                pw.println(String.format(Locale.ROOT, "received %s (%s) in %.2f s, %.1f MB/s, blake2b-256 %s verified",
                        f.path(), ByteSize.format(f.size()), f.duration().toNanos() / 1e9,
                        ByteSize.mbps(f.size(), f.duration().toNanos()), f.blake2b256()));
                pw.flush();
            }
        }
        return 0;
    }
}
