package io.swp.file;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SafeNameTest {
    @ParameterizedTest
    @ValueSource(strings = {"a.bin", "report 2026.pdf", ".hidden", "été.txt", "a.b.c", "x-y_z~", "console.log", "com10.txt", "日本語.txt"})
    void plainNamesAreAccepted(String name) {
        assertDoesNotThrow(() -> FileTransfer.checkSafeName(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "../x", "x/..", "a/b", "/etc/passwd", "a\\b", "C:\\x", "C:x", "a\u0000b",
        "tab\there", "new\nline", "a..b", "evil\u202Etxt.exe", "zero\u200Bwidth", "line\u2028sep", "trailing.",
        "trailing ", "a<b", "a>b", "a\"b", "a|b", "what?", "star*", "CON", "nul.txt", "Com1.log", "lpt9"})
    void unsafeNamesAreRefusedWithAClearMessage(String name) {
        IOException e = assertThrows(IOException.class, () -> FileTransfer.checkSafeName(name));
        assertTrue(e.getMessage().startsWith("unsafe file name"), e.getMessage());
    }

    @org.junit.jupiter.api.Test
    void overlongNamesAreRefused() {
        assertThrows(IOException.class, () -> FileTransfer.checkSafeName("x".repeat(FileTransfer.MAX_NAME_BYTES + 1)));
        assertDoesNotThrow(() -> FileTransfer.checkSafeName("x".repeat(FileTransfer.MAX_NAME_BYTES)));
        // 128 two-byte characters are 256 UTF-8 bytes.
        assertThrows(IOException.class, () -> FileTransfer.checkSafeName("é".repeat(128)));
    }
}
