package io.swp.examples.cli;

import io.swp.file.FileReceiver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
                + "BLAKE2b-256 matched; an existing file is never overwritten.",
            "A transfer that fails or is refused is reported with one line and the receiver goes on waiting; "
                    + "what arrived of an interrupted file is kept (.swp-*.part, for 7 days) and continued "
                    + "when the sender offers the same file again."})
final class RecvCommand implements Callable<Integer> {
    /** Most senders served at once. */
    static final int MAX_PARALLEL = 64;

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

    @Option(names = "--parallel", defaultValue = "4", paramLabel = "N",
            description = "Serve up to N senders at once, so a stalled or hostile one cannot hold up the rest "
                    + "(1 to " + MAX_PARALLEL + "). Default: ${DEFAULT-VALUE}.")
    int parallel;

    @Option(names = "--no-resume",
            description = "Do not continue partial files from interrupted transfers, nor keep them: a failed "
                    + "transfer leaves nothing and the next one starts from 0.")
    boolean noResume;

    @Option(names = "--max-file-size", paramLabel = "SIZE", converter = ByteSize.Converter.class,
            description = "Refuse files larger than this (e.g. 4g) before any data is sent. Default: no limit.")
    Long maxFileSize;

    @Option(names = "--min-free", defaultValue = "0", paramLabel = "SIZE", converter = ByteSize.Converter.class,
            description = "Refuse a file unless the rest of it fits on the disk with this much to spare. "
                    + "Default: ${DEFAULT-VALUE}.")
    long minFree;

    @Option(names = "--idle-timeout", defaultValue = "60s", paramLabel = "DURATION",
            converter = Durations.Converter.class,
            description = "Drop a sender that sends nothing for this long, its header included (0: never). "
                    + "Default: ${DEFAULT-VALUE}.")
    Duration idleTimeout;

    @Option(names = "--checkpoint", defaultValue = "16m", paramLabel = "SIZE", converter = ByteSize.Converter.class,
            description = "At most this much of a partial file is lost if the receiver crashes: the data is "
                    + "fsynced and its resume record written every half of this. Default: ${DEFAULT-VALUE}.")
    long checkpoint;

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
        if (parallel < 1 || parallel > MAX_PARALLEL) {
            throw new SwpCli.UsageException("--parallel must be between 1 and " + MAX_PARALLEL + ", got " + parallel);
        }
        if (maxFileSize != null && maxFileSize < 1) {
            throw new SwpCli.UsageException("--max-file-size must be at least 1 byte");
        }
        if (checkpoint < 1) {
            throw new SwpCli.UsageException("--checkpoint must be at least 1 byte");
        }
        FileReceiver.Builder policy = FileReceiver.builder(out).resume(!noResume).minFreeBytes(minFree)
                .idleTimeout(idleTimeout).checkpointBytes(checkpoint);
        if (maxFileSize != null) {
            policy.maxFileBytes(maxFileSize);
        }
        Transfers.receive(bus, inbox, from, policy, count, parallel, spec.commandLine().getOut());
        return 0;
    }
}
