package io.swp.examples.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code swp send}: files to a receiver's inbox over NATS, one session, verified by BLAKE2b. */
@Command(name = "send", mixinStandardHelpOptions = true,
        description = {"Send files through an swp session to a receiver listening on an inbox (see 'swp recv').",
            "A file the receiver holds in part from an interrupted transfer is resumed: only the rest is sent, and "
                    + "a line says 'resumed NAME at BYTES of SIZE'."})
final class SendCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    BusOptions bus;

    @Option(names = "--from", required = true, paramLabel = "INBOX", description = "Our inbox (a NATS subject).")
    String from;

    @Option(names = "--to", required = true, paramLabel = "INBOX", description = "The receiver's inbox.")
    String to;

    @Option(names = "--retry-for", defaultValue = "0", paramLabel = "DURATION", converter = Durations.Converter.class,
            description = {"When the session fails or the server cannot be reached, keep reconnecting with back-off "
                    + "(0.5 s doubling to 10 s) and resume each unfinished file where the receiver's partial ends; "
                    + "give up when this long passes without progress (a file verified, or a resume further "
                    + "along). Examples: 90s, 5m. Default: ${DEFAULT-VALUE} (fail at once; running the same "
                    + "command again still resumes)."})
    Duration retryFor;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Files to send.")
    List<Path> files;

    @Override
    public Integer call() throws Exception {
        bus.validate();
        Checks.inbox("--from", from);
        Checks.inbox("--to", to);
        for (Path f : files) {
            if (!Files.isRegularFile(f) || !Files.isReadable(f)) {
                throw new SwpCli.UsageException("not a readable file: " + f);
            }
        }
        Transfers.send(bus, from, to, files, retryFor, spec.commandLine().getOut());
        return 0;
    }
}
