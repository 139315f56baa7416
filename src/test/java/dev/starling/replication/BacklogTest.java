package dev.starling.replication;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The backlog alone: jemalloc-sized blocks, trimming, readers holding blocks, PSYNC windows. */
class BacklogTest {
    private final long[] size = {16 * 1024};
    private final Backlog b = new Backlog(new UnpooledByteBufAllocator(false), () -> 0L, () -> size[0]);
    private final ByteArrayOutputStream all = new ByteArrayOutputStream();

    @AfterEach
    void freeBlocks() {
        b.free();
    }

    /** Appends one SET command of a value of n bytes, as the stream would. */
    private void set(int n) {
        String v = "x".repeat(n);
        byte[] cmd = ("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + n + "\r\n" + v + "\r\n").getBytes(StandardCharsets.US_ASCII);
        all.writeBytes(cmd);
        ByteBuf data = Unpooled.wrappedBuffer(cmd);
        b.append(data, Propagator.PROPAGATE_ALL, 0, b.end() + cmd.length);
        assertThat(b.validate()).isNull();
    }

    @Test
    void usableSize_jemallocClasses() {
        assertThat(Backlog.usableSize(16 * 1024 + 40)).isEqualTo(20480);
        assertThat(Backlog.usableSize(34_040)).isEqualTo(40960);
        assertThat(Backlog.usableSize(65_576)).isEqualTo(81920);
        assertThat(Backlog.usableSize(4096)).isEqualTo(4096);
    }

    @Test
    void newBacklog_firstByteIsTheNextOne() {
        assertThat(b.firstByteOffset()).isEqualTo(1);
        assertThat(b.histlen()).isZero();
        assertThat(b.canServe(1)).isTrue();
        assertThat(b.canServe(2)).isFalse();
    }

    @Test
    void pastSize_oldBlocksTrimmedInWholeBlocks_psyncWindowFollows() {
        for (int i = 0; i < 100; i++) set(1000);
        long end = b.end();
        assertThat(b.histlen()).isGreaterThan(size[0]).isLessThanOrEqualTo(size[0] + 20440);
        assertThat(b.firstByteOffset()).isEqualTo(end - b.histlen() + 1);
        assertThat((b.firstByteOffset() - 1) % 20440).isZero();
        assertThat(b.canServe(b.firstByteOffset())).isTrue();
        assertThat(b.canServe(b.firstByteOffset() - 1)).isFalse();
        assertThat(b.canServe(end + 1)).isTrue();
        assertThat(b.canServe(end + 2)).isFalse();
    }

    @Test
    void reader_holdsBlocksUntilItPassesThem_thenTrimmed() {
        set(10);
        Backlog.Reader r = b.openReader(0);
        for (int i = 0; i < 200; i++) set(1000);
        assertThat(b.firstByteOffset()).isEqualTo(1); // nothing trimmed behind a reader
        assertThat(b.behind(r)).isEqualTo(b.end());
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        ByteBuf s;
        while ((s = b.read(r, 5000)) != null) {
            byte[] x = new byte[s.readableBytes()];
            s.readBytes(x);
            s.release();
            got.writeBytes(x);
            assertThat(b.validate()).isNull();
        }
        assertThat(got.toByteArray()).isEqualTo(all.toByteArray());
        assertThat(b.histlen()).isLessThanOrEqualTo(size[0] + 20440);
        b.close(r);
        assertThat(b.validate()).isNull();
    }

    @Test
    void bigArguments_blocksCappedAtASixteenthOfTheBacklog() {
        size[0] = 1 << 20;
        set(200_000);
        // A 200 KB argument is split into blocks of at most 64 KB (81880 usable), as 7.0.15 does.
        assertThat(b.memory()).isLessThan(4 * (81920 + 64));
        Backlog.Reader r = b.openReader(0);
        int n = 0;
        ByteBuf s;
        while ((s = b.read(r, Integer.MAX_VALUE)) != null) {
            n += s.readableBytes();
            s.release();
        }
        assertThat(n).isEqualTo(all.size());
    }

    /**
     * A chunk of many commands (a pipelined batch, or a replica's relayed input) leaves the same
     * blocks as its pieces fed one at a time (header, $len line, argument, CRLF), whether it is a
     * heap buffer, a slice of one, or direct memory; arguments over 16 KB get blocks of their own.
     */
    @Test
    void bigChunk_sameBlocksAsPieceByPiece() {
        size[0] = 1 << 20;
        java.util.List<byte[]> pieces = new java.util.ArrayList<>();
        java.util.Random rnd = new java.util.Random(5);
        for (int i = 0; i < 8000; i++) {
            int n = i % 500 == 7 ? 16 * 1024 + rnd.nextInt(70_000) : rnd.nextInt(300);
            pieces.add("*3\r\n".getBytes(StandardCharsets.US_ASCII));
            pieces.add("$3\r\n".getBytes(StandardCharsets.US_ASCII));
            pieces.add("SET".getBytes(StandardCharsets.US_ASCII));
            pieces.add("\r\n".getBytes(StandardCharsets.US_ASCII));
            pieces.add(("$" + n + "\r\n").getBytes(StandardCharsets.US_ASCII));
            pieces.add("v".repeat(n).getBytes(StandardCharsets.US_ASCII));
            pieces.add("\r\n".getBytes(StandardCharsets.US_ASCII));
            pieces.add(("$" + (i % 10) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            pieces.add("k".repeat(i % 10).getBytes(StandardCharsets.US_ASCII));
            pieces.add("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        Backlog expected = new Backlog(new UnpooledByteBufAllocator(false), () -> 0L, () -> size[0]);
        for (byte[] piece : pieces) {
            whole.writeBytes(piece);
            // one piece each (an argument over 16 KB does not start with '*', so it goes in one piece too)
            expected.append(Unpooled.wrappedBuffer(piece), Propagator.PROPAGATE_ALL, 0, expected.end() + piece.length);
        }
        byte[] bytes = whole.toByteArray();
        byte[] padded = new byte[bytes.length + 10];
        System.arraycopy(bytes, 0, padded, 5, bytes.length);
        ByteBuf direct = Unpooled.directBuffer(bytes.length).writeBytes(bytes);
        for (ByteBuf chunk : new ByteBuf[] {Unpooled.wrappedBuffer(bytes), Unpooled.wrappedBuffer(padded).slice(5, bytes.length), direct}) {
            Backlog got = new Backlog(new UnpooledByteBufAllocator(false), () -> 0L, () -> size[0]);
            got.append(chunk, Propagator.PROPAGATE_ALL, 0, bytes.length);
            assertThat(got.validate()).isNull();
            assertThat(got.blockCount()).isEqualTo(expected.blockCount());
            assertThat(got.memory()).isEqualTo(expected.memory());
            assertThat(got.histlen()).isEqualTo(expected.histlen());
            assertThat(got.firstByteOffset()).isEqualTo(expected.firstByteOffset());
            got.free();
        }
        expected.free();
        direct.release();
    }
}
