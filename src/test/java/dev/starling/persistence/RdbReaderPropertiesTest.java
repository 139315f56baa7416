package dev.starling.persistence;

import dev.starling.command.Digest;
import dev.starling.config.Config;
import dev.starling.support.RespClient;
import dev.starling.support.ServerFixture;
import dev.starling.types.Quicklist;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random payloads (random bytes after a random type byte, and seeds from every format with random
 * bytes overwritten, inserted or cut): the reader either loads a value or reports an
 * {@link RdbException}, never another exception; a loaded value can be saved, digested and
 * re-loaded; and RESTORE on a live server answers OK or "Bad data format" and keeps serving.
 */
class RdbReaderPropertiesTest {
    static ServerFixture server;
    static RespClient client;

    @BeforeContainer
    static void start() {
        server = ServerFixture.start("--enable-debug-command", "yes", "--sanitize-dump-payload", "no");
        client = server.raw();
    }

    @AfterContainer
    static void stop() {
        client.close();
        server.close();
    }

    static final List<byte[]> SEEDS = seeds();

    static List<byte[]> seeds() {
        List<byte[]> out = new ArrayList<>();
        List<String> items = List.of("a", "5", "-300", "x".repeat(30), "70000", "5000000000", "");
        out.add(new LegacyEncoder().type(10).string(LegacyEncoder.ziplist(items)).body());
        out.add(new LegacyEncoder().type(9).string(LegacyEncoder.zipmap(List.of("f", "v", "g", "12"), 1)).body());
        out.add(new LegacyEncoder().type(12).string(LegacyEncoder.ziplist(List.of("a", "1", "b", "2.5"))).body());
        out.add(new LegacyEncoder().type(13).string(LegacyEncoder.ziplist(List.of("f", "v", "7", "8"))).body());
        out.add(new LegacyEncoder().type(14).len(2).string(LegacyEncoder.ziplist(List.of("a", "1"))).string(LegacyEncoder.ziplist(items)).body());
        out.add(new LegacyEncoder().type(1).len(2).string("a").encodedString("300").body());
        out.add(new LegacyEncoder().type(3).len(2).string("a").textDouble(1.5).string("b").textDouble(-2).body());
        out.add(new LegacyEncoder().type(4).len(2).string("f").string("v").string("g").encodedString("5").body());
        out.add(new LegacyEncoder().type(2).len(3).string("1").string("x").string("3").body());
        out.add(new LegacyEncoder().type(5).len(2).string("m").binaryDouble(1).string("n").binaryDouble(2).body());
        out.add(new LegacyEncoder().type(20).string(RdbCodecTest.listpack("1", "2", "x")).body());
        out.add(new LegacyEncoder().type(16).string(RdbCodecTest.listpack("f", "1", "g", "two")).body());
        out.add(new LegacyEncoder().type(17).string(RdbCodecTest.listpack("a", "1", "b", "2.5")).body());
        out.add(new LegacyEncoder().type(11).string(new byte[] {2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 2, 0, 3, 0}).body());
        out.add(new LegacyEncoder().type(21).len(1).string(new byte[16])
                .string(RdbCodecTest.listpack("2", "0", "1", "f", "0", "2", "0", "1", "v1", "4", "2", "0", "2", "v2", "4"))
                .len(2).len(0).len(2).len(0).len(0).len(0).len(0).len(2).len(1).string("g").len(0).len(0).len(0)
                .len(1).raw(new byte[15]).raw(new byte[] {1}).raw(new byte[8]).len(1).len(1).string("c").raw(new byte[16]).len(1)
                .raw(new byte[15]).raw(new byte[] {1}).body());
        Quicklist ql = new Quicklist(4, 1);
        for (int i = 0; i < 40; i++) ql.pushTail(("node item " + i % 7).getBytes(StandardCharsets.US_ASCII));
        out.add(RdbCodecTest.save(ql));
        return out;
    }

