package io.swp.examples.cli;

import java.util.Locale;
import picocli.CommandLine;

/**
 * Parses and prints byte sizes. Suffixes are binary: {@code k} = KiB, {@code m} = MiB,
 * {@code g} = GiB, {@code t} = TiB (an optional trailing {@code b}/{@code ib} is
 * accepted); a plain number is bytes. Rates are printed in MB/s with MB = 10^6 bytes,
 * as the benchmark contract says.
 */
final class ByteSize {

    static long parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.endsWith("ib")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("b")) {
            s = s.substring(0, s.length() - 1);
        }
        long unit = 1;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'k': unit = 1L << 10; break;
                case 'm': unit = 1L << 20; break;
                case 'g': unit = 1L << 30; break;
                case 't': unit = 1L << 40; break;
                default: unit = 1;
            }
        }
        if (unit != 1) {
            s = s.substring(0, s.length() - 1);
        }
        double number;
        try {
            number = Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException(
                    "'" + text + "' is not a size (examples: 4096, 64k, 256m, 1g)");
        }
        double bytes = number * unit;
        if (!(bytes >= 0) || bytes > Long.MAX_VALUE / 2) {
            throw new CommandLine.TypeConversionException("size out of range: '" + text + "'");
        }
        return (long) bytes;
    }

    /** @return e.g. "1.00 GiB", "512 KiB", "17 B" */
    static String format(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int i = 0;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return i == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.2f %s", v, units[i]);
    }

    /** @return megabytes (10^6 bytes) per second */
    static double mbps(long bytes, long nanos) {
        return nanos <= 0 ? 0 : bytes / 1e6 / (nanos / 1e9);
    }

    private ByteSize() {
    }

    /** Lets picocli options take sizes such as {@code 256m}. */
    static final class Converter implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return parse(value);
        }
    }
}
