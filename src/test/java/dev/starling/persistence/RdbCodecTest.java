package dev.starling.persistence;

import dev.starling.config.Config;
import dev.starling.types.Hash;
import dev.starling.types.Listpack;
import dev.starling.types.Quicklist;
import dev.starling.types.SetValue;
import dev.starling.types.StreamValue;
import dev.starling.types.ZSet;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.starling.persistence.LegacyEncoder.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The codec without a server: the sink/source path (chunked writes, trickling reads, running
 * CRC), length encodings, and the formats redis-server 7.0 cannot load and so cannot be compared
 * against it (7.2's SET_LISTPACK and STREAM_LISTPACKS_3, 7.4's hashes with field TTLs, modules).
 */
class RdbCodecTest {
    static Config config() {
        return new Config();
    }

    static Object load(byte[] body) throws RdbException {
        RdbReader r = new RdbReader(body, config(), true);
        return r.loadObject(r.loadType());
    }

    static byte[] save(Object v) {
        RdbWriter w = RdbWriter.toMemory(true, false);
        w.saveObjectType(v);
        w.saveObject(v);
        return w.toByteArray();
    }

    /** A source that hands out at most `step` bytes per read. */
    static RdbSource trickle(byte[] data, int step) {
        int[] at = {0};
        return (b, off, len) -> {
            if (at[0] == data.length) return -1;
            int n = Math.min(Math.min(step, len), data.length - at[0]);
            System.arraycopy(data, at[0], b, off, n);
            at[0] += n;
            return n;
        };
    }

    @Test
    void sinkAndSource_chunked_roundTripWithCrc() throws RdbException {
        Random r = new Random(1);
        List<Object> values = new ArrayList<>();
        values.add(b("short"));
        values.add(b("x".repeat(100_000)));
        byte[] rnd = new byte[50_000];
        r.nextBytes(rnd);
        values.add(rnd);
        Quicklist ql = new Quicklist(-2, 1);
        for (int i = 0; i < 5000; i++) ql.pushTail(b("item-" + (i % 50) + "-" + "z".repeat(i % 30)));
        values.add(ql);
        Hash h = new Hash();
        for (int i = 0; i < 300; i++) h.set(b("f" + i), b("v" + i), 512, 64);
        values.add(h);
        RdbBuffer sink = new RdbBuffer();
        RdbWriter w = new RdbWriter(sink, 64, true, true);
        for (int i = 0; i < values.size(); i++) w.saveKeyValuePair(b("key" + i), values.get(i), i == 1 ? 123456789L : -1, i == 2 ? 5 : -1, -1);
        w.saveType(Rdb.OPCODE_EOF);
        long crc = w.crc();
        w.flush();
        byte[] all = sink.toByteArray();
        assertThat(w.processedBytes()).isEqualTo(all.length);
        assertThat(crc).isEqualTo(Crc64.of(all));
        for (int step : new int[] {1, 7, 4096}) {
            RdbReader rd = new RdbReader(trickle(all, step), 16, true, config(), false);
            for (int i = 0; i < values.size(); i++) {
                int t = rd.loadType();
                if (i == 1) {
                    assertThat(t).isEqualTo(Rdb.OPCODE_EXPIRETIME_MS);
                    assertThat(rd.loadMillisecondTime()).isEqualTo(123456789L);
                    t = rd.loadType();
                }
                if (i == 2) {
                    assertThat(t).isEqualTo(Rdb.OPCODE_IDLE);
                    assertThat(rd.loadLen()).isEqualTo(5);
                    t = rd.loadType();
                }
                assertThat(rd.loadStringBytes()).isEqualTo(b("key" + i));
                Object v = rd.loadObject(t);
                assertThat(save(v)).isEqualTo(save(values.get(i)));
            }
            assertThat(rd.loadType()).isEqualTo(Rdb.OPCODE_EOF);
            assertThat(rd.crc()).isEqualTo(crc);
            assertThat(rd.processedBytes()).isEqualTo(all.length);
            assertThatThrownBy(rd::loadType).isInstanceOf(RdbException.class)
                    .satisfies(e -> assertThat(((RdbException) e).kind).isEqualTo(RdbException.Kind.SHORT_READ));
        }
    }

    @Test
    void lengths_allWidths_roundTrip() throws RdbException {
        long[] lens = {0, 1, 63, 64, 16383, 16384, 0xFFFFFFFFL, 0x100000000L, Long.MAX_VALUE, -1};
        RdbWriter w = RdbWriter.toMemory(true, false);
        for (long l : lens) w.saveLen(l);
        byte[] bytes = w.toByteArray();
        assertThat(bytes.length).isEqualTo(1 + 1 + 1 + 2 + 2 + 5 + 5 + 9 + 9 + 9);
        RdbReader r = new RdbReader(bytes, config(), false);
        for (long l : lens) assertThat(r.loadLen()).isEqualTo(l);
    }

