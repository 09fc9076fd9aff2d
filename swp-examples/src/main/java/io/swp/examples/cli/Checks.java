package io.swp.examples.cli;

/** Argument checks picocli cannot express; failures exit with the usage code. */
final class Checks {
    private Checks() {
    }

    static void atLeastOne(String option, int n) {
        if (n < 1) {
            throw new SwpCli.UsageException(option + " must be at least 1, got " + n);
        }
    }

    static void inbox(String option, String inbox) {
        if (inbox == null || inbox.isBlank() || inbox.contains(" ") || inbox.contains("*")
                || inbox.contains(">") || inbox.startsWith(".") || inbox.endsWith(".")) {
            throw new SwpCli.UsageException(option + " must be a plain NATS subject without spaces or "
                    + "wildcards, got '" + inbox + "'");
        }
    }
}
