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
