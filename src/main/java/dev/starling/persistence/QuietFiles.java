package dev.starling.persistence;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/** Best-effort closing and deleting, for files a save or rewrite abandons (Redis's bg_unlink). */
public final class QuietFiles {
    private QuietFiles() {}

    public static void closeQuietly(FileChannel ch) {
        if (ch == null) return;
        try {
            ch.close();
        } catch (IOException ignored) {
            // Abandoning the file anyway.
        }
    }

    public static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // Best effort, as Redis's unlink of a temporary file.
        }
    }
}
