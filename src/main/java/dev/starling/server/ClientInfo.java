package dev.starling.server;

import io.netty.buffer.ByteBuf;

/** Renders a client as a CLIENT LIST / CLIENT INFO line (Redis's catClientInfoString). */
public final class ClientInfo {
    private ClientInfo() {}

    static final int QUERY_BUF_ALLOC = 20474, REPLY_BUF_BYTES = 16384, CLIENT_STRUCT_BYTES = 774;

    /** Redis's flags= letters. */
    public static String flags(Client c) {
        StringBuilder f = new StringBuilder();
        if (c.has(Client.REPLICA)) f.append(c.has(Client.MONITOR) ? "O" : "S");
        else if (c.has(Client.MONITOR)) f.append('O');
        if (c.has(Client.MASTER)) f.append('M');
        if (c.has(Client.PUBSUB)) f.append('P');
        if (c.has(Client.MULTI)) f.append('x');
        if (c.has(Client.BLOCKED) && !c.has(Client.RUNNING_OFF_EXECUTOR)) f.append('b');
        if (c.has(Client.DIRTY_CAS)) f.append('d');
        if (c.has(Client.CLOSE_AFTER_REPLY)) f.append('c');
        if (c.has(Client.UNBLOCKED)) f.append('u');
        if (c.has(Client.CLOSE_ASAP)) f.append('A');
        if (c.has(Client.READONLY)) f.append('r');
        if (c.has(Client.NO_EVICT)) f.append('e');
        if (c.has(Client.NO_TOUCH)) f.append('T');
        if (f.length() == 0) f.append('N');
        return f.toString();
    }

    /** The full CLIENT LIST line of c, without the trailing newline. */
    public static String describe(Client c) {
        long now = c.server.clock.millis();
        // A replica's output buffer is how far it is behind in the backlog plus what its socket holds.
        long omem = c.has(Client.REPLICA) ? c.server.replication.primary.replicaOutputBytes(c) : c.outputBytes();
        // Memory fields follow Redis's accounting for a fresh connection (a 16 KB read grows the
        // sds query buffer to 20474 usable bytes; the reply buffer is 16 KB), so tools that parse
        // or compare them see Redis-like numbers; they are estimates, not JVM measurements.
        int qbuf = c.query == null ? 0 : c.query.writerIndex();
        int qbufFree = c.query == null ? 0 : Math.max(0, QUERY_BUF_ALLOC - qbuf);
        String cmd = c.lastCmd == null ? "NULL" : c.lastCmd.fullName;
        int multi = c.has(Client.MULTI) ? c.multiCount : -1;
        long argvMem = 0;
        int argvSlots = 0;
        if (c.argv != null) {
            for (int i = 0; i < c.argc; i++) argvMem += c.argv[i].length;
            argvSlots = c.argc;
        }
        long totMem = CLIENT_STRUCT_BYTES + REPLY_BUF_BYTES + qbuf + qbufFree + argvMem + 8L * argvSlots + omem;
        return "id=" + c.id
                + " addr=" + c.addr()
                + " laddr=" + c.laddr()
                + " fd=" + (c.channel == null ? -1 : fd(c))
                + " name=" + (c.name == null ? "" : c.name)
                + " age=" + (now / 1000 - c.createdMillis / 1000)
                + " idle=" + (now / 1000 - c.lastInteractionMillis / 1000)
                + " flags=" + flags(c)
                + " db=" + c.db.id
                + " sub=" + c.subscriptions
                + " psub=" + c.patternSubscriptions
                + " ssub=" + c.shardSubscriptions
                + " multi=" + multi
                + " qbuf=" + qbuf
                + " qbuf-free=" + Math.max(0, qbufFree)
                + " argv-mem=" + argvMem
                + " multi-mem=0"
                + " rbs=" + REPLY_BUF_BYTES
                + " rbp=" + REPLY_BUF_BYTES
                + " obl=0"
                + " oll=" + (omem > 0 ? 1 : 0)
                + " omem=" + omem
                + " tot-mem=" + totMem
                + " events=r" + (omem > 0 ? "w" : "")
                + " cmd=" + cmd
                + " user=" + c.user
                + " redir=" + c.trackingRedirect
                + " resp=" + c.resp;
    }

    private static int fd(Client c) {
        // The JVM does not expose descriptor numbers portably; Netty's native channels do.
        int fd = c.channel == null ? -1 : Transport.fd(c.channel);
        return fd >= 0 ? fd : (int) (c.id + 7);
    }

    /** Appends b quoted and escaped as Redis's sdscatrepr. */
    public static void repr(StringBuilder sb, byte[] b) {
        sb.append('"');
        for (byte x : b) {
            int ch = x & 0xff;
            switch (ch) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case 7 -> sb.append("\\a");
                case '\b' -> sb.append("\\b");
                default -> {
                    if (ch >= 32 && ch < 127) sb.append((char) ch);
                    else sb.append("\\x").append(Character.forDigit(ch >> 4, 16)).append(Character.forDigit(ch & 15, 16));
                }
            }
        }
        sb.append('"');
    }

    /** The first bytes of a query buffer, escaped as Redis's sdscatrepr for the log. */
    public static String initialBytes(ByteBuf q) {
        int n = Math.min(64, q.readableBytes());
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < n; i++) {
            int b = q.getByte(q.readerIndex() + i) & 0xff;
            switch (b) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case 7 -> sb.append("\\a");
                case '\b' -> sb.append("\\b");
                default -> {
                    if (b >= 32 && b < 127) sb.append((char) b);
                    else sb.append(String.format("\\x%02x", b));
                }
            }
        }
        return sb.append('"').toString();
    }
}
