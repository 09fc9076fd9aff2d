package io.swp.examples.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code swp} command: {@code demo}, {@code send}, {@code recv}, {@code publish}, {@code subscribe}, {@code bench}.
 *
 * <p>Exit codes (the contract in DESIGN.md): 0 success; 1 the transfer failed (checksum
 * mismatch, peer gone, timeout, server unreachable); 2 usage error. Every error is one
 * line on stderr.
 */
@Command(name = "swp",
        mixinStandardHelpOptions = true,
        versionProvider = SwpCli.Version.class,
        description = "Reliable, ordered, flow-controlled transfers between two inboxes on a NATS bus, or from one "
                + "publisher to every subscriber of a subject.",
        subcommands = {DemoCommand.class, SendCommand.class, RecvCommand.class, PublishCommand.class,
            SubscribeCommand.class, BenchCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:transfer failed (checksum, peer gone, timeout, server unreachable)",
                        "2:usage error"})
public final class SwpCli implements Runnable {
    /** Exit code of a failed transfer. */
    static final int EXIT_FAILED = 1;
    /** Exit code of a usage error. */
    static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "a command is required: demo, send, recv, publish, subscribe or bench");
    }

    /**
     * Runs the command line and exits the JVM with its code.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /**
     * Runs the command line without exiting, for tests and embedding.
     *
     * @param args the arguments
     * @param out standard output
     * @param err standard error
     * @return the exit code
     */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new SwpCli());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine failed = ex.getCommandLine();
            err.println("swp: " + ex.getMessage());
            err.println("Try '" + failed.getCommandSpec().qualifiedName() + " --help'.");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, failed, parseResult) -> {
            if (ex instanceof UsageException) {
                err.println("swp: " + ex.getMessage());
                err.println("Try '" + failed.getCommandSpec().qualifiedName() + " --help'.");
                return EXIT_USAGE;
            }
            err.println("swp: " + oneLine(ex));
            return EXIT_FAILED;
        });
        return cl.execute(args);
    }

    /** @return the most useful single line describing a failure */
    static String oneLine(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root
                && (root.getMessage() == null || root instanceof java.util.concurrent.ExecutionException)) {
            root = root.getCause();
        }
        String msg = root.getMessage();
        if (msg == null || msg.isBlank()) {
            msg = root.getClass().getSimpleName();
        }
        return msg.replace('\n', ' ').replace('\r', ' ');
    }

    /** An argument combination picocli cannot check by itself; exits with code 2. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** Reads the version from the jar manifest, if any. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = SwpCli.class.getPackage().getImplementationVersion();
            return new String[] {"swp " + (v == null ? "development build" : v)};
        }
    }
}
