package dev.starling.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Gives a background thread (a snapshot's serializer) a higher nice value than the executor's, so
 * on a machine whose cores are busy the scheduler runs the executor first and the background work
 * takes what is left. Redis gets the same effect from its child process being a separate task
 * that the operator can renice; Starling's background work is a thread of the server process.
 *
 * <p>Linux applies nice values per thread (setpriority on a thread id). Java has no call for it
 * (Thread.setPriority is ignored on Linux by default), so the thread runs renice(1) on its own id
 * once; raising one's own nice value needs no privilege. If renice is missing or fails, the
 * thread simply keeps the process's priority.
 */
public final class BackgroundPriority {
    /**
     * The nice value for background threads: 10 gives them a tenth of the executor's CPU share
     * when both want a core (a weight of 110 against 1024), while an idle core still runs them at
     * full speed. {@code -Dstarling.background-nice=0} turns it off.
     */
    static final int NICE = Integer.getInteger("starling.background-nice", 10);

    private BackgroundPriority() {}

    /** Lowers the calling thread's priority to {@link #NICE}; call it first on the thread itself. */
    public static void lowerCurrentThread() {
        if (NICE <= 0) return;
        try {
            // /proc/thread-self -> "<pid>/task/<tid>"
            String tid = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
            Process p = new ProcessBuilder("renice", "-n", Integer.toString(NICE), "-p", tid)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroy();
        } catch (IOException | UnsupportedOperationException e) {
            // no /proc or no renice: keep the default priority
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The calling thread's nice value from /proc (field 19 of its stat), for tests; 0 if unknown. */
    public static int currentThreadNice() {
        try {
            String stat = Files.readString(Path.of("/proc/thread-self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(f[16]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
