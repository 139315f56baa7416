package dev.starling.pubsub;

import dev.starling.config.Config;
import dev.starling.keyspace.ByteKey;
import dev.starling.keyspace.Glob;
import dev.starling.server.Client;
import dev.starling.server.OutputBufferLimits;
import dev.starling.server.Server;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;

/**
 * Pub/Sub (Redis 7.0 pubsub.c and notify.c): the server's channel, pattern and shard channel
 * tables, each client's subscriptions, message delivery and keyspace notifications.
 *
 * <h2>Invariants</h2>
 * A channel (or pattern) is in a server table exactly while at least one client is subscribed to
 * it, and a client is in a channel's subscriber set exactly when the channel is in that client's
 * own set; the Client counters (CLIENT LIST sub= psub= ssub=) equal the sizes of its sets. A client
 * holds the PUBSUB flag while it has any subscription.
 *
 * <h2>Order</h2>
 * Subscribers of a channel receive messages in subscription order (Redis 7.0 keeps a list). A
 * client's patterns unsubscribe in subscription order (a list in 7.0); its channels in insertion
 * order, where Redis uses a randomly seeded dict, so clients cannot rely on that order anyway.
 */
public final class PubSub {
    /** Which table a subscription belongs to (Redis's pubsubtype). */
    public enum Kind {
        CHANNEL("subscribe", "unsubscribe", "message"),
        SHARD("ssubscribe", "sunsubscribe", "smessage");

        final byte[] subscribeMsg, unsubscribeMsg, messageBulk;

        Kind(String sub, String unsub, String msg) {
            subscribeMsg = Resp.bulk(sub);
            unsubscribeMsg = Resp.bulk(unsub);
            messageBulk = Resp.bulk(msg);
        }
    }

    /** Pre-encoded bulk strings of the reply kinds (Redis's shared.*bulk). */
    static final class Resp {
        static byte[] bulk(String s) {
            return ("$" + s.length() + "\r\n" + s + "\r\n").getBytes(StandardCharsets.US_ASCII);
        }
    }

    static final byte[] PSUBSCRIBE = Resp.bulk("psubscribe"), PUNSUBSCRIBE = Resp.bulk("punsubscribe"),
            PMESSAGE = Resp.bulk("pmessage");

    /** A pattern's compiled matcher and its subscribers. */
    static final class Pattern {
        final Glob.Matcher matcher;
        final LinkedHashSet<Client> clients = new LinkedHashSet<>();

        Pattern(byte[] p) {
            matcher = Glob.compile(p, false);
        }
    }

    /** One client's subscriptions. */
    public static final class ClientState {
        final LinkedHashSet<ByteKey> channels = new LinkedHashSet<>();
        final LinkedHashSet<ByteKey> patterns = new LinkedHashSet<>();
        final LinkedHashSet<ByteKey> shardChannels = new LinkedHashSet<>();

        LinkedHashSet<ByteKey> of(Kind k) {
            return k == Kind.CHANNEL ? channels : shardChannels;
        }
    }

    final Server server;
    final LinkedHashMap<ByteKey, LinkedHashSet<Client>> channels = new LinkedHashMap<>();
    final LinkedHashMap<ByteKey, LinkedHashSet<Client>> shardChannels = new LinkedHashMap<>();
    final LinkedHashMap<ByteKey, Pattern> patterns = new LinkedHashMap<>();

    private PubSub(Server server) {
        this.server = server;
    }

    /**
     * Creates the tables and hooks them into the server: disconnect and RESET drop subscriptions,
     * INFO counts, keyspace notifications. Returns the instance the commands use.
     */
    public static PubSub install(Server server) {
        PubSub ps = new PubSub(server);
        server.clientListeners.add(ps::unsubscribeAll);
        server.resetListeners.add(ps::unsubscribeAll);
        server.infoFields.put("pubsub_channels", () -> ps.channels.size());
        server.infoFields.put("pubsub_patterns", () -> ps.patterns.size());
        server.infoFields.put("pubsubshard_channels", () -> ps.shardChannels.size());
        server.keyspaceEvents = ps::notifyKeyspaceEvent;
        server.keyspace.listener = new KeyEvents(server, server.keyspace.listener);
        return ps;
    }

