package io.swp.examples.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Parses and prints durations: a number with a unit, {@code ms}, {@code s}, {@code m},
 * {@code h} or {@code d} ({@code 500ms}, {@code 90s}, {@code 1.5m}), several in a row
 * ({@code 1m30s}), a plain number of seconds, or ISO-8601 ({@code PT90S}).
 */
final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");

    private Durations() {
    }

    static Duration parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.matches("\\d+(\\.\\d+)?")) {
            return ofSeconds(Double.parseDouble(s), text);
        }
        if (s.startsWith("pt") || s.startsWith("p")) {
            try {
                return nonNegative(Duration.parse(s.toUpperCase(Locale.ROOT)), text);
            } catch (DateTimeParseException e) {
                throw bad(text);
            }
        }
        Matcher m = PART.matcher(s);
        double seconds = 0;
        int at = 0;
        while (m.lookingAt()) {
            double v = Double.parseDouble(m.group(1));
            switch (m.group(2)) {
                case "ms": seconds += v / 1000; break;
                case "s": seconds += v; break;
                case "m": seconds += v * 60; break;
                case "h": seconds += v * 3600; break;
                default: seconds += v * 86400;
            }
            at = m.end();
            m.region(at, s.length());
        }
        if (at == 0 || at != s.length()) {
            throw bad(text);
        }
        return ofSeconds(seconds, text);
    }

    /** @return e.g. "90 s", "1.5 s", "250 ms", "5 min" */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms % 60_000 == 0 && ms >= 120_000) {
            return ms / 60_000 + " min";
        }
        return ms % 1000 == 0 ? ms / 1000 + " s" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    private static Duration ofSeconds(double seconds, String text) {
        if (!(seconds >= 0) || seconds > 1e12) {
            throw bad(text);
        }
        return Duration.ofNanos((long) (seconds * 1e9));
    }

    private static Duration nonNegative(Duration d, String text) {
        if (d.isNegative()) {
            throw bad(text);
        }
        return d;
    }

    private static CommandLine.TypeConversionException bad(String text) {
        return new CommandLine.TypeConversionException(
                "'" + text + "' is not a duration (examples: 0, 500ms, 90s, 5m, 1h, 1m30s)");
    }

    /** Lets picocli options take durations such as {@code 90s}. */
    static final class Converter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return parse(value);
        }
    }
}
