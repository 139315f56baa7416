package dev.starling.command;

import dev.starling.support.RespClient;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ZRANDMEMBER is random, so its replies are checked for their properties (the reply shape equal
 * to Redis's, members from the set with their scores, distinct when the count is positive, every
 * member eventually picked) in each of Redis's four strategies, both encodings, RESP2 and RESP3.
 */
class ZSetRandMemberTest extends ZSetTestSupport {
    /** Parsed reply: the header line and the flat list of bulk strings / doubles in it. */
    record Parsed(String header, List<String> items, boolean nested) {}

    static Parsed parse(String reply) {
        String[] lines = reply.split("\r\n");
        List<String> items = new ArrayList<>();
        boolean nested = false;
        for (int i = 1; i < lines.length; i++) {
            String l = lines[i];
            if (l.startsWith("*")) nested = true;
            else if (l.startsWith("$")) items.add(lines[++i]);
            else if (l.startsWith(",")) items.add(l.substring(1));
        }
        return new Parsed(lines[0], items, nested);
    }

    static Parsed call(RespClient c, String... args) {
        return parse(new String(c.call(RespClient.args(args)), StandardCharsets.ISO_8859_1));
    }

    @ParameterizedTest(name = "size {0} RESP{1}")
    @CsvSource({"5, 2", "5, 3", "40, 2", "40, 3", "300, 2", "300, 3"})
    void zrandmember_everyStrategy_propertiesHold(int size, int proto) {
        diff.flushAll();
        diff.protocol(proto);
        diff.same("CONFIG", "SET", "zset-max-listpack-entries", "128");
        Map<String, String> scores = new HashMap<>();
        List<String> add = new ArrayList<>(List.of("ZADD", "z"));
        for (int i = 0; i < size; i++) {
            String score = i % 3 == 0 ? Integer.toString(i) : (i + 0.25) + "";
            add.add(score);
            add.add("m" + i);
            scores.put("m" + i, score);
        }
        diff.same(add.toArray(new String[0]));
        diff.same("OBJECT", "ENCODING", "z");
        RespClient ours = diff.ours(), theirs = diff.theirs();
        // Counts hitting each strategy: 1, few (count*3 <= size), most, all, more than all, negative.
        long[] counts = {1, Math.max(1, size / 4), Math.max(1, size - 1), size, size + 5, -1, -3, -(2L * size)};
        for (long count : counts) {
            for (boolean withscores : new boolean[] {false, true}) {
                String[] args = withscores ? new String[] {"ZRANDMEMBER", "z", Long.toString(count), "WITHSCORES"}
                        : new String[] {"ZRANDMEMBER", "z", Long.toString(count)};
                for (int trial = 0; trial < 5; trial++) {
                    Parsed o = call(ours, args), t = call(theirs, args);
                    assertThat(o.header()).as("header of %s", String.join(" ", args)).isEqualTo(t.header());
                    assertThat(o.nested()).isEqualTo(t.nested());
                    assertThat(o.items()).hasSameSizeAs(t.items());
                    int step = withscores ? 2 : 1;
                    Set<String> seen = new HashSet<>();
                    for (int i = 0; i < o.items().size(); i += step) {
                        String m = o.items().get(i);
                        assertThat(scores).containsKey(m);
                        if (withscores) {
                            assertThat(Double.parseDouble(o.items().get(i + 1))).isEqualTo(Double.parseDouble(scores.get(m)));
                        }
                        if (count > 0) assertThat(seen.add(m)).as("distinct for positive count").isTrue();
                    }
                    if (count >= size) assertThat(seen).hasSize(size);
                }
            }
        }
        // The whole set comes back in Redis's deterministic order.
        diff.same("ZRANDMEMBER", "z", Integer.toString(size), "WITHSCORES");
        // Every member gets picked eventually.
        Set<String> picked = new HashSet<>();
        for (int i = 0; i < 200 && picked.size() < size; i++) {
            picked.addAll(call(ours, "ZRANDMEMBER", "z", Integer.toString(-Math.max(10, size))).items());
            picked.addAll(call(ours, "ZRANDMEMBER", "z").items());
        }
        assertThat(picked).hasSize(size);
    }
}
