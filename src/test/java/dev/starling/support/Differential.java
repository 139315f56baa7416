package dev.starling.support;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sends the same commands to Starling and to the real redis-server 7.0 and asserts the replies
 * are the same bytes. Keep one instance per test class; {@link #flushAll()} between cases.
 */
public final class Differential implements AutoCloseable {
    public final ServerFixture starling;
    public final RedisReference redis;
    private final RespClient ours, theirs;

    public Differential(String... options) {
        this.starling = ServerFixture.start(options);
        this.redis = RedisReference.start(options);
        this.ours = starling.raw();
        this.theirs = redis.raw();
    }

    /** Asserts both servers reply with the same bytes; returns the reply. */
    public String same(String... args) {
        return same(RespClient.args(args));
    }

    public String same(byte[]... args) {
        String expected = new String(theirs.call(args), StandardCharsets.ISO_8859_1);
        String actual = new String(ours.call(args), StandardCharsets.ISO_8859_1);
        assertThat(actual).as("reply to %s", describe(args)).isEqualTo(expected);
        return actual;
    }

    /** Sends raw bytes to both and compares the next reply. */
    public String sameRaw(String raw) {
        byte[] b = raw.getBytes(StandardCharsets.ISO_8859_1);
        theirs.send(b);
        ours.send(b);
        String expected = theirs.readReplyString();
        String actual = ours.readReplyString();
        assertThat(actual).as("reply to raw %s", raw).isEqualTo(expected);
        return actual;
    }

    /**
     * Like {@link #same} for replies whose element order is a hash-table order (SMEMBERS, HGETALL of
     * a hashtable encoding): the aggregate header must match and the top-level elements, taken in
     * groups of {@code group} consecutive elements (2 for field/value pairs; map entries are always
     * pairs), must be the same multiset. Non-aggregate replies must be identical.
     */
    public String sameUnordered(int group, String... args) {
        byte[][] a = RespClient.args(args);
        String expected = new String(theirs.call(a), StandardCharsets.ISO_8859_1);
        String actual = new String(ours.call(a), StandardCharsets.ISO_8859_1);
        assertThat(canonical(actual, group)).as("unordered reply to %s (ours %s)", describe(a), actual)
                .isEqualTo(canonical(expected, group));
        return actual;
    }

    /** Switches both connections to RESP protocol version 2 or 3 (HELLO), discarding the replies. */
    public void protocol(int version) {
        byte[][] hello = RespClient.args("HELLO", Integer.toString(version));
        theirs.call(hello);
        ours.call(hello);
    }

    /** The reply with its top-level elements (in groups) sorted. */
    static String canonical(String reply, int group) {
        char t = reply.charAt(0);
        if (t != '*' && t != '~' && t != '%') return reply;
        int eol = reply.indexOf("\r\n");
        long n = Long.parseLong(reply.substring(1, eol));
        if (n <= 0) return reply;
        if (t == '%') {
            n *= 2;
            group = 2;
        }
        java.util.List<String> items = new java.util.ArrayList<>();
        int[] pos = {eol + 2};
        for (long i = 0; i < n; i += group) {
            int start = pos[0];
            for (int g = 0; g < group && i + g < n; g++) skip(reply, pos);
            items.add(reply.substring(start, pos[0]));
        }
        java.util.Collections.sort(items);
        return reply.substring(0, eol + 2) + String.join("", items);
    }

    /** Advances pos past one complete RESP value. */
    private static void skip(String r, int[] pos) {
        int eol = r.indexOf("\r\n", pos[0]);
        char t = r.charAt(pos[0]);
        String head = r.substring(pos[0] + 1, eol);
        pos[0] = eol + 2;
        switch (t) {
            case '$', '=', '!' -> {
                long len = Long.parseLong(head);
                if (len >= 0) pos[0] += (int) len + 2;
            }
            case '*', '~', '>' -> {
                for (long i = Long.parseLong(head); i > 0; i--) skip(r, pos);
            }
            case '%', '|' -> {
                for (long i = 2 * Long.parseLong(head); i > 0; i--) skip(r, pos);
            }
            default -> {
            }
        }
    }

    public void flushAll() {
        same("FLUSHALL");
    }

    public RespClient ours() {
        return ours;
    }

    public RespClient theirs() {
        return theirs;
    }

    private static String describe(byte[][] args) {
        StringBuilder sb = new StringBuilder();
        for (byte[] a : args) sb.append(new String(a, StandardCharsets.UTF_8)).append(' ');
        return sb.toString().trim();
    }

    @Override
    public void close() {
        ours.close();
        theirs.close();
        starling.close();
        redis.close();
    }
}
