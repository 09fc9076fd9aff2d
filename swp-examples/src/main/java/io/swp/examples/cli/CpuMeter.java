package io.swp.examples.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where {@code swp bench} reads CPU time: this process's, and the whole machine's busy and
 * total time. Both ends of every swp row run in the bench's process, so its CPU per MB is
 * what swp costs (nats-server's is not in it); the machine's busy share tells whether a
 * row was limited by the CPU, in which case its ratio to another row compares CPU cost,
 * not the transports' own limits.
 */
@FunctionalInterface
interface CpuMeter {

    /**
     * CPU time so far.
     *
     * @param processNanos this process's CPU time, or -1 if the JVM does not report it
     * @param machineBusyTicks the machine's busy CPU time (all cores, in clock ticks), or -1
     *     where {@code /proc/stat} cannot be read
     * @param machineTotalTicks the machine's busy and idle CPU time together, or -1
     */
    record Reading(long processNanos, long machineBusyTicks, long machineTotalTicks) {
        /** Nothing known. */
        static final Reading UNKNOWN = new Reading(-1, -1, -1);
    }

    /** @return the CPU time so far */
    Reading read();

    /** The JVM's process CPU time and, on Linux, {@code /proc/stat}. */
    CpuMeter SYSTEM = () -> {
        long process = -1;
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean hotspot) {
            process = hotspot.getProcessCpuTime();
        }
        long[] machine = {-1, -1};
        Path stat = Path.of("/proc/stat");
        if (Files.isReadable(stat)) {
            try {
                List<String> lines = Files.readAllLines(stat);
                if (!lines.isEmpty()) {
                    machine = parseProcStat(lines.get(0));
                }
            } catch (IOException | RuntimeException e) {
                machine = new long[] {-1, -1};
            }
        }
        return new Reading(process, machine[0], machine[1]);
    };

    /**
     * Parses the first line of {@code /proc/stat} ({@code cpu user nice system idle iowait
     * irq softirq steal ...}): busy is everything but idle and iowait (guest time is already
     * in user), total is busy and those two.
     *
     * @param line the aggregate {@code cpu} line
     * @return {busy, total} in clock ticks, or {-1, -1} if the line is not one
     */
    static long[] parseProcStat(String line) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 9 || !f[0].equals("cpu")) {
            return new long[] {-1, -1};
        }
        long[] v = new long[8];
        try {
            for (int i = 0; i < 8; i++) {
                v[i] = Long.parseLong(f[i + 1]);
            }
        } catch (NumberFormatException e) {
            return new long[] {-1, -1};
        }
        long idle = v[3] + v[4];
        long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
        return new long[] {busy, busy + idle};
    }

    /**
     * This process's CPU per MB moved between two readings.
     *
     * @return milliseconds of CPU per 10^6 bytes, or null if unknown
     */
    static Double processMillisPerMb(Reading before, Reading after, long bytes) {
        if (before.processNanos() < 0 || after.processNanos() < 0 || bytes <= 0) {
            return null;
        }
        return (after.processNanos() - before.processNanos()) / 1e6 / (bytes / 1e6);
    }

    /**
     * The machine's busy share between two readings.
     *
     * @return from 0 (idle) to 1 (every core busy), or null if unknown
     */
    static Double machineBusy(Reading before, Reading after) {
        long total = after.machineTotalTicks() - before.machineTotalTicks();
        if (before.machineTotalTicks() < 0 || after.machineTotalTicks() < 0 || total <= 0) {
            return null;
        }
        return (double) (after.machineBusyTicks() - before.machineBusyTicks()) / total;
    }
}