    @Provide
    Arbitrary<byte[]> payloads() {
        Arbitrary<byte[]> random = Combinators.combine(Arbitraries.integers().between(0, 25),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(120)).as((t, rest) -> {
                    byte[] b = new byte[rest.length + 1];
                    b[0] = (byte) (int) t;
                    System.arraycopy(rest, 0, b, 1, rest.length);
                    return b;
                });
        Arbitrary<byte[]> mutated = Combinators.combine(Arbitraries.integers().between(0, SEEDS.size() - 1),
                Arbitraries.integers().between(0, 5).list().ofMaxSize(6), Arbitraries.integers().between(0, 1 << 20).list().ofSize(6),
                Arbitraries.bytes().list().ofSize(6)).as((seed, ops, positions, values) -> {
                    byte[] b = SEEDS.get(seed).clone();
                    for (int i = 0; i < ops.size(); i++) {
                        if (b.length == 0) break;
                        int at = positions.get(i) % b.length;
                        switch (ops.get(i)) {
                            case 0, 1, 2 -> b[at] = values.get(i);
                            case 3 -> b = java.util.Arrays.copyOf(b, at);
                            case 4 -> {
                                byte[] n = new byte[b.length + 1];
                                System.arraycopy(b, 0, n, 0, at);
                                n[at] = values.get(i);
                                System.arraycopy(b, at, n, at + 1, b.length - at);
                                b = n;
                            }
                            default -> {
                                byte[] n = new byte[b.length - 1];
                                System.arraycopy(b, 0, n, 0, at);
                                System.arraycopy(b, at + 1, n, at, b.length - at - 1);
                                b = n;
                            }
                        }
                    }
                    return b;
                });
        return Arbitraries.oneOf(random, mutated);
    }

    @Property(tries = 5000)
    void reader_loadsOrReportsCorruption_neverThrowsOtherwise(@ForAll("payloads") byte[] body) throws RdbException {
        for (boolean deep : new boolean[] {false, true}) {
            byte[] payload = RestoreCommandDifferentialTest.footer(body, 10);
            RdbReader r = new RdbReader(payload, new Config(), deep);
            Object v;
            try {
                v = r.loadObject(r.loadType());
            } catch (RdbException e) {
                continue;
            }
            byte[] saved = RdbWriter.dumpPayload(v, true);
            if (v instanceof Digest.Digestible d) d.digestInto(new Digest(), new byte[20]);
            RdbReader again = new RdbReader(saved, new Config(), deep);
            Object v2 = again.loadObject(again.loadType());
            byte[] resaved = RdbWriter.dumpPayload(v2, true);
            boolean hashtable = (v2 instanceof dev.starling.types.SetValue s && !s.isIntset())
                    || (v2 instanceof dev.starling.types.Hash h && !h.isListpack());
            if (hashtable) assertThat(PayloadModel.decode(resaved)).isEqualTo(PayloadModel.decode(saved));
            else assertThat(resaved).isEqualTo(saved);
        }
    }

    @Property(tries = 1500)
    void restore_randomPayloads_okOrBadDataFormat_serverKeepsServing(@ForAll("payloads") byte[] body) {
        byte[] payload = RestoreCommandDifferentialTest.footer(body, 10);
        String reply = new String(client.call("RESTORE".getBytes(), "k".getBytes(), "0".getBytes(), payload, "REPLACE".getBytes()),
                StandardCharsets.ISO_8859_1);
        assertThat(reply).isIn("+OK\r\n", "-ERR Bad data format\r\n");
        if (reply.startsWith("+")) {
            for (String[] c : RestoreFuzzDifferentialTest.EXERCISE) client.call(StreamRestoreDifferentialTest.RespClientArgs.of(c));
        }
        assertThat(client.callString("PING")).isEqualTo("+PONG\r\n");
        String[] err = new String[1];
        server.onExecutor(() -> err[0] = server.server.keyspace.validate());
        assertThat(err[0]).isNull();
    }
}
