package io.swp.examples.cli;

import java.nio.file.Files;
import java.nio.file.Path;
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
        description = "Send files through an swp session to a receiver listening on an inbox (see 'swp recv').")
final class SendCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    BusOptions bus;

    @Option(names = "--from", required = true, paramLabel = "INBOX", description = "Our inbox (a NATS subject).")
    String from;

    @Option(names = "--to", required = true, paramLabel = "INBOX", description = "The receiver's inbox.")
    String to;

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
        Transfers.send(bus.server, from, to, bus.loss, files, spec.commandLine().getOut());
        return 0;
    }
}
