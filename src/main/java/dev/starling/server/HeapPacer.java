package dev.starling.server;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Starts a concurrent GC cycle when the heap has grown by a fraction of its live set since the
 * last one, and once more when a grown heap goes quiet, so RSS follows the live dataset without a
 * timer. Shenandoah's own triggers work from free space against the maximum heap (a quarter of the
 * machine), so on their own a 1 GB dataset would carry gigabytes of garbage; a periodic cycle
 * (ShenandoahGuaranteedGCInterval) bounds that, but marks the whole live set every period even when
 * nothing was allocated: an idle server holding 5M keys spent 35% of a core on it. Paced by
 * allocation, the work per allocated byte is fixed (about 1/{@link #GROWTH} live sets marked per
 * live set allocated), an idle server does none, and the heap's swing stays near {@link #GROWTH}
 * of the live set.
 *
 * <p>It rests while a dataset loads (start-up, a replica's full sync): a load allocates live data
 * only, so a cycle per quarter of growth would mark the growing dataset about five times over for
 * nothing (a 5M-key RDB: 30% more CPU for the load, competing with the primary when both share a
 * machine). For the same reason what the load added is taken as the live set afterwards, so no
 * cycle marks the fresh dataset right away either, while a replica applies the stream that
 * accumulated during its sync.
 *
 * <p>Runs on its own daemon thread because System.gc() waits for the cycle. Active only where a
 * System.gc() is a concurrent cycle (Shenandoah with ExplicitGCInvokesConcurrent, which the
 * launcher sets); with any other setting it would be a stop-the-world collection, so it stays off.
 */
final class HeapPacer implements Runnable {
    /**
     * A cycle once the heap grew by this fraction of the live set after the last cycle: a quarter.
     * At a tenth, a SET load on 5M keys marked the live set back to back and the collector took a
     * quarter of the CPU per SET (14.1 against 10.9 µs, bench/heap-load.sh; 72k against 108k SET/s
     * in bench/bgsave.sh), for about 50 MB (4%) less RSS under the load and less extra memory
     * during a BGSAVE (8-9% of the dataset against 10-21%). The property is for measuring that
     * trade again.
     */
    static final double GROWTH = Double.parseDouble(System.getProperty("starling.heapPacer.growth", "0.25"));

    /** ... but never for less growth than this (small heaps would cycle constantly). */
    static final long MIN_GROWTH = 32L << 20;
    /**
     * The heap is quiet once it has grown by less than this for {@link #QUIET_MILLIS}; the cron and
     * idle connections allocate a little, which should not cost a cycle each time.
     */
    static final long QUIET_GROWTH = 8L << 20;
    static final long QUIET_MILLIS = 3000;
    /** Quiet cycles go on while one frees at least this, or 1% of the live set if more. */
    static final long QUIET_FREED = 1L << 20;
    static final long POLL_MILLIS = 100;

    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final GarbageCollectorMXBean cycles;
    /** The heap's pools: "Shenandoah", or its young and old generations in generational mode. */
    private final MemoryPoolMXBean[] pools;
    private final Log log;
    /** True while the pacer should start no cycle (a dataset is loading). */
    private final BooleanSupplier resting;

    private HeapPacer(GarbageCollectorMXBean cycles, MemoryPoolMXBean[] pools, Log log, BooleanSupplier resting) {
        this.cycles = cycles;
        this.pools = pools;
        this.log = log;
        this.resting = resting;
    }

    /**
     * Starts the pacer thread. It checks first that this JVM's System.gc() is a concurrent cycle
     * (and logs why not otherwise): the management beans take tens of milliseconds to set up, which
     * start-up should not wait for.
     */
    static void start(Log log, BooleanSupplier resting) {
        Thread t = new Thread(() -> {
            HeapPacer p = createIfConcurrent(log, resting);
            if (p != null) p.run();
        }, "starling-heap-pacer");
        t.setDaemon(true);
        t.start();
    }

    private static HeapPacer createIfConcurrent(Log log, BooleanSupplier resting) {
        GarbageCollectorMXBean cycles = null;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (b.getName().equals("Shenandoah Cycles")) cycles = b;
        }
        List<MemoryPoolMXBean> pools = new ArrayList<>();
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP && p.isCollectionUsageThresholdSupported()) pools.add(p);
        }
        HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        boolean concurrent = vm != null && "true".equals(vm.getVMOption("ExplicitGCInvokesConcurrent").getValue())
                && !"true".equals(vm.getVMOption("DisableExplicitGC").getValue());
        if (cycles == null || pools.isEmpty() || !concurrent) {
            log.verbose("Heap pacing off: it needs Shenandoah with -XX:+ExplicitGCInvokesConcurrent");
            return null;
        }
        log.verbose("Heap pacing on: a concurrent cycle per " + (int) (GROWTH * 100) + "% of heap growth, and once the heap is quiet");
        return new HeapPacer(cycles, pools.toArray(new MemoryPoolMXBean[0]), log, resting);
    }

    @Override
    public void run() {
        long seenCycles = -1, live = 0;
        // The heap is quiet once it has grown by less than QUIET_GROWTH since quietBase was taken.
        long quietBase = 0, quietSince = System.nanoTime();
        boolean quietCollected = false;
        // While resting: the heap in use when the load began (garbage-to-be, such as a flushed dataset).
        long usedBeforeRest = -1;
        while (true) {
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            long used = memory.getHeapMemoryUsage().getUsed();
            if (resting.getAsBoolean()) {
                if (usedBeforeRest < 0) usedBeforeRest = used;
                continue;
            }
            long n = cycles.getCollectionCount();
            if (usedBeforeRest >= 0) {
                // The load is over: the live set is at least what it added (the dataset it replaced, if
                // any, is garbage now; a cycle of Shenandoah's own during the load only makes this less).
                // The load's own garbage waits for the next growth cycle, or for a quiet one.
                seenCycles = n;
                live = Math.max(0, used - usedBeforeRest);
                usedBeforeRest = -1;
                quietCollected = false;
            }
            if (n != seenCycles) {
                // A cycle while the heap was busy (paced, or Shenandoah's own): the live set is what it
                // left, but it left what was allocated meanwhile too, so one more is due once quiet.
                seenCycles = n;
                live = liveAfterCycle();
                quietCollected = false;
            }
            long now = System.nanoTime();
            if (used < quietBase) quietBase = used;
            if (used - quietBase > QUIET_GROWTH) {
                quietBase = used;
                quietSince = now;
                quietCollected = false;
            }
            // Generational mode (two pools) has young cycles for growth, and a System.gc() there is a
            // global cycle marking the old data too: only the quiet cycles are paced there.
            boolean growthDue = pools.length == 1 && used - live > Math.max(MIN_GROWTH, (long) (live * GROWTH));
            boolean quietDue = !quietCollected && now - quietSince > QUIET_MILLIS * 1_000_000L;
            if (!growthDue && !quietDue) continue;
            try {
                System.gc(); // a concurrent cycle; returns when it is done
            } catch (Throwable t) {
                log.warning("Heap pacing stopped: " + t);
                return;
            }
            // Quiet is measured from the cycle's end: a cycle under load can take longer than
            // QUIET_MILLIS, and counting from before it ran a quiet cycle right after every growth
            // cycle, doubling the collector's work under a steady write load.
            quietBase = memory.getHeapMemoryUsage().getUsed();
            quietSince = System.nanoTime();
            if (!growthDue) {
                // A quiet cycle evacuates at most Shenandoah's evacuation reserve, so the next one may
                // still compact: they go on, one per QUIET_MILLIS, until one frees little (QUIET_FREED).
                seenCycles = cycles.getCollectionCount();
                live = liveAfterCycle();
                quietCollected = used - quietBase < Math.max(QUIET_FREED, live / 100);
            }
        }
    }

    private long liveAfterCycle() {
        long live = 0;
        for (MemoryPoolMXBean p : pools) {
            MemoryUsage after = p.getCollectionUsage();
            if (after == null) return memory.getHeapMemoryUsage().getUsed();
            live += after.getUsed();
        }
        return live;
    }
}