    @Test
    void hugeClaims_failWithoutAllocating() {
        // A string of 2^40 bytes, a LZF block claiming 1 GB from 3 bytes, a list of 2^62 elements.
        byte[][] bodies = {
            {0, (byte) 0x81, 0, 0, 1, 0, 0, 0, 0, 0},
            {0, (byte) 0xC3, 3, (byte) 0x80, 0x40, 0, 0, 0, 0, 'a', 'b'},
            {1, (byte) 0x81, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 'a'},
            {4, (byte) 0x81, 0x40, 0, 0, 0, 0, 0, 0, 0},
            {5, (byte) 0x81, 0x40, 0, 0, 0, 0, 0, 0, 0},
        };
        for (byte[] body : bodies) {
            assertThatThrownBy(() -> load(body)).isInstanceOf(RdbException.class);
            RdbReader streaming = new RdbReader(trickle(body, 3), 64, false, config(), false);
            assertThatThrownBy(() -> streaming.loadObject(streaming.loadType())).isInstanceOf(RdbException.class);
        }
    }

    // ---------------------------------------------------------------- formats newer than 7.0

    static byte[] listpack(String... entries) {
        byte[] lp = Listpack.create();
        for (String e : entries) lp = Listpack.append(lp, b(e));
        return Listpack.trim(lp);
    }

    @Test
    void setListpack_becomesIntsetOrHashtable() throws RdbException {
        Object ints = load(new LegacyEncoder().type(Rdb.TYPE_SET_LISTPACK).string(listpack("3", "1", "-7")).body());
        assertThat(ints).isInstanceOf(SetValue.class);
        assertThat(((SetValue) ints).isIntset()).isTrue();
        assertThat(((SetValue) ints).size()).isEqualTo(3);
        Object mixed = load(new LegacyEncoder().type(Rdb.TYPE_SET_LISTPACK).string(listpack("3", "a")).body());
        assertThat(((SetValue) mixed).isIntset()).isFalse();
        assertThat(((SetValue) mixed).contains(b("a"))).isTrue();
        assertThatThrownBy(() -> load(new LegacyEncoder().type(Rdb.TYPE_SET_LISTPACK).string(listpack("a", "b", "a")).body()))
                .hasMessageContaining("Set listpack integrity");
        assertThatThrownBy(() -> load(new LegacyEncoder().type(Rdb.TYPE_SET_LISTPACK).string(listpack()).body()))
                .satisfies(e -> assertThat(((RdbException) e).kind).isEqualTo(RdbException.Kind.EMPTY_KEY));
    }

    @Test
    void hashWithFieldTtlTypes_loadWithoutTtls_refuseTtls() throws RdbException {
        LegacyEncoder ga = new LegacyEncoder().type(Rdb.TYPE_HASH_METADATA).raw(new byte[8]).len(2).len(0).string("f").string("v")
                .len(0).string("g").string("w");
        Hash h = (Hash) load(ga.body());
        assertThat(h.get(b("g"))).isEqualTo(b("w"));
        assertThat(h.length()).isEqualTo(2);
        LegacyEncoder pre = new LegacyEncoder().type(Rdb.TYPE_HASH_METADATA_PRE_GA).len(1).len(0).string("f").string("v");
        assertThat(((Hash) load(pre.body())).get(b("f"))).isEqualTo(b("v"));
        LegacyEncoder ttl = new LegacyEncoder().type(Rdb.TYPE_HASH_METADATA).raw(new byte[8]).len(1).len(5).string("f").string("v");
        assertThatThrownBy(() -> load(ttl.body())).satisfies(e -> {
            assertThat(((RdbException) e).kind).isEqualTo(RdbException.Kind.UNSUPPORTED);
            assertThat(e.getMessage()).contains("TTL");
        });
        byte[] lpex = listpack("f", "v", "0", "g", "1", "0");
        Hash h2 = (Hash) load(new LegacyEncoder().type(Rdb.TYPE_HASH_LISTPACK_EX).raw(new byte[8]).string(lpex).body());
        assertThat(h2.isListpack()).isTrue();
        assertThat(Listpack.toBytes(h2.lp())).isEqualTo(listpack("f", "v", "g", "1"));
        Hash h3 = (Hash) load(new LegacyEncoder().type(Rdb.TYPE_HASH_LISTPACK_EX_PRE_GA).string(lpex).body());
        assertThat(h3.length()).isEqualTo(2);
        byte[] withTtl = listpack("f", "v", "1700000000000");
        assertThatThrownBy(() -> load(new LegacyEncoder().type(Rdb.TYPE_HASH_LISTPACK_EX).raw(new byte[8]).string(withTtl).body()))
                .satisfies(e -> assertThat(((RdbException) e).kind).isEqualTo(RdbException.Kind.UNSUPPORTED));
        assertThatThrownBy(() -> load(new LegacyEncoder().type(Rdb.TYPE_HASH_LISTPACK_EX).raw(new byte[8]).string(listpack("f", "v")).body()))
                .hasMessageContaining("Hash listpack integrity");
    }

