package io.swp.examples.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code swp recv}: waits on an inbox for senders and writes each file into a directory
 * only after its BLAKE2b matched.
 */
@Command(name = "recv", mixinStandardHelpOptions = true,
        description = {"Receive files on an inbox. Each file appears in DIR under its name only after its "
                + "BLAKE2b-256 matched; an existing file is never overwritten."})
final class RecvCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    BusOptions bus;

    @Option(names = "--as", required = true, paramLabel = "INBOX", description = "The inbox to listen on.")
    String inbox;

    @Option(names = "--from", paramLabel = "INBOX", description = "Accept sessions only from this inbox.")
    String from;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for received files.")
    Path out;

    @Option(names = "--count", defaultValue = "1", paramLabel = "N",
            description = "Exit after this many files. Default: ${DEFAULT-VALUE}.")
    int count;

    @Override
    public Integer call() throws Exception {
        bus.validate();
        Checks.inbox("--as", inbox);
        if (from != null) {
            Checks.inbox("--from", from);
        }
        if (count < 1) {
            throw new SwpCli.UsageException("--count must be at least 1, got " + count);
        }
        if (!Files.isDirectory(out) || !Files.isWritable(out)) {
            throw new SwpCli.UsageException("not a writable directory: " + out);
        }
        Transfers.receive(bus.server, inbox, from, bus.loss, out, count, spec.commandLine().getOut());
        return 0;
    }
}
