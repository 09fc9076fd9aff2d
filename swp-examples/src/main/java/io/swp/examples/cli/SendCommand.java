package io.swp.examples.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code swp send}: files to a receiver's inbox over NATS, one session, verified by BLAKE2b. */
@Command(name = "send", mixinStandardHelpOptions = true,
        description = "Send files through an swp session to a receiver listening on an inbox (see 'swp recv').")
final class SendCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--server", required = true, paramLabel = "URL",
            description = "NATS URL, or comma-separated URLs of a cluster (e.g. nats://127.0.0.1:4222).")
    String server;

    @Option(names = "--from", required = true, paramLabel = "INBOX", description = "Our inbox (a NATS subject).")
    String from;

    @Option(names = "--to", required = true, paramLabel = "INBOX", description = "The receiver's inbox.")
    String to;

    @Option(names = "--loss", defaultValue = "0", paramLabel = "P",
            description = "Drop this fraction of our frames, both directions (demonstrations, tests). Default: 0.")
    double loss;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Files to send.")
    List<Path> files;

    @Override
    public Integer call() throws Exception {
        Checks.probability("--loss", loss);
        Checks.inbox("--from", from);
        Checks.inbox("--to", to);
        for (Path f : files) {
            if (!Files.isRegularFile(f) || !Files.isReadable(f)) {
                throw new SwpCli.UsageException("not a readable file: " + f);
            }
        }
        Transfers.send(server, from, to, loss, files, spec.commandLine().getOut());
        return 0;
    }
}
