package dev.starling.replication;

import dev.starling.support.PropagationDiff;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What strings, keys and expiry commands propagate, compared with the stream a real redis-server
 * 7.0 sends its replica (see {@link PropagationDiff} for how the streams are compared).
 */
class PropagationStringsKeysTest extends PropagationTestBase {
    @BeforeEach
    void reset() {
        resetServers("lazyfree-lazy-expire", "no", "lazyfree-lazy-user-del", "no", "lazyfree-lazy-server-del", "no");
    }

    @Test
    void set_plainAndWithOptions_propagatesAsSentOrAsPxat() {
        p.same("set", "a", "1");
        p.same("SET", "a", "2", "NX");
        p.same("SET", "a", "2", "XX", "GET");
        p.same("SET", "b", "2", "EX", "100");
        p.same("set", "b", "3", "px", "100000", "get");
        p.same("SET", "b", "4", "EXAT", "99999999999");
        p.same("SET", "b", "5", "PXAT", "99999999999999", "GET");
        p.same("SET", "b", "6", "KEEPTTL");
        p.same("SET", "b", "2", "EX", "100", "NX");
        p.same("setnx", "a", "x");
        p.same("setnx", "c", "x");
        p.same("SETEX", "c", "100", "v");
        p.same("psetex", "c", "100000", "v");
        p.same("SET", "c", "1", "EX", "0");
        p.assertSameStream();
    }

    @Test
    void getex_getdel_getset_propagateTheirEffect() {
        p.same("SET", "c", "v");
        p.same("GETEX", "c");
        p.same("GETEX", "c", "EX", "50");
        p.same("getex", "c", "PERSIST");
        p.same("getex", "c", "PERSIST");
        p.same("getex", "c", "PXAT", "99999999999999");
        p.same("getex", "c", "EXAT", "1");
        p.same("getex", "nope", "EX", "1");
        p.same("SET", "a", "1");
        p.same("GETDEL", "a");
        p.same("GETDEL", "a");
        p.same("SET", "a", "1");
        p.same("CONFIG", "SET", "lazyfree-lazy-user-del", "yes");
        p.same("GETDEL", "a");
        p.same("SET", "a", "1");
        p.same("CONFIG", "SET", "lazyfree-lazy-expire", "yes");
        p.same("GETEX", "a", "PXAT", "1");
        p.same("getset", "b", "x");
        p.same("GETSET", "b", "y");
        p.assertSameStream();
    }

    @Test
    void counters_incrbyfloat_propagatesSetKeepttl() {
        p.same("incr", "n");
        p.same("INCRBY", "n", "10");
        p.same("decrby", "n", "5");
        p.same("DECR", "n");
        p.same("incrbyfloat", "f", "1.5");
        p.same("INCRBYFLOAT", "f", "1e3");
        p.same("SET", "f", "3.0", "EX", "100");
        p.same("INCRBYFLOAT", "f", "0.1");
        p.same("INCRBYFLOAT", "n", "abc");
        p.same("append", "s", "x");
        p.same("SETRANGE", "s", "3", "y");
        p.same("SETRANGE", "s", "0", "");
        p.same("mset", "a", "1", "b", "2");
        p.same("MSETNX", "a", "1", "z", "2");
        p.same("MSETNX", "y", "1", "z", "2");
        p.assertSameStream();
    }

    @Test
    void expireFamily_propagatesPexpireatOrDel() {
        p.same("SET", "k", "v");
        p.same("expire", "k", "100");
        p.same("EXPIRE", "k", "100", "NX");
        p.same("EXPIRE", "k", "200", "xx");
        p.same("PEXPIRE", "k", "300000", "GT");
        p.same("expireat", "k", "99999999999");
        p.same("PEXPIREAT", "k", "99999999999999");
        p.same("pexpireat", "k", "99999999999998", "LT");
        p.same("PERSIST", "k");
        p.same("PERSIST", "k");
        p.same("EXPIRE", "nope", "100");
        p.same("EXPIRE", "k", "-1");
        p.same("SET", "k", "v");
        p.same("PEXPIREAT", "k", "1");
        p.same("SET", "k", "v");
        p.same("CONFIG", "SET", "lazyfree-lazy-expire", "yes");
        p.same("EXPIREAT", "k", "1");
        p.assertSameStream();
    }

    @Test
    void lazyExpiry_propagatesDelBeforeTheCommand_wrappedWhenTheCommandWrites() throws Exception {
        p.same("SET", "e", "v", "PX", "1");
        p.same("SET", "f", "v", "PX", "1");
        p.same("SET", "g", "v", "PX", "1");
        p.same("SET", "h", "v", "PX", "1");
        Thread.sleep(5);
        p.same("GET", "e");
        p.same("SET", "f", "w");
        p.same("EXISTS", "g", "g");
        p.same("CONFIG", "SET", "lazyfree-lazy-expire", "yes");
        p.same("RPUSH", "h", "a");
        p.same("GET", "nope");
        p.assertSameStream();
    }

