package dev.starling.server;

/**
 * client-output-buffer-limit (Redis's checkClientOutputBufferLimits and
 * closeClientOnOutputBufferLimitReached): a client whose unsent replies reach its class's hard
 * limit, or stay above the soft limit for longer than the soft seconds, is closed asynchronously.
 *
 * <p>Unsent replies are the bytes produced but not flushed (beyond Redis's 16 KB static buffer)
 * plus those Netty holds because the socket would block: a subscriber that stops reading grows
 * the second part. Checked after each pub/sub delivery and before each flush.
 */
public final class OutputBufferLimits {
    private OutputBufferLimits() {}

    /** Redis's CLIENT_TYPE_* indexes into config.clientOutputBufferLimits. */
    static final int NORMAL = 0, REPLICA = 1, PUBSUB = 2;

    /** Redis's getClientType for limit purposes (a master counts as normal). */
    static int clientType(Client c) {
        if (c.has(Client.REPLICA) && !c.has(Client.MONITOR)) return REPLICA;
        if (c.has(Client.PUBSUB)) return PUBSUB;
        return NORMAL;
    }

    /** True if c is over its hard limit, or over its soft limit for longer than allowed. */
    static boolean reached(Client c, long used) {
        long[] l = c.server.config.clientOutputBufferLimits[clientType(c)];
        boolean hard = l[0] != 0 && used >= l[0];
        boolean soft = l[1] != 0 && used >= l[1];
        if (soft) {
            long now = c.server.clock.millis() / 1000;
            if (c.obufSoftLimitReachedTime == 0) {
                c.obufSoftLimitReachedTime = now;
                soft = false; // the first time the soft limit is seen
            } else if (now - c.obufSoftLimitReachedTime <= l[2]) {
                soft = false;
            }
        } else {
            c.obufSoftLimitReachedTime = 0;
        }
        return soft || hard;
    }

    /**
     * Checks c after replies were added to it; if a limit is reached, logs Redis's line and closes
     * c once the current work is done (freeClientAsync), so callers iterating subscribers are safe.
     * Returns true if c is being closed.
     */
    public static boolean closeIfReached(Client c) {
        if (c.channel == null) return false; // fake clients are never freed here, as in Redis
        return closeIfReached(c, c.replyBytes());
    }

    /**
     * As {@link #closeIfReached(Client)} with the output size measured by the caller: for a replica,
     * how far it is behind in the backlog plus what its socket has not taken
     * (dev.starling.replication.ReplicaLink).
     */
    public static boolean closeIfReached(Client c, long used) {
        if (c.channel == null) return false;
        if (c.has(Client.CLOSE_ASAP)) return false;
        long[] l = c.server.config.clientOutputBufferLimits[clientType(c)];
        if (l[0] == 0 && l[1] == 0) return false; // no limits for this class (normal clients by default)
        if (used == 0 && clientType(c) != REPLICA) return false;
        if (!reached(c, used)) return false;
        String info = ClientInfo.describe(c);
        c.flags |= Client.CLOSE_ASAP;
        Server s = c.server;
        s.execute(() -> s.killClient(c));
        s.log.warning("Client " + info + " scheduled to be closed ASAP for overcoming of output buffer limits.");
        return true;
    }
}