    LinkedHashMap<ByteKey, LinkedHashSet<Client>> table(Kind k) {
        return k == Kind.CHANNEL ? channels : shardChannels;
    }

    private static ClientState state(Client c) {
        ClientState s = c.pubsub;
        if (s == null) c.pubsub = s = new ClientState();
        return s;
    }

    /** Redis's clientSubscriptionsCount (channels + patterns) or clientShardSubscriptionsCount. */
    static int count(Client c, Kind k) {
        return k == Kind.CHANNEL ? c.subscriptions + c.patternSubscriptions : c.shardSubscriptions;
    }

    private static void setCounts(Client c) {
        ClientState s = c.pubsub;
        c.subscriptions = s.channels.size();
        c.patternSubscriptions = s.patterns.size();
        c.shardSubscriptions = s.shardChannels.size();
        if (c.subscriptions + c.patternSubscriptions + c.shardSubscriptions == 0) c.flags &= ~Client.PUBSUB;
    }

    // ---------------------------------------------------------------- replies

    /** A pushed 3-element reply: *3 in RESP2, >3 in RESP3 (Redis's addReplyPubsub*). */
    private static void pushHeader(Client c, int n) {
        c.pushing = true;
        c.addReplyPushLen(n);
    }

    private static void pushSubscribed(Client c, byte[] kind, byte[] name, int count) {
        pushHeader(c, 3);
        c.addReply(kind);
        if (name != null) c.addReplyBulk(name);
        else c.addReplyNull();
        c.addReplyLongLong(count);
        c.pushing = false;
    }

    // ---------------------------------------------------------------- subscribe / unsubscribe

    /** Redis's pubsubSubscribeChannel: returns true if c was not already subscribed. */
    public boolean subscribeChannel(Client c, byte[] channel, Kind k) {
        ClientState s = state(c);
        ByteKey n = new ByteKey(channel);
        boolean added = s.of(k).add(n);
        if (added) {
            table(k).computeIfAbsent(n, x -> new LinkedHashSet<>()).add(c);
            setCounts(c);
        }
        pushSubscribed(c, k.subscribeMsg, channel, count(c, k));
        return added;
    }

    /** Redis's pubsubUnsubscribeChannel: returns true if c was subscribed; replies if notify. */
    public boolean unsubscribeChannel(Client c, byte[] channel, boolean notify, Kind k) {
        ClientState s = c.pubsub;
        ByteKey n = new ByteKey(channel);
        boolean removed = s != null && s.of(k).remove(n);
        if (removed) {
            LinkedHashMap<ByteKey, LinkedHashSet<Client>> t = table(k);
            LinkedHashSet<Client> subs = t.get(n);
            subs.remove(c);
            if (subs.isEmpty()) t.remove(n);
            setCounts(c);
        }
        if (notify) pushSubscribed(c, k.unsubscribeMsg, channel, count(c, k));
        return removed;
    }

    /** Redis's pubsubSubscribePattern. */
    public boolean subscribePattern(Client c, byte[] pattern) {
        ClientState s = state(c);
        ByteKey n = new ByteKey(pattern);
        boolean added = s.patterns.add(n);
        if (added) {
            patterns.computeIfAbsent(n, x -> new Pattern(pattern)).clients.add(c);
            setCounts(c);
        }
        pushSubscribed(c, PSUBSCRIBE, pattern, count(c, Kind.CHANNEL));
        return added;
    }

    /** Redis's pubsubUnsubscribePattern. */
    public boolean unsubscribePattern(Client c, byte[] pattern, boolean notify) {
        ClientState s = c.pubsub;
        ByteKey n = new ByteKey(pattern);
        boolean removed = s != null && s.patterns.remove(n);
        if (removed) {
            Pattern p = patterns.get(n);
            p.clients.remove(c);
            if (p.clients.isEmpty()) patterns.remove(n);
            setCounts(c);
        }
        if (notify) pushSubscribed(c, PUNSUBSCRIBE, pattern, count(c, Kind.CHANNEL));
        return removed;
    }

    /** Redis's pubsubUnsubscribeAllChannelsInternal: with notify, a null-channel reply if there were none. */
    public int unsubscribeAllChannels(Client c, boolean notify, Kind k) {
        int count = 0;
        ClientState s = c.pubsub;
        if (s != null && !s.of(k).isEmpty()) {
            for (ByteKey n : new ArrayList<>(s.of(k))) {
                if (unsubscribeChannel(c, n.bytes, notify, k)) count++;
            }
        }
        if (notify && count == 0) pushSubscribed(c, k.unsubscribeMsg, null, count(c, k));
        return count;
    }

