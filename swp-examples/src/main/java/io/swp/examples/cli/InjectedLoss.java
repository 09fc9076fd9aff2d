package io.swp.examples.cli;

import io.swp.SessionConfig;
import java.time.Duration;

/**
 * The loss the CLI may inject ({@code --loss}), and how it stretches the waits that a
 * lost round trip can run out.
 *
 * <p>A handshake, and the last exchange of a close, succeed only when a frame and its
 * answer both get through: {@code (1 - p)²} of the tries with {@code p} lost each way, one
 * in four at 50 %. The SYN timer keeps its 500 ms for three expiries and then backs off to
 * its 5 s cap, so only eight SYNs fit in the default 10 s to connect. In virtual time,
 * over 1,000 seeds of the demo's sessions ({@code InjectedLossTest}), that was enough at
 * 30 % (no failure) but not at 50 %: 36 connects failed. Under injected loss the CLI
 * therefore stretches the connect, accept and close waits by {@code (1 - p)⁻³}: 80 s to
 * connect at 50 %, 29 s at 30 %, unchanged without loss; then no seed failed at either
 * level. A peer that is really absent is reported later by the same factor.
 *
 * <p>Above 50 % a round trip needs more than four tries on average (eleven at 70 %), and
 * a demo there spends most of its time in timer back-off or fails to close within its
 * wait, so {@code --loss} stops at 50 %.
 */
final class InjectedLoss {
    /** The most {@code --loss} accepts. */
    static final double MAX = 0.5;

    private InjectedLoss() {
    }

    /** @throws SwpCli.UsageException unless {@code 0 <= p <= MAX} */
    static void check(String option, double p) {
        if (!(p >= 0 && p <= MAX)) {
            throw new SwpCli.UsageException(option + " must be between 0 and " + MAX + ", got " + p);
        }
    }

    /** @return how much longer a wait for a round trip may take under loss {@code p} each way */
    static double stretch(double p) {
        double delivered = 1 - p;
        return 1 / (delivered * delivered * delivered);
    }

    /** @return {@code d} stretched for loss {@code p} */
    static Duration stretch(Duration d, double p) {
        return Duration.ofNanos((long) Math.ceil(d.toNanos() * stretch(p)));
    }

    /** @return {@code config} with its connect and close timeouts stretched for loss {@code p} */
    static SessionConfig stretch(SessionConfig config, double p) {
        if (p == 0) {
            return config;
        }
        return config.toBuilder()
                .connectTimeout(stretch(Duration.ofNanos(config.connectTimeoutNanos()), p))
                .closeTimeout(stretch(Duration.ofNanos(config.closeTimeoutNanos()), p))
                .build();
    }
}
