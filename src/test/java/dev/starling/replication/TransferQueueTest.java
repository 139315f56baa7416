package dev.starling.replication;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The full-sync payload queue: order, back-pressure (pause above the high water, resume once below the low), end, abort, drain. */
class TransferQueueTest {
    private static ByteBuf bytes(int n, int seed) {
        ByteBuf b = Unpooled.buffer(n);
        for (int i = 0; i < n; i++) b.writeByte(seed + i);
        return b;
    }

    @Test
    void read_deliversBytesInOrder_thenEnd() throws IOException {
        TransferQueue q = new TransferQueue(() -> {});
        ByteBuf a = bytes(10, 0), b = bytes(5, 10);
        assertThat(q.offer(a, 7)).isFalse();
        assertThat(a.readableBytes()).isEqualTo(3);
        q.offer(a, 3);
        q.offer(b, 5);
        assertThat(q.starving()).isFalse();
        byte[] out = new byte[15];
        int got = 0;
        while (got < 15) got += q.read(out, got, 15 - got);
        for (int i = 0; i < 15; i++) assertThat(out[i]).isEqualTo((byte) i);
        assertThat(q.starving()).isTrue();
        q.end();
        assertThat(q.starving()).isFalse();
        assertThat(q.read(out, 0, 1)).isEqualTo(-1);
    }

    @Test
    void offer_aboveHighWater_pauses_resumesOnceBelowLowWater() throws IOException {
        AtomicInteger resumed = new AtomicInteger();
        TransferQueue q = new TransferQueue(resumed::incrementAndGet);
        int chunk = 1 << 20;
        boolean paused = false;
        int offered = 0;
        while (!paused) {
            paused = q.offer(bytes(chunk, 0), chunk);
            offered += chunk;
        }
        assertThat(offered).isGreaterThan(TransferQueue.HIGH_WATER);
        assertThat(q.paused()).isTrue();
        long left = offered;
        while (left > TransferQueue.LOW_WATER + chunk) {
            left -= q.take().length;
            assertThat(resumed.get()).isZero();
        }
        while (resumed.get() == 0) left -= q.take().length;
        assertThat(left).isLessThanOrEqualTo(TransferQueue.LOW_WATER);
        assertThat(q.paused()).isFalse();
        assertThat(resumed.get()).isEqualTo(1);
    }

    @Test
    void abort_failsTheBlockedReader_andDropsWhatWasQueued() throws Exception {
        TransferQueue q = new TransferQueue(() -> {});
        q.offer(bytes(4, 0), 4);
        byte[] out = new byte[4];
        assertThat(q.read(out, 0, 4)).isEqualTo(4);
        Throwable[] seen = new Throwable[1];
        Thread reader = new Thread(() -> {
            try {
                q.read(out, 0, 4);
            } catch (IOException e) {
                seen[0] = e;
            }
        });
        reader.start();
        q.abort();
        reader.join(10_000);
        assertThat(seen[0]).isInstanceOf(IOException.class);
        assertThatThrownBy(q::take).isInstanceOf(IOException.class);
        assertThat(q.offer(bytes(3, 0), 3)).isFalse();
    }

    @Test
    void drain_returnsTheUnreadRest() throws IOException {
        TransferQueue q = new TransferQueue(() -> {});
        q.offer(bytes(6, 0), 6);
        q.offer(bytes(3, 6), 3);
        byte[] out = new byte[4];
        assertThat(q.read(out, 0, 4)).isEqualTo(4);
        ByteBuf rest = q.drain();
        assertThat(rest.readableBytes()).isEqualTo(5);
        for (int i = 0; i < 5; i++) assertThat(rest.readByte()).isEqualTo((byte) (4 + i));
        rest.release();
    }
}
