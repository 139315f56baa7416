package dev.starling.command;

import dev.starling.support.Differential;
import dev.starling.support.RespClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Blocking commands with several real connections. Each scenario runs against the real
 * redis-server 7.0 and against Starling and records every reply; the two transcripts must be equal.
 * Ordering is made deterministic by waiting (Awaitility, no sleeps) until INFO shows the expected
 * number of blocked clients before the next client acts.
 */
class BlockingCommandsTest {
    static Differential diff;

    @BeforeAll
    static void start() {
        diff = new Differential();
    }

    @AfterAll
    static void stop() {
        diff.close();
    }

    @BeforeEach
    void clean() {
        diff.same("FLUSHALL");
    }

    @AfterEach
    void checkInvariants() {
        String[] err = new String[1];
        diff.starling.onExecutor(() -> err[0] = ListCommandsDifferentialTest.validateLists(diff.starling.server));
        assertThat(err[0]).isNull();
    }

    /** One scenario run against one server: connections and the transcript of replies. */
    static final class Run implements AutoCloseable {
        final int port;
        final RespClient admin;
        final List<RespClient> clients = new ArrayList<>();
        final List<String> transcript = new ArrayList<>();

        Run(int port) {
            this.port = port;
            this.admin = new RespClient(port);
        }

        RespClient client() {
            RespClient c = new RespClient(port);
            clients.add(c);
            return c;
        }

        /** Sends without reading the reply (the client may block). */
        void send(RespClient c, String... args) {
            c.send(RespClient.encode(RespClient.args(args)));
        }

        /** Reads c's next reply into the transcript. */
        String read(RespClient c) {
            String r = c.readReplyString();
            transcript.add(r);
            return r;
        }

        String call(RespClient c, String... args) {
            send(c, args);
            return read(c);
        }

        int blocked() {
            String info = admin.callString("INFO", "clients");
            int i = info.indexOf("blocked_clients:");
            return Integer.parseInt(info.substring(i + 16, info.indexOf('\r', i)));
        }

        void awaitBlocked(int n) {
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(2)).until(() -> blocked() == n);
        }

        long id(RespClient c) {
            String r = c.callString("CLIENT", "ID");
            return Long.parseLong(r.substring(1, r.length() - 2));
        }

