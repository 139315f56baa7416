package dev.starling.keyspace;

import dev.starling.support.RedisReference;
import dev.starling.support.RespClient;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The glob matcher agrees with Redis's stringmatchlen, checked against the real server's KEYS. */
class GlobTest {
    private static final String PATTERN_ALPHABET = "ab*?[]^-\\";
    private static final String KEY_ALPHABET = "ab-^]*\\[";

    @Test
    void randomPatterns_matchLikeRedisKeys() {
        Random rnd = new Random(42);
        List<String> keys = new ArrayList<>();
        try (RedisReference redis = RedisReference.start(); RespClient r = redis.raw()) {
            for (int i = 0; i < 120; i++) {
                String k = random(rnd, KEY_ALPHABET, 1 + rnd.nextInt(6));
                if (keys.contains(k)) continue;
                keys.add(k);
                r.call(RespClient.args("SET", k, "v"));
            }
            for (int i = 0; i < 1500; i++) {
                String p = random(rnd, PATTERN_ALPHABET, 1 + rnd.nextInt(7));
                List<String> expected = bulks(r.call(RespClient.args("KEYS", p)));
                List<String> actual = new ArrayList<>();
                for (String k : keys) if (Glob.match(bytes(p), bytes(k), false)) actual.add(k);
                Collections.sort(expected);
                Collections.sort(actual);
                assertThat(actual).as("pattern %s", p).isEqualTo(expected);
            }
        }
    }

    @Test
    void match_documentedForms_behaveAsRedisDocuments() {
        assertThat(Glob.match(bytes("h?llo"), bytes("hello"), false)).isTrue();
        assertThat(Glob.match(bytes("h*llo"), bytes("heeeello"), false)).isTrue();
        assertThat(Glob.match(bytes("h[ae]llo"), bytes("hillo"), false)).isFalse();
        assertThat(Glob.match(bytes("h[^e]llo"), bytes("hallo"), false)).isTrue();
        assertThat(Glob.match(bytes("h[a-b]llo"), bytes("hbllo"), false)).isTrue();
        assertThat(Glob.match(bytes("h\\*llo"), bytes("h*llo"), false)).isTrue();
        assertThat(Glob.match(bytes("h\\*llo"), bytes("hello"), false)).isFalse();
        assertThat(Glob.match(bytes(""), bytes(""), false)).isTrue();
        assertThat(Glob.match(bytes("*"), bytes(""), false)).isFalse();
    }

    @Test
    void match_nocase_foldsAsciiLetters() {
        assertThat(Glob.match(bytes("HeLLo"), bytes("hello"), true)).isTrue();
        assertThat(Glob.match(bytes("h[A-C]llo"), bytes("hbllo"), true)).isTrue();
        assertThat(Glob.match(bytes("h[A-C]llo"), bytes("hbllo"), false)).isFalse();
        assertThat(Glob.match(bytes("MAX*"), bytes("maxmemory"), true)).isTrue();
    }

    @Test
    void match_pathologicalStars_finishesQuickly() {
        String p = "a*".repeat(30) + "b";
        String s = "a".repeat(60);
        long start = System.nanoTime();
        assertThat(Glob.match(bytes(p), bytes(s), false)).isFalse();
        assertThat(System.nanoTime() - start).isLessThan(2_000_000_000L);
        assertThat(Glob.match(bytes("*a".repeat(200_000)), bytes("aaaa"), false)).isFalse();
    }

    private static String random(Random rnd, String alphabet, int len) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < len; i++) sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
        return sb.toString();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static List<String> bulks(byte[] reply) {
        String s = new String(reply, StandardCharsets.ISO_8859_1);
        List<String> out = new ArrayList<>();
        int i = s.indexOf("\r\n") + 2;
        while (i < s.length()) {
            int eol = s.indexOf("\r\n", i);
            int len = Integer.parseInt(s.substring(i + 1, eol));
            out.add(s.substring(eol + 2, eol + 2 + len));
            i = eol + 2 + len + 2;
        }
        return out;
    }
}
