package io.swp.examples.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * How {@code swp bench --runs N} runs its rows and sums them up: every row N times,
 * alternating (row 1, row 2, ..., row K, row 1, ...), so that a slow minute on a shared
 * machine lands on every row alike rather than on whichever row ran then; the figure
 * reported per row is the median of its runs.
 */
final class BenchRuns {

    private BenchRuns() {
    }

    /**
     * What one row measured in one run: metrics under their JSON keys, in output order.
     * A null value means "not measured" (e.g. Object Store without JetStream).
     *
     * @param metrics JSON key to value
     * @param unavailable why the row could not run, or null
     */
    record Sample(Map<String, Double> metrics, String unavailable) {
        Sample {
            metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        }

        /** @return the value under {@code key}, or null if absent or not measured */
        Double get(String key) {
            return metrics.get(key);
        }
    }

    /**
     * A row of the bench.
     *
     * @param name its name in the table
     * @param mbpsKey the metric that is its MB/s, {@code PREFIX_mbps}
     * @param bytes the bytes one run moves, for its CPU per MB
     * @param measure measures it once
     */
    record Row(String name, String mbpsKey, long bytes, Callable<Sample> measure) {
        /** @return the row's metric named {@code PREFIX_suffix}, as its MB/s is named {@code PREFIX_mbps} */
        String key(String suffix) {
            return mbpsKey.substring(0, mbpsKey.length() - "mbps".length()) + suffix;
        }
    }

    /** Suffix of the metric that is this process's CPU per MB a row moved (milliseconds of CPU per 10^6 bytes). */
    static final String CPU_MS_PER_MB = "cpu_ms_per_mb";
    /** Suffix of the metric that is the machine's busy share while a row ran, 0 to 1. */
    static final String MACHINE_BUSY = "machine_busy";

    /**
     * Runs every row {@code runs} times, alternating rows, and adds to each sample the
     * CPU it took ({@link #CPU_MS_PER_MB}, {@link #MACHINE_BUSY}; null where unknown, or
     * where the row could not run).
     *
     * @param runs how many times each row runs, at least 1
     * @param rows the rows, in table order
     * @param meter where CPU time is read
     * @return {@code result.get(run).get(row)}: one list per run, one sample per row
     * @throws Exception the first failure of a row, which ends the bench
     */
    static List<List<Sample>> alternate(int runs, List<Row> rows, CpuMeter meter) throws Exception {
        if (runs < 1) {
            throw new IllegalArgumentException("runs must be at least 1, got " + runs);
        }
        List<List<Sample>> result = new ArrayList<>(runs);
        for (int run = 0; run < runs; run++) {
            List<Sample> pass = new ArrayList<>(rows.size());
            for (Row row : rows) {
                CpuMeter.Reading before = meter.read();
                Sample s = row.measure().call();
                CpuMeter.Reading after = meter.read();
                boolean ran = s.unavailable() == null;
                Map<String, Double> metrics = new LinkedHashMap<>(s.metrics());
                metrics.put(row.key(CPU_MS_PER_MB), ran ? CpuMeter.processMillisPerMb(before, after, row.bytes()) : null);
                metrics.put(row.key(MACHINE_BUSY), ran ? CpuMeter.machineBusy(before, after) : null);
                pass.add(new Sample(metrics, s.unavailable()));
            }
            result.add(pass);
        }
        return result;
    }

    /**
     * Per row, the median of each metric over the runs.
     *
     * @param runs {@code runs.get(run).get(row)}, as {@link #alternate} returns
     * @return one sample per row
     */
    static List<Sample> medians(List<List<Sample>> runs) {
        int rows = runs.get(0).size();
        List<Sample> result = new ArrayList<>(rows);
        for (int row = 0; row < rows; row++) {
            List<Sample> samples = new ArrayList<>(runs.size());
            for (List<Sample> pass : runs) {
                samples.add(pass.get(row));
            }
            result.add(median(samples));
        }
        return result;
    }

    /**
     * The median of each metric over some samples of one row. A metric that was not
     * measured in every run has no median (null); the reason is the first run's that
     * gave one.
     */
    static Sample median(List<Sample> samples) {
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (String key : samples.get(0).metrics().keySet()) {
            double[] values = new double[samples.size()];
            boolean complete = true;
            for (int i = 0; i < samples.size() && complete; i++) {
                Double v = samples.get(i).get(key);
                complete = v != null;
                values[i] = complete ? v : 0;
            }
            metrics.put(key, complete ? median(values) : null);
        }
        String unavailable = null;
        for (Sample s : samples) {
            if (s.unavailable() != null) {
                unavailable = s.unavailable();
                break;
            }
        }
        return new Sample(metrics, unavailable);
    }

    /**
     * @param values at least one value
     * @return the middle value, or the mean of the two middle values of an even count
     */
    static double median(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /** Counts (messages, retransmits, bytes) print as integers where whole; rates and times with two decimals. */
    static boolean isCount(String key) {
        return key.endsWith("_msgs") || key.endsWith("_retransmits") || key.endsWith("_bytes");
    }

    /** @return the value as JSON: null, an integer count, or a number with two decimals */
    static String json(String key, Double v) {
        if (v == null || !Double.isFinite(v)) {
            return "null";
        }
        return isCount(key) ? count(v) : String.format(Locale.ROOT, "%.2f", v);
    }

    /** @return a count, or the median of counts: an integer, or with one decimal (the mean of two middle values) */
    static String count(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }

    /** @return {@code "key":value,...} for every metric of the samples, in order */
    static String jsonFields(List<Sample> samples) {
        StringBuilder sb = new StringBuilder();
        for (Sample s : samples) {
            for (Map.Entry<String, Double> e : s.metrics().entrySet()) {
                if (sb.length() > 0) {
                    sb.append(',');
                }
                sb.append('"').append(e.getKey()).append("\":").append(json(e.getKey(), e.getValue()));
            }
        }
        return sb.toString();
    }
}
