package io.swp.examples.cli;

import io.swp.Network;
import io.swp.Publisher;
import io.swp.nats.NatsNetwork;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code swp publish}: files once on a subject to every subscriber, with NACK repair;
 * exits 0 only when every expected subscriber confirmed every file.
 */
@Command(name = "publish", mixinStandardHelpOptions = true,
        description = {"Publish files once on a subject to every subscriber (see 'swp subscribe'): one copy goes "
                + "through the server, subscribers NACK what they miss and get repairs.",
            "Waits until --expect subscribers joined, sends, then waits until each confirmed every file with its "
                    + "verified BLAKE2b-256; prints one line per subscriber and exits 0 only when all confirmed."})
final class PublishCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    BusOptions bus;

    @Option(names = "--subject", required = true, paramLabel = "SUBJECT", description = "The subject to publish on.")
    String subject;

    @Option(names = "--expect", defaultValue = "1", paramLabel = "N",
            description = "Wait for this many subscribers before sending. Default: ${DEFAULT-VALUE}.")
    int expect;

    @Option(names = "--join-timeout", defaultValue = "60s", paramLabel = "DURATION", converter = Durations.Converter.class,
            description = "Give up if the subscribers have not joined within this. Default: ${DEFAULT-VALUE}.")
    Duration joinTimeout;

    @Option(names = "--confirm-timeout", defaultValue = "5m", paramLabel = "DURATION",
            converter = Durations.Converter.class,
            description = "After sending, wait this long at most for every confirmation. Default: ${DEFAULT-VALUE}.")
    Duration confirmTimeout;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Files to publish.")
    List<Path> files;

    @Override
    public Integer call() throws Exception {
        bus.validate();
        Checks.inbox("--subject", subject);
        Checks.atLeastOne("--expect", expect);
        Set<String> names = new HashSet<>();
        for (Path f : files) {
            if (!Files.isRegularFile(f) || !Files.isReadable(f)) {
                throw new SwpCli.UsageException("not a readable file: " + f);
            }
            if (!names.add(f.getFileName().toString())) {
                throw new SwpCli.UsageException("two files are named " + f.getFileName());
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Network net = Transfers.lossy(NatsNetwork.connect(bus.server), bus.loss, true, bus.lossSeed(), true);
             Publisher pub = Publisher.builder(net, subject).config(Fanout.config(bus)).open()) {
            List<Publisher.ReceiverOutcome> outcomes = publish(pub, files, expect, joinTimeout, confirmTimeout, out);
            int ok = 0;
            for (Publisher.ReceiverOutcome o : outcomes) {
                if (o.ok()) {
                    ok++;
                }
            }
            if (ok < expect) {
                throw new java.io.IOException(ok + " of " + expect + " subscribers confirmed every file");
            }
            return 0;
        }
    }

    /** Runs a publication and prints one line per receiver; shared with the bench. */
    static List<Publisher.ReceiverOutcome> publish(Publisher pub, List<Path> files, int expect, Duration joinTimeout,
            Duration confirmTimeout, PrintWriter out) throws java.io.IOException {
        pub.awaitReceivers(expect, joinTimeout);
        long start = System.nanoTime();
        long bytes = 0;
        List<Publisher.PublishedFile> sent = new ArrayList<>();
        for (Path f : files) {
            sent.add(pub.sendFile(f));
            bytes += Files.size(f);
        }
        pub.finish();
        List<Publisher.ReceiverOutcome> outcomes = pub.awaitConfirmations(files.size(), confirmTimeout);
        double secs = (System.nanoTime() - start) / 1e9;
        for (Publisher.ReceiverOutcome o : outcomes) {
            String line = o.ok()
                    ? String.format(Locale.ROOT, "subscriber %s confirmed %d of %d files (%s) in %.2f s, blake2b-256 verified",
                            o.inbox(), o.confirmed(), o.expected(), ByteSize.format(bytes), secs)
                    : String.format(Locale.ROOT, "subscriber %s confirmed %d of %d files: %s", o.inbox(), o.confirmed(),
                            o.expected(), o.problem() == null ? "no confirmation in time" : o.problem());
            out.println(line);
        }
        out.flush();
        return outcomes;
    }
}
