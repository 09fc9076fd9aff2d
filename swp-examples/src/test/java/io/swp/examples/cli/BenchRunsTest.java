package io.swp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.swp.examples.cli.BenchRuns.Row;
import io.swp.examples.cli.BenchRuns.Sample;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code swp bench --runs N}: the order rows run in, and the medians reported (no timing). */
class BenchRunsTest {

    /** A row whose n-th measurement (0-based) is values[n], recording when it ran. */
    private static Row row(String name, List<String> log, double... values) {
        int[] calls = {0};
        return new Row(name, name + "_mbps", () -> {
            log.add(name);
            return sample(name + "_mbps", values[calls[0]++]);
        });
    }

    private static Sample sample(String key, Double value) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(key, value);
        return new Sample(m, null);
    }

    @Test
    void rowsAlternateRunByRun() throws Exception {
        List<String> log = new ArrayList<>();
        List<Row> rows = List.of(row("a", log, 1, 2, 3), row("b", log, 4, 5, 6), row("c", log, 7, 8, 9));
        List<List<Sample>> all = BenchRuns.alternate(3, rows);
        assertEquals(List.of("a", "b", "c", "a", "b", "c", "a", "b", "c"), log);
        assertEquals(3, all.size());
        assertEquals(5.0, all.get(1).get(1).get("b_mbps"), "run 2 of row b");
        assertEquals(9.0, all.get(2).get(2).get("c_mbps"), "run 3 of row c");
    }

    @Test
    void oneRunIsTodaysSinglePass() throws Exception {
        List<String> log = new ArrayList<>();
        List<List<Sample>> all = BenchRuns.alternate(1, List.of(row("a", log, 42), row("b", log, 7)));
        assertEquals(List.of("a", "b"), log);
        List<Sample> medians = BenchRuns.medians(all);
        assertEquals(42.0, medians.get(0).get("a_mbps"));
        assertEquals(7.0, medians.get(1).get("b_mbps"));
    }

    @Test
    void aFailingRowStopsTheBench() {
        List<String> log = new ArrayList<>();
        IOException boom = new IOException("server gone");
        Row failing = new Row("f", "f_mbps", () -> {
            log.add("f");
            throw boom;
        });
        IOException thrown = assertThrows(IOException.class,
                () -> BenchRuns.alternate(3, List.of(row("a", log, 1, 2, 3), failing, row("b", log, 1, 2, 3))));
        assertSame(boom, thrown);
        assertEquals(List.of("a", "f"), log);
    }

    @Test
    void runsBelowOneAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> BenchRuns.alternate(0, List.of()));
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(3.0, BenchRuns.median(new double[] {3}));
        assertEquals(2.0, BenchRuns.median(new double[] {9, 1, 2}));
        assertEquals(2.5, BenchRuns.median(new double[] {4, 1, 3, 2}));
        assertEquals(5.0, BenchRuns.median(new double[] {5, 5, 100, 0, 5}));
        assertThrows(IllegalArgumentException.class, () -> BenchRuns.median(new double[0]));
    }

    @Test
    void medianIsPerRowAndPerMetric() throws Exception {
        List<String> log = new ArrayList<>();
        List<Row> rows = List.of(row("a", log, 300, 100, 200), row("b", log, 10, 30, 20));
        List<Sample> medians = BenchRuns.medians(BenchRuns.alternate(3, rows));
        assertEquals(200.0, medians.get(0).get("a_mbps"));
        assertEquals(20.0, medians.get(1).get("b_mbps"));
    }

    @Test
    void aMetricMissingInAnyRunHasNoMedianAndKeepsTheReason() {
        Map<String, Double> missing = new LinkedHashMap<>();
        missing.put("objstore_put_get_mbps", null);
        List<Sample> runs = List.of(sample("objstore_put_get_mbps", 100.0),
                new Sample(missing, "JetStream unavailable"), sample("objstore_put_get_mbps", 120.0));
        Sample m = BenchRuns.median(runs);
        assertNull(m.get("objstore_put_get_mbps"));
        assertEquals("JetStream unavailable", m.unavailable());
        assertEquals("\"objstore_put_get_mbps\":null", BenchRuns.jsonFields(List.of(m)));
    }

    @Test
    void countsPrintAsIntegersUnlessTheMedianFallsBetweenTwo() {
        assertEquals("0", BenchRuns.json("raw_dropped_msgs", 0.0));
        assertEquals("3", BenchRuns.json("swp_retransmits", 3.0));
        assertEquals("2.5", BenchRuns.json("swp_retransmits", 2.5));
        assertEquals("612.35", BenchRuns.json("swp_mbps", 612.345678));
        assertEquals("null", BenchRuns.json("swp_mbps", Double.NaN));
    }

    @Test
    void jsonFieldsKeepTheRowsOrder() {
        Map<String, Double> raw = new LinkedHashMap<>();
        raw.put("raw_pubsub_mbps", 500.0);
        raw.put("raw_dropped_msgs", 0.0);
        assertEquals("\"raw_pubsub_mbps\":500.00,\"raw_dropped_msgs\":0,\"swp_mbps\":250.50",
                BenchRuns.jsonFields(List.of(new Sample(raw, null), sample("swp_mbps", 250.5))));
    }
}
