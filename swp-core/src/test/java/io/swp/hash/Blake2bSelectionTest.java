package io.swp.hash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@value Blake2b#PROPERTY} property, and the automatic fallback where libsodium cannot load. */
class Blake2bSelectionTest {
    private static final String ABC = "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319";

    @AfterEach
    void clearProperty() {
        System.clearProperty(Blake2b.PROPERTY);
    }

    @Test
    void javaForcesBouncyCastle() {
        for (String v : new String[] {"java", "bouncycastle", " Java "}) {
            System.setProperty(Blake2b.PROPERTY, v);
            assertEquals(Blake2b.Implementation.BOUNCY_CASTLE, Blake2b.selected(), v);
            assertEquals(Blake2b.Implementation.BOUNCY_CASTLE, Blake2b.newBlake2b256().implementation(), v);
        }
    }

    @Test
    void libsodiumByDefaultAndWhenAskedFor() {
        assumeTrue(Blake2b.nativeUnavailableReason().isEmpty(), "no libsodium here");
        assertEquals(Blake2b.Implementation.LIBSODIUM, Blake2b.selected());
        assertEquals(Blake2b.Implementation.LIBSODIUM, Blake2b.newBlake2b256().implementation());
        for (String v : new String[] {"native", "libsodium", "auto", "", "nonsense"}) {
            System.setProperty(Blake2b.PROPERTY, v);
            assertEquals(Blake2b.Implementation.LIBSODIUM, Blake2b.selected(), v);
        }
    }

    @Test
    void labelsAreTheNamesReportsUse() {
        assertEquals("libsodium", Blake2b.Implementation.LIBSODIUM.label());
        assertEquals("bouncycastle", Blake2b.Implementation.BOUNCY_CASTLE.label());
    }

    /**
     * A JVM where JNA cannot load its own native part (so neither can libsodium) falls back
     * to Bouncy Castle by itself, gives the same digest, and warns once, through SLF4J.
     */
    @Test
    void withoutNativeCodeItFallsBackToBouncyCastleAndWarnsOnce(@TempDir Path dir) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("-Djna.nosys=true");
        command.add("-Djna.nounpack=true");
        command.add("-Djna.boot.library.path=" + dir.resolve("nowhere"));
        command.add("-Dorg.slf4j.simpleLogger.logFile=System.err");
        command.add(FallbackProbe.class.getName());
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child JVM did not finish");
        String stdout = read(out);
        String stderr = read(err);
        assertEquals(0, p.exitValue(), stderr);
        assertEquals(List.of("bouncycastle", "bouncycastle " + ABC, "bouncycastle " + ABC, "libsodium refused"),
                stdout.lines().toList(), stderr);
        long warnings = stderr.lines().filter(l -> l.contains("WARN") && l.contains("native BLAKE2b-256 unavailable"))
                .count();
        assertEquals(1, warnings, stderr);
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }
}
