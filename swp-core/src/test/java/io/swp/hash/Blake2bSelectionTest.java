package io.swp.hash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
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
        ChildJvm.Output child = ChildJvm.run(dir, FallbackProbe.class, List.of("-Djna.nosys=true",
                "-Djna.nounpack=true", "-Djna.boot.library.path=" + dir.resolve("nowhere")));
        assertEquals(List.of("bouncycastle", "bouncycastle " + ABC, "bouncycastle " + ABC, "libsodium refused"),
                child.lines(), child.stderr());
        long warnings = child.stderr().lines()
                .filter(l -> l.contains("WARN") && l.contains("native BLAKE2b-256 unavailable")).count();
        assertEquals(1, warnings, child.stderr());
    }
}