        @Override
        public void close() {
            for (RespClient c : clients) c.close();
            admin.close();
        }
    }

    /** Runs the scenario on Redis and on Starling and asserts identical transcripts. */
    static List<String> same(java.util.function.Consumer<Run> scenario) {
        return same(diff, scenario);
    }

    /** {@link #same} on the servers of another test class's Differential. */
    static List<String> same(Differential diff, java.util.function.Consumer<Run> scenario) {
        List<String> expected, actual;
        try (Run r = new Run(diff.redis.port())) {
            scenario.accept(r);
            expected = r.transcript;
        }
        try (Run r = new Run(diff.starling.port())) {
            scenario.accept(r);
            actual = r.transcript;
        }
        assertThat(actual).isEqualTo(expected);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            String[] n = new String[1];
            diff.starling.onExecutor(() -> n[0] = Integer.toString(diff.starling.server.blocking.blockedOnKeys()));
            return n[0].equals("0");
        });
        return actual;
    }

    @Test
    void clientsBlockedOnOneKey_servedInBlockingOrder() {
        List<String> t = same(r -> {
            RespClient c1 = r.client(), c2 = r.client(), c3 = r.client(), p = r.client();
            r.send(c1, "BLPOP", "q", "0");
            r.awaitBlocked(1);
            r.send(c2, "BRPOP", "other", "q", "0");
            r.awaitBlocked(2);
            r.send(c3, "BLPOP", "q", "0");
            r.awaitBlocked(3);
            r.call(p, "RPUSH", "q", "a", "b");
            r.read(c1);
            r.read(c2);
            r.awaitBlocked(1);
            r.call(p, "LLEN", "q");
            r.call(p, "RPUSH", "q", "c", "d");
            r.read(c3);
            r.call(p, "LRANGE", "q", "0", "-1");
        });
        assertThat(t.get(1)).contains("a");
        assertThat(t.get(2)).contains("b");
    }

    @Test
    void pushesInsideMulti_wakeClientsAfterExec() {
        same(r -> {
            RespClient c1 = r.client(), p = r.client();
            r.send(c1, "BLPOP", "q", "0");
            r.awaitBlocked(1);
            r.call(p, "MULTI");
            r.call(p, "RPUSH", "q", "x");
            r.call(p, "LLEN", "q");
            r.call(p, "DEL", "q");
            r.call(p, "RPUSH", "q", "y", "z");
            r.call(p, "LRANGE", "q", "0", "-1");
            r.call(p, "EXEC");
            r.read(c1);
            r.call(p, "LRANGE", "q", "0", "-1");
        });
    }

    @Test
    void blmoveChain_wakesClientBlockedOnDestination() {
        same(r -> {
            RespClient c1 = r.client(), c2 = r.client(), c3 = r.client(), p = r.client();
            r.send(c1, "BLMOVE", "a", "b", "LEFT", "RIGHT", "0");
            r.awaitBlocked(1);
            r.send(c2, "BRPOPLPUSH", "b", "c", "0");
            r.awaitBlocked(2);
            r.send(c3, "BLMPOP", "0", "2", "x", "c", "LEFT", "COUNT", "5");
            r.awaitBlocked(3);
            r.call(p, "RPUSH", "a", "v1", "v2");
            r.read(c1);
            r.read(c2);
            r.read(c3);
            r.call(p, "LRANGE", "a", "0", "-1");
            r.call(p, "EXISTS", "b", "c");
        });
    }

    @Test
    void blmoveToKeyOfAnotherType_failsWithWrongtypeAndKeepsSource() {
        same(r -> {
            RespClient c1 = r.client(), c2 = r.client(), p = r.client();
            r.call(p, "SET", "s", "str");
            r.call(c1, "BLPOP", "s", "0");
            r.send(c1, "BLMOVE", "a", "s", "LEFT", "LEFT", "0");
            r.awaitBlocked(1);
            r.send(c2, "BLPOP", "a", "0");
            r.awaitBlocked(2);
            r.call(p, "RPUSH", "a", "x");
            r.read(c1);
            r.read(c2);
            r.call(p, "EXISTS", "a");
        });
    }

    @Test
    void timeouts_replyNullInBothProtocols() {
        same(r -> {
            RespClient c2 = r.client(), c3 = r.client();
            r.call(c3, "HELLO", "3");
            r.transcript.clear();
            long start = System.nanoTime();
            r.call(c2, "BLPOP", "q", "0.2");
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertThat(ms).isBetween(190L, 3000L);
            r.call(c2, "BRPOPLPUSH", "q", "d", "0.01");
            r.call(c2, "BLMOVE", "q", "d", "LEFT", "LEFT", "0.01");
            r.call(c2, "BLMPOP", "0.01", "1", "q", "LEFT");
            r.call(c3, "BLPOP", "q", "0.01");
            r.call(c3, "BRPOPLPUSH", "q", "d", "0.01");
            r.call(c3, "BLMPOP", "0.01", "1", "q", "LEFT");
        });
    }

    @Test
    void pipelinedCommandsOfBlockedClient_runAfterItIsServed() {
        same(r -> {
            RespClient c1 = r.client(), p = r.client();
            c1.send(RespClient.encode(RespClient.args("BLPOP", "q", "0")));
            c1.send((RespClient.encode(RespClient.args("PING"))));
            c1.send(RespClient.encode(RespClient.args("RPUSH", "q", "from-c1")));
            r.awaitBlocked(1);
            // The pusher's pipeline runs before the unblocked client's buffered commands.
            byte[] both = concat(RespClient.encode(RespClient.args("RPUSH", "q", "x")), RespClient.encode(RespClient.args("LRANGE", "q", "0", "-1")));
            p.send(both);
            r.read(p);
            r.read(p);
            r.read(c1);
            r.read(c1);
            r.read(c1);
            r.call(p, "LRANGE", "q", "0", "-1");
        });
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void clientUnblock_timeoutAndErrorForms() {
        same(r -> {
            RespClient c1 = r.client(), c2 = r.client(), p = r.client();
            long id1 = r.id(c1), id2 = r.id(c2);
            r.send(c1, "BLPOP", "q", "0");
            r.send(c2, "BLMOVE", "q", "d", "LEFT", "LEFT", "0");
            r.awaitBlocked(2);
            r.call(p, "CLIENT", "UNBLOCK", Long.toString(id1));
            r.read(c1);
            r.call(p, "CLIENT", "UNBLOCK", Long.toString(id2), "ERROR");
            r.read(c2);
            r.call(p, "CLIENT", "UNBLOCK", Long.toString(id2));
            r.call(p, "CLIENT", "UNBLOCK", "999999");
            r.call(p, "CLIENT", "UNBLOCK", Long.toString(id1), "FOO");
            r.call(p, "CLIENT", "UNBLOCK", "x");
            r.call(c1, "PING");
        });
    }

    @Test
    void disconnectWhileBlocked_cleansUp() {
        same(r -> {
            RespClient c1 = r.client(), c2 = r.client(), p = r.client();
            r.send(c1, "BLPOP", "q", "0");
            r.send(c2, "BLPOP", "q", "0");
            r.awaitBlocked(2);
            c1.close();
            r.awaitBlocked(1);
            r.call(p, "RPUSH", "q", "x", "y");
            r.read(c2);
            r.call(p, "LRANGE", "q", "0", "-1");
        });
    }

    @Test
    void clientListAndInfo_showBlockedClients() {
        same(r -> {
            RespClient c1 = r.client(), p = r.client();
            r.call(c1, "CLIENT", "SETNAME", "blocker");
            r.send(c1, "BLPOP", "q", "0");
            r.awaitBlocked(1);
            String list = r.admin.callString("CLIENT", "LIST");
            String line = list.lines().filter(l -> l.contains("name=blocker")).findFirst().orElseThrow();
            r.transcript.add(line.substring(line.indexOf(" flags="), line.indexOf(" db=")) + line.substring(line.indexOf(" cmd="), line.indexOf(" user=")));
            String info = r.admin.callString("INFO", "clients");
            r.transcript.add(info.substring(info.indexOf("blocked_clients"), info.indexOf("tracking_clients")));
            r.call(p, "LPUSH", "q", "x");
            r.read(c1);
        });
    }

    @Test
    void keysArrivingByRenameMoveSwapdbCopy_wakeBlockedClients() {
        same(r -> {
            RespClient c1 = r.client(), c2 = r.client(), c3 = r.client(), p = r.client();
            r.send(c1, "BLPOP", "renamed", "0");
            r.call(c2, "SELECT", "1");
            r.send(c2, "BLPOP", "moved", "swapped", "0");
            r.send(c3, "BRPOP", "copied", "0");
            r.awaitBlocked(3);
            r.call(p, "RPUSH", "src", "1", "2");
            r.call(p, "RENAME", "src", "renamed");
            r.read(c1);
            r.call(p, "RPUSH", "moved", "m");
            r.call(p, "MOVE", "moved", "1");
            r.read(c2);
            r.call(p, "COPY", "renamed", "copied");
            r.read(c3);
            r.send(c2, "BLPOP", "swapped", "0");
            r.awaitBlocked(1);
            r.call(p, "RPUSH", "swapped", "s");
            r.call(p, "SWAPDB", "0", "1");
            r.read(c2);
        });
    }

    @Test
    void clientPauseWrite_postponesBlockingCommandUntilUnpause() {
        same(r -> {
            RespClient c1 = r.client(), p = r.client();
            r.call(p, "CLIENT", "PAUSE", "100000", "WRITE");
            r.send(c1, "BLPOP", "q", "0");
            r.awaitBlocked(1);
            r.call(p, "CLIENT", "UNPAUSE");
            r.awaitBlocked(1);
            r.call(p, "RPUSH", "q", "x");
            r.read(c1);
        });
    }

    @Test
    void wrongType_andNonBlockingPaths() {
        same(r -> {
            RespClient c = r.client();
            r.call(c, "SET", "s", "1");
            r.call(c, "BLPOP", "nokey", "s", "0");
            r.call(c, "RPUSH", "l", "a");
            r.call(c, "BLPOP", "nokey", "l", "s", "0");
            r.call(c, "BLMPOP", "0", "2", "s", "l", "LEFT");
            r.call(c, "BRPOPLPUSH", "s", "l", "0");
        });
    }
}
