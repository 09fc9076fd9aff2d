package io.swp.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The documented policy for leftover {@code .swp-*} files: partials live for their
 * lifetime after their last update, all of them together stay under the disk bound
 * (least recently updated go first), leftovers without a usable record go after an hour,
 * and partials in use are never touched.
 */
class PartialCleanupTest {
    private static final long HOUR = Duration.ofHours(1).toMillis();
    private static final long DAY = Duration.ofDays(1).toMillis();

    @TempDir
    Path dir;

    /** A partial with a valid record, {@code bytes} long, last updated {@code agoMillis} ago. */
    private Partial partial(String name, int bytes, long agoMillis) throws IOException {
        Partial p = Partial.forName(dir, name);
        p.openOrCreate();
        p.channel().write(java.nio.ByteBuffer.allocate(bytes), 0);
        long t = System.currentTimeMillis() - agoMillis;
        FileIdentity id = new FileIdentity(bytes * 2L, 0, new byte[32]);
        p.writeMeta(new PartialMeta(name, id, -1, "sender", 0, new byte[32], "", new byte[0], p.fileKey(), t, t, null));
        p.close();
        return p;
    }

    private Path file(String name, long agoMillis) throws IOException {
        Path f = Files.writeString(dir.resolve(name), "x");
        Files.setLastModifiedTime(f, FileTime.fromMillis(System.currentTimeMillis() - agoMillis));
        return f;
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static boolean exists(Partial p) {
        return Files.exists(p.data) && Files.exists(p.meta);
    }

    @Test
    void partialsOlderThanTheirLifetimeAreRemovedYoungerOnesKept() throws IOException {
        Partial old = partial("old.bin", 1000, 8 * DAY);
        Partial young = partial("young.bin", 1000, 6 * DAY);
        assertEquals(1, FileReceiver.create(dir).cleanUp());
        assertTrue(!Files.exists(old.data) && !Files.exists(old.meta), names().toString());
        assertTrue(exists(young), names().toString());
        FileReceiver shortLived = FileReceiver.builder(dir).partialLifetime(Duration.ofDays(5)).build();
        assertEquals(1, shortLived.cleanUp());
        assertEquals(List.of(), names());
    }

    @Test
    void theLeastRecentlyUpdatedGoFirstBeyondTheDiskBound() throws IOException {
        Partial a = partial("a.bin", 1 << 20, 3 * HOUR);
        Partial b = partial("b.bin", 1 << 20, 2 * HOUR);
        Partial c = partial("c.bin", 1 << 20, HOUR);
        FileReceiver bounded = FileReceiver.builder(dir).maxPartialBytes((5L << 20) / 2).build();
        assertEquals(1, bounded.cleanUp());
        assertTrue(!exists(a) && exists(b) && exists(c), names().toString());
    }

    @Test
    void leftoversWithoutAUsableRecordGoAfterAnHour() throws IOException {
        file(".swp-0123456789abcdef.tmp.part", 2 * HOUR);
        file(".swp-fedcba9876543210.tmp.part", 10 * 60_000);
        file(".swp-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.resume", 2 * HOUR); // not a valid record
        file(".swp-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.part", 2 * HOUR);
        file(".swp-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.resume.new", 2 * HOUR);
        file("unrelated.part", 10 * DAY);
        FileReceiver.create(dir).cleanUp();
        assertEquals(List.of(".swp-fedcba9876543210.tmp.part", "unrelated.part"), names());
    }

    @Test
    void aPartialInUseIsLeftAlone() throws Exception {
        Partial old = partial("old.bin", 1000, 30 * DAY);
        ActiveTransfers.Claim claim = ActiveTransfers.claim(old.key(), "sender", null, null, Duration.ZERO);
        try {
            assertEquals(0, FileReceiver.create(dir).cleanUp());
            assertTrue(exists(old));
        } finally {
            claim.release();
        }
        assertEquals(1, FileReceiver.create(dir).cleanUp());
    }
}
