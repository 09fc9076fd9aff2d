package io.swp.examples.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows how a transfer advances: a progress bar with rate and ETA on a terminal, nothing
 * when output is piped (scripts get the one summary line the command prints at the end).
 * The value is sampled from a counter, so the transfer itself never waits for the display.
 */
final class Progress implements AutoCloseable {
    private static final long SAMPLE_MILLIS = 200;

    private final ProgressBar bar;
    private final ScheduledExecutorService sampler;

    private Progress(ProgressBar bar, ScheduledExecutorService sampler) {
        this.bar = bar;
        this.sampler = sampler;
    }

    /**
     * @param task the label
     * @param total expected bytes, or -1 if unknown
     * @param done reads how many bytes are done so far
     * @param out where human output goes
     * @return a running display (a no-op one when {@code out} is not a terminal)
     */
    static Progress start(String task, long total, LongSupplier done, PrintStream out) {
        if (System.console() == null || Boolean.getBoolean("swp.noProgress")) {
            return new Progress(null, null);
        }
        ProgressBar bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII)
                .setUnit("MiB", 1L << 20)
                .showSpeed()
                .setUpdateIntervalMillis((int) SAMPLE_MILLIS)
                .setConsumer(new me.tongfei.progressbar.InteractiveConsoleProgressBarConsumer(out))
                .build();
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "swp-progress");
            t.setDaemon(true);
            return t;
        });
        sampler.scheduleAtFixedRate(() -> bar.stepTo(done.getAsLong()),
                0, SAMPLE_MILLIS, TimeUnit.MILLISECONDS);
        return new Progress(bar, sampler);
    }

    /** @param total the now-known size */
    void setTotal(long total) {
        if (bar != null) {
            bar.maxHint(total);
        }
    }

    @Override
    public void close() {
        if (bar == null) {
            return;
        }
        sampler.shutdownNow();
        try {
            sampler.awaitTermination(Duration.ofSeconds(1).toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        bar.close();
    }
}
