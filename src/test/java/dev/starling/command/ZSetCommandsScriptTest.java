package dev.starling.command;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sorted set scripts in src/test/resources/zsets, byte for byte against redis-server 7.0, in
 * RESP2 and RESP3, with zsets in listpack encoding (the default limits) and in skiplist encoding
 * (zset-max-listpack-entries 0). Script syntax is {@link StringScripts}'.
 */
class ZSetCommandsScriptTest extends ZSetTestSupport {
    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String script : new String[] {"zadd.txt", "ranges.txt", "remove.txt", "setops.txt", "misc.txt", "setinputs.txt"}) {
            for (int proto : new int[] {2, 3}) {
                for (String encoding : new String[] {"listpack", "skiplist"}) out.add(Arguments.of(script, proto, encoding));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} RESP{1} {2}")
    @MethodSource("cases")
    void script_sameRepliesAsRedis(String script, int proto, String encoding) {
        diff.flushAll();
        diff.protocol(proto);
        diff.same("CONFIG", "SET", "zset-max-listpack-entries", encoding.equals("listpack") ? "128" : "0");
        for (StringScripts.Line line : load(script)) {
            List<byte[]> args = StringScripts.split(line.text());
            if (new String(args.get(0), StandardCharsets.US_ASCII).equals("@list")) {
                StringScripts.makeList(diff, args.get(1));
                continue;
            }
            diff.same(args.toArray(new byte[0][]));
        }
        // Every zset the script left behind has the encoding Redis gave it, and the same digest.
        String keys = diff.sameUnordered(1, "KEYS", "*");
        for (String key : bulkStrings(keys)) {
            if (diff.same("TYPE", key).contains("zset")) {
                diff.same("OBJECT", "ENCODING", key);
                diff.same("DEBUG", "DIGEST-VALUE", key);
            }
        }
    }

    static List<StringScripts.Line> load(String file) {
        try (InputStream in = ZSetCommandsScriptTest.class.getResourceAsStream("/zsets/" + file)) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            List<StringScripts.Line> lines = new ArrayList<>();
            String[] raw = text.split("\n");
            for (int i = 0; i < raw.length; i++) {
                String t = raw[i].strip();
                if (t.isEmpty() || t.startsWith("#")) continue;
                lines.add(new StringScripts.Line(file, i + 1, t));
            }
            return lines;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
