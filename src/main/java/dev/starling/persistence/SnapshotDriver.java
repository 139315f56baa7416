package dev.starling.persistence;

import dev.starling.keyspace.Snapshot;
import dev.starling.server.Server;

import java.util.function.BooleanSupplier;

/**
 * Drives a {@link Snapshot}'s walk on the executor: slices of about {@link #sliceNanos}, each made
 * of steps of {@link #unitsPerStep} units, rescheduled with a zero-delay timer so the event loop
 * serves I/O between slices (a task submitted with execute() could run again in the same batch).
 *
 * <h2>Back-pressure</h2>
 * Before each step the driver asks {@code backedUp} (the consumer's output is above its
 * high-water mark: the file or replica socket is slower than the walk). If so it pauses the
 * snapshot and stops scheduling; pre-write hooks keep handing over what writes touch, which is
 * the bounded extra memory. Whoever drains the output calls {@link #resume} (from any thread)
 * once it is below its low-water mark.
 *
 * <p>Everything except {@link #resume} runs on the executor.
 */
public final class SnapshotDriver implements Runnable {
    private final Server server;
    private final Snapshot snapshot;
    private final BooleanSupplier backedUp;
    /** Walk units per step, and the time after which a slice yields to I/O. */
    public int unitsPerStep = 256;
    public long sliceNanos = 500_000;
    /** Runs after every slice (a consumer publishing what it batched), or null. */
    public Runnable afterSlice;
    private boolean scheduled;
    /** Statistics: slices run, the longest slice, the most work one step did. */
    public long slices, maxSliceNanos;
    public int maxStepWork;

    public SnapshotDriver(Server server, Snapshot snapshot, BooleanSupplier backedUp) {
        this.server = server;
        this.snapshot = snapshot;
        this.backedUp = backedUp;
    }

    /** Starts walking (on the executor). */
    public void start() {
        schedule();
    }

    /** Any thread: the consumer's output has drained; walking continues. */
    public void resume() {
        server.execute(() -> {
            snapshot.resume();
            schedule();
        });
    }

    private void schedule() {
        if (scheduled || snapshot.state() != Snapshot.RUNNING || snapshot.isPaused()) return;
        scheduled = true;
        server.schedule(this, 0);
    }

    /** One slice. */
    @Override
    public void run() {
        scheduled = false;
        long start = server.clock.nanos(), now = start;
        while (snapshot.state() == Snapshot.RUNNING && !snapshot.isPaused() && now - start < sliceNanos) {
            if (backedUp.getAsBoolean()) {
                snapshot.pause();
                break;
            }
            int work = snapshot.step(unitsPerStep);
            if (work > maxStepWork) maxStepWork = work;
            now = server.clock.nanos();
        }
        if (afterSlice != null) afterSlice.run();
        slices++;
        if (now - start > maxSliceNanos) maxSliceNanos = now - start;
        schedule();
    }
}