    @Test
    void lazyExpiry_byKeyspaceReads_propagatesDel() throws Exception {
        String[] keys = {"t1", "t2", "t3", "t4", "t5", "t6", "t7"};
        for (String k : keys) p.same("SET", k, "v", "PX", "1");
        p.assertSameStream();
        Thread.sleep(5);
        p.same("TYPE", "t1");
        p.same("TTL", "t2");
        p.same("TOUCH", "t3");
        p.same("OBJECT", "ENCODING", "t4");
        p.same("STRLEN", "t5");
        p.same("KEYS", "*");
        p.same("SCAN", "0");
        p.same("RANDOMKEY");
        p.same("DBSIZE");
        p.assertSameStreamUnordered();
        // Several keys expired by one command: wrapped, except by SCAN and RANDOMKEY run directly.
        p.same("SET", "a", "v", "PX", "1");
        p.same("SET", "b", "v", "PX", "1");
        p.assertSameStream();
        Thread.sleep(5);
        p.same("EXISTS", "a", "b");
        p.assertSameStream();
        p.same("SET", "a", "v", "PX", "1");
        p.same("SET", "b", "v", "PX", "1");
        p.assertSameStream();
        Thread.sleep(5);
        p.same("MULTI");
        p.same("SCAN", "0", "COUNT", "100");
        p.same("EXEC");
        p.assertSameStreamUnordered();
    }

    @Test
    void keys_delRenameCopyMoveSwapdb_propagateWhenTheyChangeSomething() {
        p.same("SET", "k", "v");
        p.same("rename", "k", "k2");
        p.same("RENAMENX", "k2", "k3");
        p.same("SET", "k2", "v");
        p.same("RENAMENX", "k2", "k3");
        p.same("copy", "k3", "k4");
        p.same("COPY", "k3", "k4");
        p.same("COPY", "k3", "k4", "DB", "3", "REPLACE");
        p.same("move", "k4", "5");
        p.same("MOVE", "k4", "5");
        p.same("del", "k3", "k4", "nope");
        p.same("DEL", "nope");
        p.same("UNLINK", "k2");
        p.same("UNLINK", "k2");
        p.same("TOUCH", "k2");
        p.same("SELECT", "3");
        p.same("SET", "x", "y");
        p.same("swapdb", "3", "5");
        p.same("SELECT", "9");
        p.same("SWAPDB", "0", "1");
        p.same("SET", "x", "y");
        p.same("SELECT", "12");
        p.same("SET", "x", "y");
        p.assertSameStream();
    }

    @Test
    void restore_relativeTtlPropagatesAbsttl_pastTtlPropagatesDelOfTheReplacedKey() {
        p.same("SET", "k", "v");
        byte[] payload = p.diff.ours().call(dev.starling.support.RespClient.args("DUMP", "k"));
        // The payload is the bulk's content; both servers produce the same bytes for a string.
        String dump = new String(payload, java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] body = dump.substring(dump.indexOf("\r\n") + 2, dump.length() - 2).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        p.diff.same("DUMP".getBytes(), "k".getBytes());
        p.diff.same("RESTORE".getBytes(), "r1".getBytes(), "0".getBytes(), body);
        p.diff.same("restore".getBytes(), "r2".getBytes(), "100000".getBytes(), body);
        p.diff.same("RESTORE".getBytes(), "r3".getBytes(), "99999999999999".getBytes(), body, "ABSTTL".getBytes());
        p.diff.same("RESTORE".getBytes(), "r2".getBytes(), "5000".getBytes(), body, "REPLACE".getBytes(),
                "IDLETIME".getBytes(), "10".getBytes());
        p.diff.same("RESTORE".getBytes(), "r1".getBytes(), "1".getBytes(), body, "REPLACE".getBytes(), "ABSTTL".getBytes());
        p.diff.same("RESTORE".getBytes(), "r9".getBytes(), "1".getBytes(), body, "ABSTTL".getBytes());
        p.diff.same("RESTORE".getBytes(), "r3".getBytes(), "0".getBytes(), body);
        p.assertSameStream();
    }

    @Test
    void flush_isPropagatedEvenWhenEmpty() {
        p.same("flushdb");
        p.same("SET", "x", "y");
        p.same("FLUSHDB", "ASYNC");
        p.same("SELECT", "2");
        p.same("FLUSHALL", "sync");
        p.same("flushall");
        p.assertSameStream();
    }

    @Test
    void binaryAndLargeValues_areEncodedExactly() {
        byte[] big = new byte[200_000];
        for (int i = 0; i < big.length; i++) big[i] = (byte) (i * 31);
        byte[] key = {'k', '\r', '\n', 0, (byte) 0xff};
        p.diff.same("SET".getBytes(), key, big);
        p.diff.same("APPEND".getBytes(), key, "\r\n$3\r\n".getBytes());
        p.diff.same("SET".getBytes(), "e".getBytes(), new byte[0], "EX".getBytes(), "100".getBytes());
        p.diff.same("MSET".getBytes(), "a".getBytes(), big, "b".getBytes(), big);
        p.assertSameStream();
    }

    @Test
    void readsAndNoOps_propagateNothing() {
        p.same("GET", "a");
        p.same("DEL", "a");
        p.same("SET", "a", "1", "XX");
        p.same("PERSIST", "a");
        p.same("APPEND", "a", "x");
        p.same("APPEND", "a", "");
        p.same("STRLEN", "a");
        p.same("SETRANGE", "b", "0", "");
        p.same("EXPIRE", "nope", "10");
        p.same("DEBUG", "SLEEP", "0");
        p.assertSameStream();
    }
}
