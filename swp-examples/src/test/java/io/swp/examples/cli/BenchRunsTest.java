package io.swp.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.swp.examples.cli.BenchRuns.Row;
import io.swp.examples.cli.BenchRuns.Sample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code swp bench --runs N}: the order rows run in, and the medians reported (no timing). */
class BenchRunsTest {
    private static final CpuMeter NO_METER = () -> CpuMeter.Reading.UNKNOWN;

    /** A row whose n-th measurement (0-based) is values[n], recording when it ran. */
    private static Row row(String name, List<String> log, double... values) {
        int[] calls = {0};
        return new Row(name, name + "_mbps", 100_000_000L, () -> {
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
        List<List<Sample>> all = BenchRuns.alternate(3, rows, NO_METER);
        assertEquals(List.of("a", "b", "c", "a", "b", "c", "a", "b", "c"), log);
        assertEquals(3, all.size());
        assertEquals(5.0, all.get(1).get(1).get("b_mbps"), "run 2 of row b");
        assertEquals(9.0, all.get(2).get(2).get("c_mbps"), "run 3 of row c");
    }

    @Test
    void oneRunIsTodaysSinglePass() throws Exception {
        List<String> log = new ArrayList<>();
        List<List<Sample>> all = BenchRuns.alternate(1, List.of(row("a", log, 42), row("b", log, 7)), NO_METER);
        assertEquals(List.of("a", "b"), log);
        List<Sample> medians = BenchRuns.medians(all);
        assertEquals(42.0, medians.get(0).get("a_mbps"));
        assertEquals(7.0, medians.get(1).get("b_mbps"));
    }

    @Test
    void aFailingRowStopsTheBench() {
        List<String> log = new ArrayList<>();
        IOException boom = new IOException("server gone");
        Row failing = new Row("f", "f_mbps", 1, () -> {
            log.add("f");
            throw boom;
        });
        IOException thrown = assertThrows(IOException.class,
                () -> BenchRuns.alternate(3, List.of(row("a", log, 1, 2, 3), failing, row("b", log, 1, 2, 3)),
                        NO_METER));
        assertSame(boom, thrown);
        assertEquals(List.of("a", "f"), log);
    }

    @Test
    void runsBelowOneAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> BenchRuns.alternate(0, List.of(), NO_METER));
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
        List<Sample> medians = BenchRuns.medians(BenchRuns.alternate(3, rows, NO_METER));
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

    @Test
    void eachRunGetsTheProcessCpuPerMbAndTheMachinesBusyShareItTook() throws Exception {
        // Every reading adds 50 ms of this process's CPU, 30 busy ticks and 10 idle ones.
        long[] reads = {0};
        CpuMeter meter = () -> {
            long n = reads[0]++;
            return new CpuMeter.Reading(n * 50_000_000L, n * 30, n * 40);
        };
        List<String> log = new ArrayList<>();
        List<List<Sample>> all = BenchRuns.alternate(2, List.of(row("a", log, 1, 2), row("b", log, 3, 4)), meter);
        for (List<Sample> pass : all) {
            assertEquals(0.5, pass.get(0).get("a_cpu_ms_per_mb"), 1e-9, "50 ms over 100 MB");
            assertEquals(0.75, pass.get(1).get("b_machine_busy"), 1e-9, "30 busy of 40 ticks");
        }
        assertEquals(8, reads[0], "a reading before and after each of four runs");
        assertEquals("\"a_mbps\":1.00,\"a_cpu_ms_per_mb\":0.50,\"a_machine_busy\":0.75",
                BenchRuns.jsonFields(List.of(all.get(0).get(0))));
    }

    @Test
    void anUnknownMeterOrARowThatCouldNotRunGivesNoCpuFigure() throws Exception {
        List<List<Sample>> unknown = BenchRuns.alternate(1, List.of(row("a", new ArrayList<>(), 1)), NO_METER);
        assertNull(unknown.get(0).get(0).get("a_cpu_ms_per_mb"));
        assertNull(unknown.get(0).get(0).get("a_machine_busy"));
        long[] reads = {0};
        CpuMeter meter = () -> {
            long n = reads[0]++;
            return new CpuMeter.Reading(n * 1_000_000L, n, 2 * n);
        };
        Map<String, Double> none = new LinkedHashMap<>();
        none.put("objstore_put_get_mbps", null);
        Row unavailable = new Row("o", "objstore_put_get_mbps", 1_000_000L, () -> new Sample(none, "no JetStream"));
        Sample s = BenchRuns.alternate(1, List.of(unavailable), meter).get(0).get(0);
        assertNull(s.get("objstore_put_get_cpu_ms_per_mb"));
        assertNull(s.get("objstore_put_get_machine_busy"));
        assertEquals("no JetStream", s.unavailable());
    }

    @Test
    void procStatsFirstLineGivesBusyAndTotalTicks() {
        // user nice system idle iowait irq softirq steal guest guest_nice
        assertArrayEquals(new long[] {100 + 2 + 30 + 4 + 5 + 6, 100 + 2 + 30 + 4 + 5 + 6 + 800 + 7},
                CpuMeter.parseProcStat("cpu  100 2 30 800 7 4 5 6 0 0"));
        assertArrayEquals(new long[] {-1, -1}, CpuMeter.parseProcStat("cpu0 1 2 3 4 5 6 7 8"));
        assertArrayEquals(new long[] {-1, -1}, CpuMeter.parseProcStat("cpu 1 2 x 4 5 6 7 8"));
        assertArrayEquals(new long[] {-1, -1}, CpuMeter.parseProcStat("cpu 1 2 3"));
    }

    @Test
    void theSystemMeterReadsThisProcessAndOnLinuxTheMachine() {
        CpuMeter.Reading first = CpuMeter.SYSTEM.read();
        long spin = 0;
        for (int i = 0; i < 5_000_000; i++) {
            spin += Long.numberOfTrailingZeros(i ^ spin);
        }
        CpuMeter.Reading second = CpuMeter.SYSTEM.read();
        assertTrue(spin != 1, "keeps the loop");
        assertTrue(first.processNanos() > 0, "HotSpot reports the process's CPU time: " + first);
        assertTrue(second.processNanos() >= first.processNanos());
        assumeTrue(Files.isReadable(Path.of("/proc/stat")), "no /proc/stat here");
        assertTrue(0 <= first.machineBusyTicks() && first.machineBusyTicks() <= first.machineTotalTicks(),
                first.toString());
        assertTrue(second.machineTotalTicks() >= first.machineTotalTicks());
    }

    @Test
    void processCpuPerMbAndBusyShareNeedBothReadings() {
        CpuMeter.Reading a = new CpuMeter.Reading(0, 10, 20);
        CpuMeter.Reading b = new CpuMeter.Reading(2_000_000_000L, 30, 60);
        assertEquals(2.0, CpuMeter.processMillisPerMb(a, b, 1_000_000_000L), 1e-9);
        assertEquals(0.5, CpuMeter.machineBusy(a, b), 1e-9);
        assertNull(CpuMeter.processMillisPerMb(CpuMeter.Reading.UNKNOWN, b, 1));
        assertNull(CpuMeter.machineBusy(a, CpuMeter.Reading.UNKNOWN));
        assertNull(CpuMeter.machineBusy(a, a), "no time passed");
    }
}
