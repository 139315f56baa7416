package dev.starling.replication;

import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The stream's own contract: consumers, chunks, targets, offsets, SELECT, and no work without consumers. */
class ReplicationStreamTest {
    static ServerFixture s;
    static RespClient c;

    @BeforeAll
    static void start() {
        s = ServerFixture.start();
        c = s.raw();
    }

    @AfterAll
    static void stop() {
        c.close();
        s.close();
    }

    @BeforeEach
    void reset() {
        c.callString("SELECT", "0");
        c.callString("FLUSHALL");
    }

    /** Records every chunk: its bytes, targets, selected db and end offset; keeps one retained. */
    static final class Recorder implements StreamConsumer {
        final int targets;
        final List<String> chunks = new ArrayList<>();
        final List<Integer> chunkTargets = new ArrayList<>();
        final List<Long> offsets = new ArrayList<>();
        final List<Integer> dbs = new ArrayList<>();
        ByteBuf kept;

        Recorder(int targets) {
            this.targets = targets;
        }

        @Override
        public int targets() {
            return targets;
        }

        @Override
        public void append(ByteBuf data, int t, int selectedDb, long endOffset) {
            chunks.add(data.toString(StandardCharsets.ISO_8859_1));
            chunkTargets.add(t);
            offsets.add(endOffset);
            dbs.add(selectedDb);
            if (kept != null) kept.release();
            kept = data.retainedSlice();
            data.skipBytes(data.readableBytes()); // reading must not take the bytes from the next consumer
        }
    }

    private void attach(StreamConsumer r) {
        s.onExecutor(() -> s.server.propagator.stream.addConsumer(r));
    }

    private void detach(StreamConsumer r) {
        s.onExecutor(() -> s.server.propagator.stream.removeConsumer(r));
    }

    private static long infoOffset() {
        String info = c.callString("INFO", "replication");
        int i = info.indexOf("master_repl_offset:");
        return Long.parseLong(info.substring(i + 19, info.indexOf('\r', i)));
    }

    @Test
    void noConsumer_nothingIsEncodedAndTheOffsetStays() {
        long before = infoOffset();
        c.callString("SET", "a", "1", "EX", "100");
        c.callString("MULTI");
        c.callString("SET", "b", "1");
        c.callString("INCR", "n");
        c.callString("EXEC");
        assertThat(infoOffset()).isEqualTo(before);
        s.onExecutor(() -> assertThat(s.server.propagator.active()).isFalse());
    }

    @Test
    void consumer_getsSelectFirst_oneChunkPerUnit_andTheOffsetCountsEveryByte() {
        Recorder r = new Recorder(Propagator.PROPAGATE_ALL);
        attach(r);
        try {
            long start = infoOffset();
            c.callString("SET", "a", "1");
            c.callString("MULTI");
            c.callString("SET", "b", "1");
            c.callString("SELECT", "3");
            c.callString("INCR", "n");
            c.callString("EXEC");
            assertThat(r.chunks).containsExactly(
                    "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n",
                    "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n1\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"
                            + "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*1\r\n$4\r\nEXEC\r\n");
            assertThat(r.dbs).containsExactly(0, 3);
            long total = r.chunks.get(0).length() + r.chunks.get(1).length();
            assertThat(r.offsets).containsExactly(start + r.chunks.get(0).length(), start + total);
            assertThat(infoOffset()).isEqualTo(start + total);
            // The retained slice of the last chunk is still whole after the stream released its reference.
            assertThat(r.kept.toString(StandardCharsets.ISO_8859_1)).isEqualTo(r.chunks.get(1));
        } finally {
            detach(r);
            r.kept.release();
        }
    }

    @Test
    void pipelinedWrites_reachConsumersAsOneChunk_andInfoCountsThemBeforeTheFlush() {
        Recorder r = new Recorder(Propagator.PROPAGATE_ALL);
        attach(r);
        try {
            long start = infoOffset();
            byte[] pipeline = (new String(RespClient.encode(RespClient.args("SET", "a", "1")), StandardCharsets.ISO_8859_1)
                    + new String(RespClient.encode(RespClient.args("SET", "b", "2")), StandardCharsets.ISO_8859_1)
                    + new String(RespClient.encode(RespClient.args("INFO", "replication")), StandardCharsets.ISO_8859_1))
                    .getBytes(StandardCharsets.ISO_8859_1);
            c.send(pipeline);
            c.readReply();
            c.readReply();
            String info = c.readReplyString();
            String both = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
                    + "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n";
            assertThat(info).contains("master_repl_offset:" + (start + both.length()) + "\r\n");
            assertThat(r.chunks).containsExactly(both);
        } finally {
            detach(r);
            r.kept.release();
        }
    }

    @Test
    void publish_isAChunkForReplicasOnly_andNeverReachesAnAofOnlyStream() {
        Recorder repl = new Recorder(Propagator.PROPAGATE_ALL);
        attach(repl);
        try {
            c.callString("MULTI");
            c.callString("SET", "a", "1");
            c.callString("PUBLISH", "ch", "m");
            c.callString("EXEC");
            assertThat(repl.chunkTargets).containsExactly(Propagator.PROPAGATE_ALL, Propagator.PROPAGATE_REPL,
                    Propagator.PROPAGATE_ALL);
            assertThat(String.join("", repl.chunks)).isEqualTo("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$5\r\nMULTI\r\n"
                    + "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$1\r\nm\r\n*1\r\n$4\r\nEXEC\r\n");
        } finally {
            detach(repl);
            repl.kept.release();
        }
        Recorder aof = new Recorder(Propagator.PROPAGATE_AOF);
        attach(aof);
        try {
            long start = infoOffset();
            c.callString("PUBLISH", "ch", "m");
            c.callString("SET", "a", "2");
            assertThat(aof.chunks).containsExactly("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n2\r\n");
            // Without a replica (backlog) consumer the replication offset does not move.
            assertThat(infoOffset()).isEqualTo(start);
        } finally {
            detach(aof);
            aof.kept.release();
        }
    }

    @Test
    void twoConsumers_readTheSameBytes_andANewConsumerRestartsSelect() {
        Recorder a = new Recorder(Propagator.PROPAGATE_ALL), b = new Recorder(Propagator.PROPAGATE_ALL);
        attach(a);
        c.callString("SET", "x", "1");
        attach(b);
        try {
            c.callString("SET", "y", "1");
            assertThat(a.chunks).containsExactly("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\n1\r\n",
                    "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\ny\r\n$1\r\n1\r\n");
            assertThat(b.chunks).containsExactly(a.chunks.get(1));
        } finally {
            detach(a);
            detach(b);
            a.kept.release();
            b.kept.release();
        }
        s.onExecutor(() -> assertThat(s.server.propagator.active()).isFalse());
    }

    @Test
    void rewrites_areSkippedWithoutAConsumer() {
        c.callString("SET", "f", "1.5");
        s.onExecutor(() -> {
            dev.starling.server.Client probe = s.server.clients.values().iterator().next();
            probe.rewriteCommandVector(Propagator.DEL, new byte[] {'k'});
            assertThat(probe.propagateArgv).isNull();
        });
    }
}