    @Test
    void streamV3_isReadAndSavedAsV2() throws RdbException {
        byte[][] ids = {new byte[16], new byte[16]};
        ids[0][15] = 1;
        ids[1][15] = 2;
        // A stream with one listpack node of two entries, one group, one consumer owning both.
        byte[] lp = listpack("2", "0", "1", "f", "0", "2", "0", "1", "v1", "4", "2", "0", "2", "v2", "4");
        byte[] key = new byte[16];
        LegacyEncoder v3 = new LegacyEncoder().type(Rdb.TYPE_STREAM_LISTPACKS_3).len(1).string(key).string(lp)
                .len(2).len(0).len(1).len(0).len(0).len(0).len(0).len(2)
                .len(1).string("grp").len(0).len(1).len(2)
                .len(2).raw(ids[0]).raw(new byte[8]).len(1).raw(ids[1]).raw(new byte[8]).len(1)
                .len(1).string("alice").raw(new byte[8]).raw(new byte[8]).len(2).raw(ids[1]).raw(ids[0]);
        StreamValue s = (StreamValue) load(v3.body());
        assertThat(s.length).isEqualTo(2);
        assertThat(s.groups).hasSize(1);
        assertThat(s.groups[0].consumers[0].pelIds[0]).isEqualTo(ids[0]);
        byte[] saved = save(s);
        assertThat(saved[0]).isEqualTo((byte) Rdb.TYPE_STREAM_LISTPACKS_2);
        StreamValue again = (StreamValue) load(saved);
        assertThat(save(again)).isEqualTo(saved);
        List<String> seen = new ArrayList<>();
        s.forEachEntry(new StreamValue.EntryVisitor() {
            @Override
            public void entry(long ms, long seq) {
                seen.add(ms + "-" + seq);
            }

            @Override
            public void field(byte[] l, int f, int v) {
                seen.add(new String(Listpack.get(l, f), StandardCharsets.US_ASCII) + "=" + new String(Listpack.get(l, v), StandardCharsets.US_ASCII));
            }
        });
        assertThat(seen).containsExactly("0-1", "f=v1", "0-2", "f=v2");
    }

    @Test
    void moduleValues_areRefusedNamingTheModuleType() {
        long id = 0;
        String name = "mytype123";
        String cs = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (char ch : name.toCharArray()) id = (id << 6) | cs.indexOf(ch);
        id = (id << 10) | 3;
        long moduleId = id;
        assertThatThrownBy(() -> load(new LegacyEncoder().type(Rdb.TYPE_MODULE_2).len(moduleId).body())).satisfies(e -> {
            assertThat(((RdbException) e).kind).isEqualTo(RdbException.Kind.UNSUPPORTED);
            assertThat(e.getMessage()).contains("'mytype123'");
        });
    }

    @Test
    void conversionsOnLoad_followTheLimits() throws RdbException {
        Config c = config();
        c.zsetMaxListpackEntries = 2;
        RdbReader r = new RdbReader(new LegacyEncoder().type(Rdb.TYPE_ZSET_LISTPACK).string(listpack("a", "1", "b", "2", "c", "3")).body(), c, true);
        ZSet z = (ZSet) r.loadObject(r.loadType());
        assertThat(z.isListpack()).isFalse();
        assertThat(r.sanitizations).isEqualTo(1);
        // A listpack value longer than hash-max-listpack-value does not convert (Redis checks lengths only).
        c.hashMaxListpackValue = 2;
        r = new RdbReader(new LegacyEncoder().type(Rdb.TYPE_HASH_LISTPACK).string(listpack("field", "long value")).body(), c, false);
        Hash h = (Hash) r.loadObject(r.loadType());
        assertThat(h.isListpack()).isTrue();
        assertThat(r.sanitizations).isZero();
        assertThat(Arrays.equals(h.get(b("field")), b("long value"))).isTrue();
    }

    @Test
    void io_errors_areShortReads() {
        RdbReader r = new RdbReader((b, off, len) -> {
            throw new IOException("boom");
        }, 64, false, config(), false);
        assertThatThrownBy(r::loadType).satisfies(e -> assertThat(((RdbException) e).kind).isEqualTo(RdbException.Kind.SHORT_READ));
    }
}
