package io.swp.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The final step of a receive never replaces a file, even one that appeared after the
 * receiver's last existence check (the window a concurrent transfer of the same name
 * falls into).
 */
class StoreWithoutOverwriteTest {
    @TempDir
    Path dir;

    @Test
    void aFileThatAppearedAfterTheCheckIsNotReplaced() throws Exception {
        Path target = dir.resolve("report.txt");
        byte[] theirs = "written by someone else meanwhile".getBytes(StandardCharsets.UTF_8);
        Files.write(target, theirs);
        Path temp = Files.createTempFile(dir, ".swp-", ".part");
        Files.write(temp, "received".getBytes(StandardCharsets.UTF_8));

        assertThrows(FileAlreadyExistsException.class, () -> FileTransfer.storeWithoutOverwrite(temp, target));

        assertArrayEquals(theirs, Files.readAllBytes(target), "the existing file was replaced");
        assertTrue(Files.exists(temp), "the temporary file is left for the caller to delete");
    }

    @Test
    void aFreeNameGetsTheFileAndTheTemporaryNameIsGone() throws Exception {
        Path target = dir.resolve("report.txt");
        Path temp = Files.createTempFile(dir, ".swp-", ".part");
        byte[] content = "received".getBytes(StandardCharsets.UTF_8);
        Files.write(temp, content);

        FileTransfer.storeWithoutOverwrite(temp, target);

        assertArrayEquals(content, Files.readAllBytes(target));
        assertFalse(Files.exists(temp));
    }
}
