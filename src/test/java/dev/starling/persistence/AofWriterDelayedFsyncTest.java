package dev.starling.persistence;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * aof_delayed_fsync: with everysec, bytes that wait more than 2 seconds behind a running fsync are
 * counted once per such fsync (Redis writes anyway after 2 s of postponement and counts); a slow
 * disk is simulated by a file whose fsync takes longer than that.
 */
class AofWriterDelayedFsyncTest {
    /** A file channel whose force() takes forceMillis. */
    static final class SlowForce extends FileChannel {
        final FileChannel f;
        volatile long forceMillis;
        final AtomicInteger forces = new AtomicInteger();

        SlowForce(FileChannel f) {
            this.f = f;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            forces.incrementAndGet();
            try {
                Thread.sleep(forceMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            f.force(metaData);
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return f.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return f.read(dsts, offset, length);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return f.write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            return f.write(srcs, offset, length);
        }

        @Override
        public long position() throws IOException {
            return f.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            f.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return f.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            f.truncate(size);
            return this;
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return f.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            return f.transferFrom(src, position, count);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return f.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            return f.write(src, position);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return f.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return f.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return f.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            f.close();
        }
    }

    static final class Counting implements AofWriter.Events {
        final AtomicInteger delayed = new AtomicInteger();

        @Override
        public void writeFailed(String reason, long nwritten, long expected, String truncateError) {
        }

        @Override
        public void writeRecovered() {
        }

        @Override
        public void fsyncFailed(String reason) {
        }

        @Override
        public void synced(long offset) {
        }

        @Override
        public void writesDelayedByFsync() {
            delayed.incrementAndGet();
        }
    }

    static AofWriter writer(SlowForce ch, int policy, Counting events) {
        AofWriter w = new AofWriter(ch, 0, policy, events);
        w.start();
        return w;
    }

    static SlowForce file() throws IOException {
        Path p = Files.createTempFile("aof-delayed", ".aof");
        return new SlowForce(FileChannel.open(p, StandardOpenOption.WRITE));
    }

    @Test
    void everysec_writesWaitingBehindASlowFsync_countedOnce() throws Exception {
        SlowForce ch = file();
        ch.forceMillis = 2300;
        Counting events = new Counting();
        AofWriter w = writer(ch, AofWriter.FSYNC_EVERYSEC, events);
        try {
            w.append("*1\r\n$4\r\nPING\r\n".getBytes());
            w.kick();
            // The everysec fsync starts within about a second; bytes appended meanwhile wait behind it.
            await().atMost(Duration.ofSeconds(5)).until(() -> w.fsyncInProgress);
            w.append("*1\r\n$4\r\nPING\r\n".getBytes());
            w.kick();
            await().atMost(Duration.ofSeconds(10)).until(() -> events.delayed.get() == 1);
            ch.forceMillis = 0;
            assertThat(w.flushAndSync(10_000)).isTrue();
            assertThat(events.delayed.get()).isEqualTo(1);
        } finally {
            w.stop();
        }
    }

    @Test
    void everysec_slowFsyncWithNothingWaiting_orFastFsync_notCounted() throws Exception {
        SlowForce ch = file();
        ch.forceMillis = 2300;
        Counting events = new Counting();
        AofWriter w = writer(ch, AofWriter.FSYNC_EVERYSEC, events);
        try {
            w.append("*1\r\n$4\r\nPING\r\n".getBytes());
            w.kick();
            await().atMost(Duration.ofSeconds(10)).until(() -> ch.forces.get() == 1 && !w.fsyncInProgress);
            ch.forceMillis = 0;
            for (int i = 0; i < 3; i++) {
                w.append("*1\r\n$4\r\nPING\r\n".getBytes());
                assertThat(w.flushAndSync(10_000)).isTrue();
            }
            assertThat(events.delayed.get()).isZero();
        } finally {
            w.stop();
        }
    }
}