    /** Redis's pubsubUnsubscribeAllPatterns. */
    public int unsubscribeAllPatterns(Client c, boolean notify) {
        int count = 0;
        ClientState s = c.pubsub;
        if (s != null && !s.patterns.isEmpty()) {
            for (ByteKey n : new ArrayList<>(s.patterns)) {
                if (unsubscribePattern(c, n.bytes, notify)) count++;
            }
        }
        if (notify && count == 0) pushSubscribed(c, PUNSUBSCRIBE, null, count(c, Kind.CHANNEL));
        return count;
    }

    /** Drops every subscription without replies (disconnect, RESET: Redis's freeClient / clearClientConnectionState). */
    void unsubscribeAll(Client c) {
        if (c.pubsub == null) return;
        unsubscribeAllChannels(c, false, Kind.CHANNEL);
        unsubscribeAllChannels(c, false, Kind.SHARD);
        unsubscribeAllPatterns(c, false);
        c.flags &= ~Client.PUBSUB;
    }

    // ---------------------------------------------------------------- publish

    /**
     * Redis's pubsubPublishMessage: delivers message to the channel's subscribers, then (not for
     * shard channels) to every client whose pattern matches. Returns the number of deliveries.
     */
    public int publish(byte[] channel, byte[] message, Kind k) {
        int receivers = 0;
        LinkedHashSet<Client> subs = table(k).get(new ByteKey(channel));
        if (subs != null) {
            for (Client c : subs) {
                receivers++;
                if (c.has(Client.CLOSE_ASAP)) continue;
                pushHeader(c, 3);
                c.addReply(k.messageBulk);
                c.addReplyBulk(channel);
                c.addReplyBulk(message);
                c.pushing = false;
                OutputBufferLimits.closeIfReached(c);
            }
        }
        if (k == Kind.SHARD || patterns.isEmpty()) return receivers;
        for (Map.Entry<ByteKey, Pattern> e : patterns.entrySet()) {
            Pattern p = e.getValue();
            if (!p.matcher.matches(channel, 0, channel.length)) continue;
            byte[] pat = e.getKey().bytes;
            for (Client c : p.clients) {
                receivers++;
                if (c.has(Client.CLOSE_ASAP)) continue;
                pushHeader(c, 4);
                c.addReply(PMESSAGE);
                c.addReplyBulk(pat);
                c.addReplyBulk(channel);
                c.addReplyBulk(message);
                c.pushing = false;
                OutputBufferLimits.closeIfReached(c);
            }
        }
        return receivers;
    }

    // ---------------------------------------------------------------- introspection

    /** Channels (or shard channels) matching pattern (all if null), in table order (Redis's channelList). */
    public ArrayList<byte[]> channelList(byte[] pattern, Kind k) {
        ArrayList<byte[]> out = new ArrayList<>();
        Glob.Matcher m = pattern == null ? null : Glob.compile(pattern, false);
        for (ByteKey n : table(k).keySet()) {
            if (m == null || m.matches(n.bytes, 0, n.bytes.length)) out.add(n.bytes);
        }
        return out;
    }

    /** Subscribers of one channel, not counting patterns (PUBSUB NUMSUB). */
    public int numSub(byte[] channel, Kind k) {
        LinkedHashSet<Client> subs = table(k).get(new ByteKey(channel));
        return subs == null ? 0 : subs.size();
    }

    /** Distinct subscribed patterns (PUBSUB NUMPAT). */
    public int numPat() {
        return patterns.size();
    }

    // ---------------------------------------------------------------- keyspace notifications

    private static final byte[] KEYSPACE_PREFIX = "__keyspace@".getBytes(StandardCharsets.US_ASCII),
            KEYEVENT_PREFIX = "__keyevent@".getBytes(StandardCharsets.US_ASCII);

