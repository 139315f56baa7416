package dev.starling.server;

import dev.starling.command.Command;
import dev.starling.keyspace.Db;
import dev.starling.protocol.RequestParser;
import dev.starling.protocol.Errors;
import dev.starling.protocol.Numbers;
import dev.starling.protocol.Resp;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * One connection (Redis's client struct): its query parser, selected database, protocol version,
 * authentication, flags, and the reply buffer that is flushed once per batch of input.
 *
 * <p>Reply methods mirror Redis's addReply* names. Everything here runs on the command executor.
 */
public final class Client {
    // Flags, as Redis's CLIENT_* (CLIENT LIST flags= letters in Server's renderer).
    public static final int CLOSE_AFTER_REPLY = 1, CLOSE_ASAP = 1 << 1, MONITOR = 1 << 2, MULTI = 1 << 3,
            PUBSUB = 1 << 4, MASTER = 1 << 5, REPLICA = 1 << 6, NO_EVICT = 1 << 7, PROTOCOL_ERROR = 1 << 8,
            DIRTY_CAS = 1 << 9, DIRTY_EXEC = 1 << 10, BLOCKED = 1 << 11, UNBLOCKED = 1 << 12, READONLY = 1 << 13,
            NO_TOUCH = 1 << 14, DENY_BLOCKING = 1 << 15;
    /**
     * With BLOCKED: the command is still running, off the executor (DEBUG LOADAOF's load). Its
     * input waits as a blocked client's does, but Redis runs that command on its main thread, so
     * it is not blocked there: INFO blocked_clients and CLIENT LIST's flag b leave it out.
     */
    public static final int RUNNING_OFF_EXECUTOR = 1 << 20;

    /**
     * Per-call propagation flags (Redis's CLIENT_FORCE_* and CLIENT_PREVENT_*_PROP), cleared before
     * each command runs and restored after it (dev.starling.replication.Propagator).
     */
    public static final int FORCE_AOF = 1 << 16, FORCE_REPL = 1 << 17, PREVENT_AOF_PROP = 1 << 18,
            PREVENT_REPL_PROP = 1 << 19, PREVENT_PROP = PREVENT_AOF_PROP | PREVENT_REPL_PROP,
            PROPAGATION_FLAGS = FORCE_AOF | FORCE_REPL | PREVENT_PROP;

    /** CLIENT REPLY modes. */
    public static final int REPLY_ON = 0, REPLY_OFF = 1, REPLY_SKIP_NEXT = 2, REPLY_SKIP = 3;

    public final Server server;
    public final Channel channel;
    public final long id;
    public final long createdMillis;
    public final RequestParser parser = new RequestParser();

    public byte[][] argv;
    public int argc;
    /**
     * What the current command propagates instead of argv, or null (set by
     * {@link #rewriteCommandVector}). Redis rewrites argv itself and keeps the original for
     * SLOWLOG and MONITOR; here argv stays as received and only propagation sees the rewrite.
     */
    public byte[][] propagateArgv;
    public Command cmd, lastCmd;
    /**
     * The last command name looked up and what it found. The parser hands the same byte[] for a
     * repeated name, so a pipeline of one command looks it up once (names never change at run time).
     */
    byte[] lookedUpName;
    Command lookedUp;

    public Db db;
    public int resp = 2;
    public boolean authenticated;
    public String name;
    public String user = "default";
    public int flags;
    public int replyMode = REPLY_ON;
    public long lastInteractionMillis;
    /** Commands queued in MULTI (CLIENT LIST multi=). */
    public int multiCount;
    /** Queued commands and watched keys (MultiCommands); null until the first MULTI or WATCH. */
    public dev.starling.command.MultiCommands.ClientState multiState;
    /** Pub/sub subscription counts (CLIENT LIST sub= psub= ssub=). */
    public int subscriptions, patternSubscriptions, shardSubscriptions;
    /** Subscribed channels and patterns (dev.starling.pubsub); null until the first subscription. */
    public dev.starling.pubsub.PubSub.ClientState pubsub;
    /** Set while a pub/sub push is written: it reaches the client even under CLIENT REPLY OFF (Redis's CLIENT_PUSHING). */
    public boolean pushing;
    /** Unix seconds when the output buffer first passed its class's soft limit, 0 if it is below (Redis's obuf_soft_limit_reached_time). */
    public long obufSoftLimitReachedTime;
    /** What the client is blocked on (BLPOP ...), or null; owned by {@link Blocking}. */
    public Blocking.State bstate;
    /** master_repl_offset after this client's last command that propagated something (Redis's woff; WAIT). */
    public long woff;
    /** CLIENT TRACKING redirect id (redir=), -1 if none. */
    public long trackingRedirect = -1;

    /** Query buffer: input not yet parsed (null when empty). */
    ByteBuf query;
    /** Reply bytes produced since the last flush (null when none). */
    private ByteBuf out;
    /**
     * An empty reply buffer the socket has finished with, reused for the next batch (null if none).
     * At pipeline 1 a fresh pooled buffer per reply cost an allocation plus, in Netty 4.2's adaptive
     * allocator, a DirectByteBuffer view on its first byte[] write: most of the loop's garbage.
     */
    private ByteBuf spare;
    /** Larger buffers are not kept (Redis's 16 KB static reply buffer bounds what it keeps too). */
    private static final int SPARE_MAX_CAPACITY = 16 * 1024;
    boolean pendingWrite;
    /** Total bytes of replies written to the channel but not yet sent. */
    public long totalNetOutput;

    Client(Server server, Channel channel, long id) {
        this.server = server;
        this.channel = channel;
        this.id = id;
        this.createdMillis = server.clock.millis();
        this.lastInteractionMillis = createdMillis;
        this.db = server.keyspace.dbs[0];
        this.authenticated = server.config.requirepass.isEmpty();
    }

    /** After each command: CLIENT REPLY SKIP applies to exactly the next command (Redis's commandProcessed). */
    public void commandProcessed() {
        if (replyMode == REPLY_SKIP) replyMode = REPLY_ON;
        else if (replyMode == REPLY_SKIP_NEXT) replyMode = REPLY_SKIP;
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    public boolean authRequired() {
        return !authenticated && !server.config.requirepass.isEmpty();
    }

    public String addr() {
        return format(channel == null ? null : (InetSocketAddress) channel.remoteAddress());
    }

    public String laddr() {
        return format(channel == null ? null : (InetSocketAddress) channel.localAddress());
    }

    private static String format(InetSocketAddress a) {
        if (a == null) return "";
        String host = a.getAddress().getHostAddress();
        if (host.contains(":")) return "[" + host.replaceAll("%.*$", "") + "]:" + a.getPort(); // anetFormatAddr
        return host + ":" + a.getPort();
    }

    /** Selects database n; false if out of range. */
    public boolean select(int n) {
        if (n < 0 || n >= server.keyspace.dbs.length) return false;
        db = server.keyspace.dbs[n];
        return true;
    }

    // ---------------------------------------------------------------- reply buffer

    /** The buffer to write a reply into, or null if replies are suppressed for this client. */
    private ByteBuf buf() {
        // A replica's socket carries the replication stream (written by replication.ReplicaLink), never replies.
        if ((replyMode == REPLY_OFF || replyMode == REPLY_SKIP) && !pushing || channel == null || has(MASTER | REPLICA)) return null;
        if (out == null) {
            out = spare != null ? spare : channel.alloc().ioBuffer(512);
            spare = null;
            // Replies to the client being read are flushed at the end of its batch; others need the task.
            if (!pendingWrite && server.reading != this) server.markPendingWrite(this);
        }
        return out;
    }

    /** Writes pending replies to the socket. */
    void flush() {
        pendingWrite = false;
        if (out == null) return;
        // Redis checks the limits as replies are added; a client to be closed is written nothing more.
        if (has(CLOSE_ASAP) || OutputBufferLimits.closeIfReached(this)) {
            discardOutput();
            return;
        }
        ByteBuf b = out;
        out = null;
        totalNetOutput += b.readableBytes();
        server.stats.netOutputBytes += b.readableBytes();
        server.stats.ioWritesProcessed++;
        if (!channel.isActive()) {
            b.release();
            return;
        }
        if (writeDirect(b)) {
            keepSpare(b);
            return;
        }
        // Our extra reference tells whether the socket took every byte at once (the usual case
        // on the loop): Netty then released its own, and the buffer can be reused.
        b.retain();
        channel.writeAndFlush(b, channel.voidPromise());
        if (b.refCnt() == 1 && channel.eventLoop().inEventLoop()) keepSpare(b);
        else b.release();
    }

    /** Keeps b (sent and released by the socket) as the next batch's reply buffer, or releases it. */
    private void keepSpare(ByteBuf b) {
        // A write error may have freed the client meanwhile (CLOSE_ASAP): nothing may be kept then.
        if (spare == null && b.capacity() <= SPARE_MAX_CAPACITY && !has(CLOSE_ASAP)) spare = b.clear();
        else b.release();
    }

    /**
     * Redis's writeToClient: when nothing is queued in the channel, the reply goes straight to the
     * socket with one write(2), skipping Netty's outbound pipeline and buffer (3–4% of the loop
     * thread's samples at pipeline 1). Returns true if every byte was sent; otherwise b's
     * reader index is past what was sent and Netty's path sends the rest (waiting for the socket
     * to drain) or, on an error, fails and closes the channel as it always does.
     */
    private boolean writeDirect(ByteBuf b) {
        return Transport.writeDirect(channel, b);
    }

    /** Drops unsent replies (the connection is gone). */
    void discardOutput() {
        if (out != null) {
            out.release();
            out = null;
        }
        if (spare != null) {
            spare.release();
            spare = null;
        }
    }

    /** Bytes of replies buffered but not yet flushed plus those queued in the channel. */
    public long outputBytes() {
        long n = out == null ? 0 : out.readableBytes();
        if (channel != null && channel.unsafe().outboundBuffer() != null) {
            n += channel.unsafe().outboundBuffer().totalPendingWriteBytes();
        }
        return n;
    }

    /**
     * Redis's reply_bytes: replies beyond the 16 KB static reply buffer plus what the socket has
     * not taken yet (the measure client-output-buffer-limit applies to).
     */
    long replyBytes() {
        long n = out == null ? 0 : Math.max(0, out.readableBytes() - ClientInfo.REPLY_BUF_BYTES);
        if (channel != null && channel.unsafe().outboundBuffer() != null) {
            n += channel.unsafe().outboundBuffer().totalPendingWriteBytes();
        }
        return n;
    }

    /** Query buffer bytes not yet parsed (CLIENT LIST qbuf). */
    public int queryBufferBytes() {
        return query == null ? 0 : query.readableBytes();
    }

    public int queryBufferCapacity() {
        return query == null ? 0 : query.capacity();
    }

    // ---------------------------------------------------------------- addReply*

    /** Appends pre-encoded protocol bytes. */
    public void addReply(byte[] encoded) {
        ByteBuf b = buf();
        if (b != null) b.writeBytes(encoded);
    }

    public void addReplyOk() {
        addReply(Resp.OK);
    }

    public void addReplyStatus(String s) {
        ByteBuf b = buf();
        if (b != null) Resp.writeSimple(b, s);
    }

    /**
     * An error reply: "-ERR msg" unless msg starts with '-' and carries its own code
     * ("-WRONGTYPE ..."). Counted in INFO errorstats by its code.
     */
    public void addReplyError(String msg) {
        server.stats.recordError(msg);
        if (cmd != null && !server.inRejection) cmd.failedCalls++;
        if ((flags & MASTER) != 0) {
            // Never sent (replies to the master are suppressed), but a sign the datasets diverge (Redis's afterErrorReply).
            server.stats.unexpectedErrorReplies++;
            server.log.warning("== CRITICAL == This replica is sending an error to its master: '" + msg
                    + "' after processing the command '" + (lastCmd != null ? lastCmd.fullName : "<unknown>") + "'");
        }
        // CLIENT REPLY OFF suppresses errors too, as in Redis.
        ByteBuf b = buf();
        if (b != null) Resp.writeError(b, msg);
    }

    public void addReplyLongLong(long v) {
        ByteBuf b = buf();
        if (b == null) return;
        if (v == 0) b.writeBytes(Resp.CZERO);
        else if (v == 1) b.writeBytes(Resp.CONE);
        else Resp.writeInteger(b, v);
    }

    public void addReplyBulk(byte[] v) {
        ByteBuf b = buf();
        if (b != null) Resp.writeBulk(b, v);
    }

    public void addReplyBulk(byte[] v, int off, int len) {
        ByteBuf b = buf();
        if (b != null) Resp.writeBulk(b, v, off, len);
    }

    public void addReplyBulkString(String s) {
        addReplyBulk(s.getBytes(StandardCharsets.UTF_8));
    }

    public void addReplyBulkLongLong(long v) {
        ByteBuf b = buf();
        if (b != null) Resp.writeBulkLong(b, v);
    }

    /** A missing value: $-1 in RESP2, _ in RESP3. */
    public void addReplyNull() {
        addReply(resp == 2 ? Resp.NULL_BULK_RESP2 : Resp.NULL_RESP3);
    }

    /** A missing aggregate: *-1 in RESP2, _ in RESP3. */
    public void addReplyNullArray() {
        addReply(resp == 2 ? Resp.NULL_ARRAY_RESP2 : Resp.NULL_RESP3);
    }

    public void addReplyArrayLen(long n) {
        ByteBuf b = buf();
        if (b != null) Resp.writeHeader(b, '*', n);
    }

    /** A map header: %n in RESP3, *2n in RESP2. */
    public void addReplyMapLen(long n) {
        ByteBuf b = buf();
        if (b == null) return;
        if (resp == 2) Resp.writeHeader(b, '*', n * 2);
        else Resp.writeHeader(b, '%', n);
    }

    /** A set header: ~n in RESP3, *n in RESP2. */
    public void addReplySetLen(long n) {
        ByteBuf b = buf();
        if (b != null) Resp.writeHeader(b, resp == 2 ? '*' : '~', n);
    }

    /** A push header (>n in RESP3, *n in RESP2). */
    public void addReplyPushLen(long n) {
        ByteBuf b = buf();
        if (b != null) Resp.writeHeader(b, resp == 2 ? '*' : '>', n);
    }

    /** A boolean: :1/:0 in RESP2, #t/#f in RESP3. */
    public void addReplyBool(boolean v) {
        if (resp == 2) addReply(v ? Resp.CONE : Resp.CZERO);
        else addReply(v ? Resp.TRUE_RESP3 : Resp.FALSE_RESP3);
    }

    /** A double: a bulk string in RESP2, ",d" in RESP3 (Redis's addReplyDouble formatting). */
    public void addReplyDouble(double d) {
        if (d == (long) d && d > -1e15 && d < 1e15 && Double.doubleToRawLongBits(d) != Long.MIN_VALUE) {
            // An integral score prints as its integer (what %.17g gives), without formatting a String.
            if (resp == 2) {
                addReplyBulkLongLong((long) d);
            } else {
                ByteBuf b = buf();
                if (b == null) return;
                b.writeByte(',');
                Resp.writeLong(b, (long) d);
                b.writeShort(0x0d0a);
            }
            return;
        }
        String s = Numbers.formatDouble(d);
        if (resp == 2) {
            addReplyBulk(s.getBytes(StandardCharsets.US_ASCII));
        } else {
            ByteBuf b = buf();
            if (b == null) return;
            b.writeByte(',');
            b.writeCharSequence(s, StandardCharsets.US_ASCII);
            b.writeShort(0x0d0a);
        }
    }

    /** Verbatim text: a bulk in RESP2, "=len\r\ntxt:..." in RESP3. */
    public void addReplyVerbatim(String text, String format) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        if (resp == 2) {
            addReplyBulk(t);
            return;
        }
        ByteBuf b = buf();
        if (b == null) return;
        Resp.writeHeader(b, '=', t.length + 4);
        b.writeCharSequence(format, StandardCharsets.US_ASCII);
        b.writeByte(':');
        b.writeBytes(t);
        b.writeShort(0x0d0a);
    }

    /** Redis's "wrong number of arguments for '%s' command". */
    public void addReplyErrorArity() {
        addReplyError("wrong number of arguments for '" + cmd.fullName + "' command");
    }

    public void addReplyErrorSyntax() {
        addReplyError("syntax error");
    }

    public void addReplyErrorWrongType() {
        addReplyError(Errors.WRONGTYPE);
    }

    /** Closes the connection after pending replies are written. */
    public void closeAfterReply() {
        flags |= CLOSE_AFTER_REPLY;
    }

    /** The value parsed by the last successful getLongLong / getDouble (Redis passes a pointer). */
    public long llval;
    public double dval;

    /**
     * Parses arg as a strict long into {@link #llval}; on failure replies err (or Redis's
     * "value is not an integer or out of range") and returns false. Redis's getLongLongFromObjectOrReply.
     */
    public boolean getLongLong(byte[] arg, String err) {
        long v = Numbers.parseLong(arg);
        if (!Numbers.isValidLong(v, arg)) {
            addReplyError(err != null ? err : Errors.NOT_INTEGER);
            return false;
        }
        llval = v;
        return true;
    }

    /** Parses arg as a double into {@link #dval}, else replies err or "value is not a valid float". */
    public boolean getDouble(byte[] arg, String err) {
        double d = Numbers.parseDouble(arg);
        if (Double.isNaN(d)) {
            addReplyError(err != null ? err : Errors.NOT_FLOAT);
            return false;
        }
        dval = d;
        return true;
    }

    // ---------------------------------------------------------------- propagation (Redis's networking.c / server.c)

    /**
     * Redis's rewriteClientCommandVector: the command propagates as argv instead of what the
     * client sent. A no-op while nobody consumes the propagated stream.
     */
    public void rewriteCommandVector(byte[]... argv) {
        if (server.propagator.active()) propagateArgv = argv;
    }

    /** Redis's rewriteClientCommandArgument: argument i (at most one past the end) propagates as v. */
    public void rewriteCommandArgument(int i, byte[] v) {
        if (!server.propagator.active()) return;
        byte[][] a = propagateArgv;
        if (a == null) a = java.util.Arrays.copyOf(argv, argc);
        if (i >= a.length) a = java.util.Arrays.copyOf(a, i + 1);
        a[i] = v;
        propagateArgv = a;
    }

    /** Redis's forceCommandPropagation: propagate even if the dataset did not change (targets: Propagator.PROPAGATE_*). */
    public void forceCommandPropagation(int targets) {
        if ((targets & dev.starling.replication.Propagator.PROPAGATE_REPL) != 0) flags |= FORCE_REPL;
        if ((targets & dev.starling.replication.Propagator.PROPAGATE_AOF) != 0) flags |= FORCE_AOF;
    }

    /** Redis's preventCommandPropagation: the command propagates only what it alsoPropagate()d. */
    public void preventCommandPropagation() {
        flags |= PREVENT_PROP;
    }

    public String argString(int i) {
        return new String(argv[i], StandardCharsets.UTF_8);
    }
}
