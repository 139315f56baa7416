package dev.starling.replication;

import dev.starling.server.Client;

import java.net.InetSocketAddress;

/**
 * A replica connected to this primary, as the primary sees it (the replica fields of Redis's
 * client struct: replstate, slave_capa, slave_listening_port, slave_addr, repl_ack_off ...).
 *
 * <h2>States (Redis's SLAVE_STATE_*), and who moves them</h2>
 * <pre>
 *   NONE ──SYNC/PSYNC, full──▶ WAIT_BGSAVE_START ──snapshot starts (+FULLRESYNC)──▶ WAIT_BGSAVE_END
 *   WAIT_BGSAVE_END ──disk: file written──▶ SEND_BULK ──file sent──▶ ONLINE
 *   WAIT_BGSAVE_END ──sockets: RDB and EOF mark sent──▶ ONLINE (stream starts at the first ACK)
 *   NONE ──PSYNC, partial (+CONTINUE)──▶ ONLINE
 *   rdb-only replicas end in RDB_TRANSMITTED and are closed.
 * </pre>
 * From WAIT_BGSAVE_END on (unless rdb-only) the replica holds a {@link Backlog.Reader} at the
 * offset its RDB was cut at; nothing is sent from it until ONLINE.
 */
public final class ReplicaLink {
    // Redis's SLAVE_STATE_* (values as in server.h, for reading side by side).
    static final int NONE = 0, WAIT_BGSAVE_START = 6, WAIT_BGSAVE_END = 7, SEND_BULK = 8, ONLINE = 9, RDB_TRANSMITTED = 10;
    // Redis's SLAVE_CAPA_*.
    static final int CAPA_EOF = 1, CAPA_PSYNC2 = 2;

    final Client client;
    int state = NONE;
    int capa;
    /** REPLCONF listening-port, 0 if not told. */
    int listeningPort;
    /** REPLCONF ip-address, or null (the peer's address is used). */
    String announcedIp;
    /** Largest REPLCONF ACK offset and FACK offset. */
    long ackOff, aofOff;
    /** Unix seconds of the last ACK (lag in INFO). */
    long ackTimeSec;
    /** Came with SYNC (no +FULLRESYNC, no ACKs expected): Redis's CLIENT_PRE_PSYNC. */
    boolean prePsync;
    /** REPLCONF rdb-only 1: the RDB and nothing after it (redis-cli --rdb). */
    boolean rdbOnly;
    /** Diskless: ONLINE, but the stream starts with the first ACK (Redis's repl_start_cmd_stream_on_ack). */
    boolean startStreamOnAck;
    /** The offset the replica's RDB was cut at (+FULLRESYNC's offset). */
    long psyncInitialOffset;
    /** Where the replica reads the stream, or null. */
    Backlog.Reader reader;
    /** Written to since the last flush of its socket (see Primary.pump). */
    boolean flushQueued;
    /** The full sync serving this replica, while one does. */
    FullSync sync;

    ReplicaLink(Client client) {
        this.client = client;
    }

    /** The peer's IP address, or null. */
    String peerIp() {
        if (client.channel == null || !(client.channel.remoteAddress() instanceof InetSocketAddress a) || a.getAddress() == null) {
            return null;
        }
        return a.getAddress().getHostAddress().replaceAll("%.*$", "");
    }

    /** The address INFO and ROLE show: the announced one, else the peer's. */
    String ip() {
        return announcedIp != null ? announcedIp : peerIp();
    }

    /** Redis's replicationGetSlaveName: "ip:port" for the log. */
    String name() {
        String ip = ip();
        if (ip == null) return "client id #" + client.id;
        if (listeningPort == 0) return ip + ":<unknown-replica-port>";
        return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + listeningPort;
    }

    /** Redis's replstateToString ("" for a state INFO skips). */
    String stateName() {
        return switch (state) {
            case WAIT_BGSAVE_START, WAIT_BGSAVE_END -> "wait_bgsave";
            case SEND_BULK -> "send_bulk";
            case ONLINE -> "online";
            default -> "";
        };
    }

    /** True once the command stream flows to the replica's socket. */
    boolean streaming() {
        return state == ONLINE && !startStreamOnAck && reader != null;
    }
}