    /**
     * Redis's notifyKeyspaceEvent after its class test (done by Server): publishes the event on
     * {@code __keyspace@<db>__:<key>} (K) and the key on {@code __keyevent@<db>__:<event>} (E).
     */
    void notifyKeyspaceEvent(int type, String event, byte[] key, int dbid) {
        int flags = server.config.notifyKeyspaceEvents;
        byte[] ev = event.getBytes(StandardCharsets.US_ASCII);
        if ((flags & Config.NOTIFY_KEYSPACE) != 0) publish(channelName(KEYSPACE_PREFIX, dbid, key), ev, Kind.CHANNEL);
        if ((flags & Config.NOTIFY_KEYEVENT) != 0) publish(channelName(KEYEVENT_PREFIX, dbid, ev), key, Kind.CHANNEL);
    }

    /** The keyspace events raised inside the keyspace: "new", "keymiss", "expired", "evicted". */
    static final class KeyEvents extends dev.starling.keyspace.Keyspace.ForwardingListener {
        private final Server server;

        KeyEvents(Server server, dev.starling.keyspace.Keyspace.Listener next) {
            super(next);
            this.server = server;
        }

        @Override
        public void keyExpired(dev.starling.keyspace.Db db, byte[] key) {
            super.keyExpired(db, key);
            server.notifyKeyspaceEvent(Config.NOTIFY_EXPIRED, "expired", key, db.id);
        }

        @Override
        public void keyEvicted(dev.starling.keyspace.Db db, byte[] key) {
            super.keyEvicted(db, key);
            server.notifyKeyspaceEvent(Config.NOTIFY_EVICTED, "evicted", key, db.id);
        }

        @Override
        public void keyAdded(dev.starling.keyspace.Db db, byte[] key) {
            super.keyAdded(db, key);
            server.notifyKeyspaceEvent(Config.NOTIFY_NEW, "new", key, db.id);
        }

        @Override
        public void keyMiss(dev.starling.keyspace.Db db, byte[] key) {
            super.keyMiss(db, key);
            server.notifyKeyspaceEvent(Config.NOTIFY_KEY_MISS, "keymiss", key, db.id);
        }
    }

    private static byte[] channelName(byte[] prefix, int dbid, byte[] suffix) {
        byte[] db = Integer.toString(dbid).getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[prefix.length + db.length + 3 + suffix.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(db, 0, out, prefix.length, db.length);
        int p = prefix.length + db.length;
        out[p] = '_';
        out[p + 1] = '_';
        out[p + 2] = ':';
        System.arraycopy(suffix, 0, out, p + 3, suffix.length);
        return out;
    }

    // ---------------------------------------------------------------- invariants

    /** Checks the invariants in the class comment; returns a description of the first violation, or null. */
    public String validate() {
        for (Kind k : Kind.values()) {
            for (Map.Entry<ByteKey, LinkedHashSet<Client>> e : table(k).entrySet()) {
                if (e.getValue().isEmpty()) return k + " channel with no subscribers";
                for (Client c : e.getValue()) {
                    if (c.pubsub == null || !c.pubsub.of(k).contains(e.getKey())) return "client " + c.id + " missing channel";
                }
            }
        }
        for (Map.Entry<ByteKey, Pattern> e : patterns.entrySet()) {
            if (e.getValue().clients.isEmpty()) return "pattern with no subscribers";
            for (Client c : e.getValue().clients) {
                if (c.pubsub == null || !c.pubsub.patterns.contains(e.getKey())) return "client " + c.id + " missing pattern";
            }
        }
        for (Client c : server.clients.values()) {
            ClientState s = c.pubsub;
            if (s == null) continue;
            for (Kind k : Kind.values()) {
                for (ByteKey n : s.of(k)) {
                    LinkedHashSet<Client> subs = table(k).get(n);
                    if (subs == null || !subs.contains(c)) return "channel missing client " + c.id;
                }
            }
            for (ByteKey n : s.patterns) {
                Pattern p = patterns.get(n);
                if (p == null || !p.clients.contains(c)) return "pattern missing client " + c.id;
            }
            if (c.subscriptions != s.channels.size() || c.patternSubscriptions != s.patterns.size()
                    || c.shardSubscriptions != s.shardChannels.size()) return "client " + c.id + " counters";
            if (c.has(Client.PUBSUB) != (c.subscriptions + c.patternSubscriptions + c.shardSubscriptions > 0)) {
                return "client " + c.id + " PUBSUB flag";
            }
        }
        return null;
    }
}
