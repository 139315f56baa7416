package dev.starling.command;

import dev.starling.protocol.Errors;
import dev.starling.pubsub.PubSub;
import dev.starling.pubsub.PubSub.Kind;
import dev.starling.server.Client;
import dev.starling.server.Server;

import java.util.ArrayList;

/**
 * SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH SSUBSCRIBE SUNSUBSCRIBE SPUBLISH PUBSUB
 * (Redis 7.0 pubsub.c), and the RESP2 subscribed-mode restriction from processCommand.
 */
public final class PubSubCommands {
    private final PubSub ps;

    private PubSubCommands(PubSub ps) {
        this.ps = ps;
    }

    /**
     * Creates the pub/sub subsystem and binds its commands. Installed after the other filters
     * (OOM, ...): Redis checks the subscribed context after them in processCommand.
     */
    public static PubSub install(Server server) {
        PubSub ps = PubSub.install(server);
        PubSubCommands p = new PubSubCommands(ps);
        CommandTable t = server.commands;
        t.bind("subscribe", p::subscribe);
        t.bind("unsubscribe", p::unsubscribe);
        t.bind("psubscribe", p::psubscribe);
        t.bind("punsubscribe", p::punsubscribe);
        t.bind("publish", p::publish);
        t.bind("ssubscribe", p::ssubscribe);
        t.bind("sunsubscribe", p::sunsubscribe);
        t.bind("spublish", p::spublish);
        t.bind("pubsub|channels", p::channels);
        t.bind("pubsub|shardchannels", p::shardchannels);
        t.bind("pubsub|numsub", p::numsub);
        t.bind("pubsub|shardnumsub", p::shardnumsub);
        t.bind("pubsub|numpat", p::numpat);
        t.bind("pubsub|help", PubSubCommands::help);
        Command[] allowed = new Command[9];
        String[] names = {"ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "quit", "reset"};
        for (int i = 0; i < names.length; i++) allowed[i] = t.find(names[i]);
        server.pubsubContextCheck = (c, cmd) -> {
            // Only a subset of commands in the context of Pub/Sub in RESP2; RESP3 has no limits.
            if ((c.flags & Client.PUBSUB) == 0 || c.resp != 2) return null;
            for (Command a : allowed) if (a == cmd) return null;
            return Errors.pubsubContext(cmd.fullName);
        };
        return ps;
    }

    void subscribe(Client c) {
        // Inside EXEC (a client that must get one reply per command) it is allowed for compatibility.
        for (int j = 1; j < c.argc; j++) ps.subscribeChannel(c, c.argv[j], Kind.CHANNEL);
        c.flags |= Client.PUBSUB;
    }

    void unsubscribe(Client c) {
        if (c.argc == 1) ps.unsubscribeAllChannels(c, true, Kind.CHANNEL);
        else for (int j = 1; j < c.argc; j++) ps.unsubscribeChannel(c, c.argv[j], true, Kind.CHANNEL);
    }

    void psubscribe(Client c) {
        for (int j = 1; j < c.argc; j++) ps.subscribePattern(c, c.argv[j]);
        c.flags |= Client.PUBSUB;
    }

    void punsubscribe(Client c) {
        if (c.argc == 1) ps.unsubscribeAllPatterns(c, true);
        else for (int j = 1; j < c.argc; j++) ps.unsubscribePattern(c, c.argv[j], true);
    }

    void publish(Client c) {
        c.addReplyLongLong(ps.publish(c.argv[1], c.argv[2], Kind.CHANNEL));
        // Replicas relay it to their own subscribers (Redis, outside cluster mode).
        c.forceCommandPropagation(dev.starling.replication.Propagator.PROPAGATE_REPL);
    }

    void ssubscribe(Client c) {
        // Unlike SUBSCRIBE, not even EXEC (Redis's CLIENT_DENY_BLOCKING) may shard-subscribe.
        if (c.has(Client.MULTI)) {
            c.addReplyError(Errors.SSUBSCRIBE_DENY_BLOCKING);
            return;
        }
        for (int j = 1; j < c.argc; j++) ps.subscribeChannel(c, c.argv[j], Kind.SHARD);
        c.flags |= Client.PUBSUB;
    }

    void sunsubscribe(Client c) {
        if (c.argc == 1) ps.unsubscribeAllChannels(c, true, Kind.SHARD);
        else for (int j = 1; j < c.argc; j++) ps.unsubscribeChannel(c, c.argv[j], true, Kind.SHARD);
    }

    void spublish(Client c) {
        c.addReplyLongLong(ps.publish(c.argv[1], c.argv[2], Kind.SHARD));
        c.forceCommandPropagation(dev.starling.replication.Propagator.PROPAGATE_REPL);
    }

    // ---------------------------------------------------------------- PUBSUB

    void channels(Client c) {
        channelList(c, Kind.CHANNEL);
    }

    void shardchannels(Client c) {
        channelList(c, Kind.SHARD);
    }

    private void channelList(Client c, Kind k) {
        if (c.argc > 3) {
            c.addReplyError(Errors.subcommandSyntax(c.argv[1], "pubsub"));
            return;
        }
        ArrayList<byte[]> list = ps.channelList(c.argc == 3 ? c.argv[2] : null, k);
        c.addReplyArrayLen(list.size());
        for (int i = 0; i < list.size(); i++) c.addReplyBulk(list.get(i));
    }

    void numsub(Client c) {
        numsub(c, Kind.CHANNEL);
    }

    void shardnumsub(Client c) {
        numsub(c, Kind.SHARD);
    }

    private void numsub(Client c, Kind k) {
        c.addReplyArrayLen((c.argc - 2) * 2L);
        for (int j = 2; j < c.argc; j++) {
            c.addReplyBulk(c.argv[j]);
            c.addReplyLongLong(ps.numSub(c.argv[j], k));
        }
    }

    void numpat(Client c) {
        c.addReplyLongLong(ps.numPat());
    }

    private static final String[] HELP = {
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
    };

    static void help(Client c) {
        Help.reply(c, "PUBSUB", HELP);
    }
}
