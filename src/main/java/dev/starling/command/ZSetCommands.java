package dev.starling.command;

import dev.starling.config.Config;
import dev.starling.keyspace.Glob;
import dev.starling.keyspace.KeyEntry;
import dev.starling.protocol.Errors;
import dev.starling.protocol.Resp;
import dev.starling.replication.Propagator;
import dev.starling.server.Blocking;
import dev.starling.server.Client;
import dev.starling.types.Listpack;
import dev.starling.types.SetMembers;
import dev.starling.types.ZSet;
import dev.starling.types.ZSet.LexRangeSpec;
import dev.starling.types.ZSet.RangeSpec;
import dev.starling.types.ZSkiplist.Node;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

import static dev.starling.command.StringCommands.ascii;
import static dev.starling.command.StringCommands.is;

/**
 * The sorted set family (Redis's t_zset.c), over {@link ZSet}'s listpack and skiplist encodings.
 *
 * <p>Each command follows Redis's function of the same name: arguments are checked in Redis's
 * order, the same keyspace notifications fire in the same places, and server.dirty moves as
 * Redis's does. A zset changed in place reports its size delta to the memory estimate and
 * signals the key (WATCH); a zset left empty is deleted with a "del" event.
 *
 * <p>ZRANGE-style replies need their length before the elements. Redis defers the length;
 * here a range by score or lex is walked twice, once to count and once to emit, which costs the
 * same O(log n + offset + count) as the walk itself. Ranges by score and by member share one code
 * path through {@link ZSet.Range}.
 */
final class ZSetCommands {
    private ZSetCommands() {}

    static void register(CommandTable t) {
        t.bind("zadd", ZSetCommands::zadd);
        t.bind("zincrby", ZSetCommands::zincrby);
        t.bind("zrem", ZSetCommands::zrem);
        t.bind("zremrangebyscore", ZSetCommands::zremrangebyscore);
        t.bind("zremrangebyrank", ZSetCommands::zremrangebyrank);
        t.bind("zremrangebylex", ZSetCommands::zremrangebylex);
        t.bind("zunionstore", ZSetCommands::zunionstore);
        t.bind("zinterstore", ZSetCommands::zinterstore);
        t.bind("zdiffstore", ZSetCommands::zdiffstore);
        t.bind("zunion", ZSetCommands::zunion);
        t.bind("zinter", ZSetCommands::zinter);
        t.bind("zintercard", ZSetCommands::zintercard);
        t.bind("zdiff", ZSetCommands::zdiff);
        t.bind("zrange", ZSetCommands::zrange);
        t.bind("zrangestore", ZSetCommands::zrangestore);
        t.bind("zrangebyscore", ZSetCommands::zrangebyscore);
        t.bind("zrevrangebyscore", ZSetCommands::zrevrangebyscore);
        t.bind("zrangebylex", ZSetCommands::zrangebylex);
        t.bind("zrevrangebylex", ZSetCommands::zrevrangebylex);
        t.bind("zcount", ZSetCommands::zcount);
        t.bind("zlexcount", ZSetCommands::zlexcount);
        t.bind("zrevrange", ZSetCommands::zrevrange);
        t.bind("zcard", ZSetCommands::zcard);
        t.bind("zscore", ZSetCommands::zscore);
        t.bind("zmscore", ZSetCommands::zmscore);
        t.bind("zrank", ZSetCommands::zrank);
        t.bind("zrevrank", ZSetCommands::zrevrank);
        t.bind("zscan", ZSetCommands::zscan);
        t.bind("zpopmin", ZSetCommands::zpopmin);
        t.bind("zpopmax", ZSetCommands::zpopmax);
        t.bind("zmpop", ZSetCommands::zmpop);
        t.bind("zrandmember", ZSetCommands::zrandmember);
        t.bind("bzpopmin", ZSetCommands::bzpopmin);
        t.bind("bzpopmax", ZSetCommands::bzpopmax);
        t.bind("bzmpop", ZSetCommands::bzmpop);
    }


    // ---------------------------------------------------------------- helpers

    /** lookupKeyReadOrReply + checkType: the zset, or null after replying missing (or WRONGTYPE). */
    private static ZSet lookupRead(Client c, byte[] key, byte[] missing) {
        KeyEntry e = c.db.lookupKeyRead(key);
        if (e == null) {
            if (missing != null) c.addReply(missing);
            else c.addReplyNull();
            return null;
        }
        if (e.value instanceof ZSet z) return z;
        c.addReplyErrorWrongType();
        return null;
    }

    /** lookupKeyWriteOrReply(czero) + checkType. */
    private static ZSet lookupWrite(Client c, byte[] key) {
        KeyEntry e = c.db.lookupKeyWrite(key);
        if (e == null) {
            c.addReply(Resp.CZERO);
            return null;
        }
        if (e.value instanceof ZSet z) return z;
        c.addReplyErrorWrongType();
        return null;
    }

    /** After an in-place change: the memory delta since before, and signalModifiedKey (WATCH). */
    private static void modified(Client c, byte[] key, ZSet z, long before) {
        c.db.adjustMemory(z.memoryBytes() - before);
        c.db.ks.listener.keyModified(c.db, key);
    }

    /** Deletes a zset that became empty (its memory delta already reported) with Redis's "del" event. */
    private static void deleteEmpty(Client c, byte[] key) {
        c.db.delete(key);
        c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "del", key, c.db.id);
    }

    private static long maxEntries(Client c) {
        return c.server.config.zsetMaxListpackEntries;
    }

    private static long maxValue(Client c) {
        return c.server.config.zsetMaxListpackValue;
    }

    /** Replies with the listpack entry at p as a bulk string (integers in decimal). */
    private static void addReplyEntry(Client c, byte[] lp, int p) {
        if (Listpack.isInt(lp, p)) c.addReplyBulkLongLong(Listpack.getInt(lp, p));
        else c.addReplyBulk(lp, Listpack.strOffset(lp, p), Listpack.strLength(lp, p));
    }

    /** Redis's getPositiveLongFromObjectOrReply / getRangeLongFromObjectOrReply(1..LONG_MAX): -1 after the error. */
    private static long rangeLong(Client c, byte[] arg, long min, String err) {
        long v = dev.starling.protocol.Numbers.parseLong(arg);
        if (!dev.starling.protocol.Numbers.isValidLong(v, arg) || v < min) {
            c.addReplyError(err);
            return -1;
        }
        return v;
    }

    // ---------------------------------------------------------------- ZADD ZINCRBY

    private static final byte[] O_NX = ascii("nx"), O_XX = ascii("xx"), O_CH = ascii("ch"), O_INCR = ascii("incr"),
            O_GT = ascii("gt"), O_LT = ascii("lt");

    static void zadd(Client c) {
        zaddGeneric(c, 0);
    }

    static void zincrby(Client c) {
        zaddGeneric(c, ZSet.IN_INCR);
    }

    /** zaddGenericCommand. */
    private static void zaddGeneric(Client c, int flags) {
        byte[] key = c.argv[1];
        boolean ch = false;
        int scoreidx = 2;
        while (scoreidx < c.argc) {
            byte[] opt = c.argv[scoreidx];
            if (is(opt, O_NX)) flags |= ZSet.IN_NX;
            else if (is(opt, O_XX)) flags |= ZSet.IN_XX;
            else if (is(opt, O_CH)) ch = true;
            else if (is(opt, O_INCR)) flags |= ZSet.IN_INCR;
            else if (is(opt, O_GT)) flags |= ZSet.IN_GT;
            else if (is(opt, O_LT)) flags |= ZSet.IN_LT;
            else break;
            scoreidx++;
        }
        boolean incr = (flags & ZSet.IN_INCR) != 0, nx = (flags & ZSet.IN_NX) != 0, xx = (flags & ZSet.IN_XX) != 0;
        boolean gt = (flags & ZSet.IN_GT) != 0, lt = (flags & ZSet.IN_LT) != 0;
        int elements = c.argc - scoreidx;
        if (elements % 2 != 0 || elements == 0) {
            c.addReplyErrorSyntax();
            return;
        }
        elements /= 2;
        if (nx && xx) {
            c.addReplyError(Errors.ZADD_XX_NX);
            return;
        }
        if ((gt && nx) || (lt && nx) || (gt && lt)) {
            c.addReplyError(Errors.ZADD_GT_LT_NX);
            return;
        }
        if (incr && elements > 1) {
            c.addReplyError(Errors.ZADD_INCR_PAIR);
            return;
        }
        // One pair (the usual case) needs no array.
        double score0 = 0;
        double[] scores = null;
        if (elements == 1) {
            if (!c.getDouble(c.argv[scoreidx], null)) return;
            score0 = c.dval;
        } else {
            scores = new double[elements];
            for (int j = 0; j < elements; j++) {
                if (!c.getDouble(c.argv[scoreidx + j * 2], null)) return;
                scores[j] = c.dval;
            }
        }

        KeyEntry e = c.db.lookupKeyWrite(key);
        ZSet z = null;
        if (e != null) {
            if (!(e.value instanceof ZSet)) {
                c.addReplyErrorWrongType();
                return;
            }
            z = (ZSet) e.value;
        }
        int added = 0, updated = 0, processed = 0;
        double score = 0;
        if (z == null) {
            if (xx) {
                replyZadd(c, incr, ch, 0, 0, 0, 0);
                return;
            }
            long entries = maxEntries(c);
            z = entries == 0 || maxValue(c) < c.argv[scoreidx + 1].length ? ZSet.createSkiplist() : ZSet.createListpack();
            c.db.add(key, z);
        }
        long before = z.memoryBytes();
        long entries = maxEntries(c), value = maxValue(c);
        // Only INCR replies with the resulting score (and has a single pair).
        double[] newscore = incr ? new double[1] : null;
        boolean nan = false;
        for (int j = 0; j < elements; j++) {
            int ret = z.add(scores == null ? score0 : scores[j], c.argv[scoreidx + 1 + j * 2], flags, newscore, entries, value);
            if ((ret & ZSet.OUT_NAN) != 0) {
                nan = true;
                break;
            }
            if ((ret & ZSet.OUT_ADDED) != 0) added++;
            if ((ret & ZSet.OUT_UPDATED) != 0) updated++;
            if ((ret & ZSet.OUT_NOP) == 0) processed++;
            if (incr) score = newscore[0];
        }
        if (nan) {
            c.addReplyError(Errors.ZSET_NAN);
        } else {
            c.server.dirty += added + updated;
            replyZadd(c, incr, ch, added, updated, processed, score);
        }
        if (added != 0 || updated != 0) {
            modified(c, key, z, before);
            c.server.notifyKeyspaceEvent(Config.NOTIFY_ZSET, incr ? "zincr" : "zadd", key, c.db.id);
        } else {
            c.db.adjustMemory(z.memoryBytes() - before);
        }
    }

    private static void replyZadd(Client c, boolean incr, boolean ch, int added, int updated, int processed, double score) {
        if (incr) {
            if (processed != 0) c.addReplyDouble(score);
            else c.addReplyNull();
        } else {
            c.addReplyLongLong(ch ? added + updated : added);
        }
    }

    // ---------------------------------------------------------------- ZREM ZREMRANGEBY*

    static void zrem(Client c) {
        byte[] key = c.argv[1];
        ZSet z = lookupWrite(c, key);
        if (z == null) return;
        long before = z.memoryBytes();
        int deleted = 0;
        boolean keyremoved = false;
        for (int j = 2; j < c.argc; j++) {
            if (z.del(c.argv[j])) deleted++;
            if (z.length() == 0) {
                keyremoved = true;
                break;
            }
        }
        c.db.adjustMemory(z.memoryBytes() - before);
        if (keyremoved) c.db.delete(key);
        if (deleted != 0) {
            c.server.notifyKeyspaceEvent(Config.NOTIFY_ZSET, "zrem", key, c.db.id);
            if (keyremoved) c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "del", key, c.db.id);
            c.db.ks.listener.keyModified(c.db, key);
            c.server.dirty += deleted;
        }
        c.addReplyLongLong(deleted);
    }

    private static final int ZRANGE_AUTO = 0, ZRANGE_RANK = 1, ZRANGE_SCORE = 2, ZRANGE_LEX = 3;
    private static final int DIRECTION_AUTO = 0, DIRECTION_FORWARD = 1, DIRECTION_REVERSE = 2;

    static void zremrangebyrank(Client c) {
        zremrangeGeneric(c, ZRANGE_RANK);
    }

    static void zremrangebyscore(Client c) {
        zremrangeGeneric(c, ZRANGE_SCORE);
    }

    static void zremrangebylex(Client c) {
        zremrangeGeneric(c, ZRANGE_LEX);
    }

    /** zremrangeGenericCommand. */
    private static void zremrangeGeneric(Client c, int rangetype) {
        byte[] key = c.argv[1];
        long start = 0, end = 0;
        RangeSpec range = null;
        LexRangeSpec lexrange = null;
        String event;
        if (rangetype == ZRANGE_RANK) {
            event = "zremrangebyrank";
            if (!c.getLongLong(c.argv[2], null)) return;
            start = c.llval;
            if (!c.getLongLong(c.argv[3], null)) return;
            end = c.llval;
        } else if (rangetype == ZRANGE_SCORE) {
            event = "zremrangebyscore";
            range = new RangeSpec();
            if (!range.parse(c.argv[2], c.argv[3])) {
                c.addReplyError(Errors.ZRANGE_NOT_FLOAT);
                return;
            }
        } else {
            event = "zremrangebylex";
            lexrange = new LexRangeSpec();
            if (!lexrange.parse(c.argv[2], c.argv[3])) {
                c.addReplyError(Errors.ZRANGE_NOT_LEX);
                return;
            }
        }
        ZSet z = lookupWrite(c, key);
        if (z == null) return;
        if (rangetype == ZRANGE_RANK) {
            long llen = z.length();
            if (start < 0) start = llen + start;
            if (end < 0) end = llen + end;
            if (start < 0) start = 0;
            if (start > end || start >= llen) {
                c.addReply(Resp.CZERO);
                return;
            }
            if (end >= llen) end = llen - 1;
        }
        long before = z.memoryBytes();
        long deleted;
        ZSet.Range r = rangetype == ZRANGE_SCORE ? range : lexrange;
        if (z.isListpack()) {
            long n = Listpack.size(z.lp) / 2;
            if (rangetype == ZRANGE_RANK) {
                deleted = end - start + 1;
                z.lp = Listpack.deleteRange(z.lp, Listpack.seek(z.lp, 2 * start), (int) (2 * deleted));
            } else {
                z.lp = ZSet.zzlDeleteRange(z.lp, r);
                deleted = n - Listpack.size(z.lp) / 2;
            }
        } else {
            if (rangetype == ZRANGE_RANK) deleted = z.zsl.deleteRangeByRank(start + 1, end + 1, z.dict);
            else deleted = z.zsl.deleteRange(r, z.dict);
            z.dict.shrinkIfNeeded();
        }
        boolean keyremoved = z.length() == 0;
        c.db.adjustMemory(z.memoryBytes() - before);
        if (keyremoved) c.db.delete(key);
        if (deleted != 0) {
            c.db.ks.listener.keyModified(c.db, key);
            c.server.notifyKeyspaceEvent(Config.NOTIFY_ZSET, event, key, c.db.id);
            if (keyremoved) c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "del", key, c.db.id);
        }
        c.server.dirty += deleted;
        c.addReplyLongLong(deleted);
    }

    // ---------------------------------------------------------------- ZUNION ZINTER ZDIFF

    private static final int SET_OP_UNION = 0, SET_OP_DIFF = 1, SET_OP_INTER = 2;
    private static final int AGGR_SUM = 0, AGGR_MIN = 1, AGGR_MAX = 2;

    /** One input (Redis's zsetopsrc): a zset, a set (every score 1), or null for a missing key. */
    private static final class OpSrc {
        Object subject;
        double weight = 1.0;

        /** zuiLength. */
        long length() {
            if (subject instanceof ZSet z) return z.length();
            if (subject instanceof SetMembers s) return s.setSize();
            return 0;
        }

        /** zuiFind: the member's score here, or NaN if absent. */
        double find(byte[] ele) {
            if (subject instanceof ZSet z) return z.score(ele);
            if (subject instanceof SetMembers s) return s.setContains(ele) ? 1.0 : Double.NaN;
            return Double.NaN;
        }
    }

    /** The elements of an input in zuiNext's order (zsets from the highest score down). */
    private static final class Elements implements Consumer<byte[]> {
        byte[][] ele;
        double[] score;
        int n;

        Elements(OpSrc src) {
            int len = (int) src.length();
            ele = new byte[len][];
            score = new double[len];
            if (src.subject instanceof ZSet z) {
                if (z.isListpack()) {
                    byte[] lp = z.lp;
                    for (int eptr = Listpack.seek(lp, -2); eptr >= 0; eptr = ZSet.zzlPrev(lp, eptr)) {
                        ele[n] = Listpack.get(lp, eptr);
                        score[n++] = ZSet.zzlGetScore(lp, Listpack.next(lp, eptr));
                    }
                } else {
                    for (Node x = z.zsl.last(); x != null; x = x.prev()) {
                        ele[n] = x.key;
                        score[n++] = x.score;
                    }
                }
            } else if (src.subject instanceof SetMembers s) {
                s.forEachMember(this);
            }
        }

        @Override
        public void accept(byte[] member) {
            if (n == ele.length) {
                ele = Arrays.copyOf(ele, n * 2 + 1);
                score = Arrays.copyOf(score, n * 2 + 1);
            }
            ele[n] = member.clone();
            score[n++] = 1.0;
        }
    }

    /** Sorts inputs by cardinality; stable, as glibc's merge-sort qsort is, which fixes the SUM order. */
    private static final Comparator<OpSrc> BY_CARDINALITY = Comparator.comparingLong(OpSrc::length);

    /** zunionInterAggregate. */
    private static double aggregate(double target, double val, int aggregate) {
        if (aggregate == AGGR_SUM) {
            target = target + val;
            // The sum of +inf and -inf is NaN: Redis makes it 0.
            return Double.isNaN(target) ? 0.0 : target;
        }
        if (aggregate == AGGR_MIN) return val < target ? val : target;
        return val > target ? val : target;
    }

    static void zunionstore(Client c) {
        zunionInterDiffGeneric(c, c.argv[1], 2, SET_OP_UNION, false);
    }

    static void zinterstore(Client c) {
        zunionInterDiffGeneric(c, c.argv[1], 2, SET_OP_INTER, false);
    }

    static void zdiffstore(Client c) {
        zunionInterDiffGeneric(c, c.argv[1], 2, SET_OP_DIFF, false);
    }

    static void zunion(Client c) {
        zunionInterDiffGeneric(c, null, 1, SET_OP_UNION, false);
    }

    static void zinter(Client c) {
        zunionInterDiffGeneric(c, null, 1, SET_OP_INTER, false);
    }

    static void zintercard(Client c) {
        zunionInterDiffGeneric(c, null, 1, SET_OP_INTER, true);
    }

    static void zdiff(Client c) {
        zunionInterDiffGeneric(c, null, 1, SET_OP_DIFF, false);
    }

    /** zunionInterDiffGenericCommand. */
    private static void zunionInterDiffGeneric(Client c, byte[] dstkey, int numkeysIndex, int op, boolean cardinalityOnly) {
        if (!c.getLongLong(c.argv[numkeysIndex], null)) return;
        long setnum = c.llval;
        if (setnum < 1) {
            c.addReplyError(Errors.atLeastOneKey(c.cmd.fullName));
            return;
        }
        if (setnum > c.argc - (numkeysIndex + 1)) {
            c.addReplyErrorSyntax();
            return;
        }
        int n = (int) setnum;
        OpSrc[] src = new OpSrc[n];
        int j = numkeysIndex + 1;
        for (int i = 0; i < n; i++, j++) {
            src[i] = new OpSrc();
            KeyEntry e = c.db.lookupKeyRead(c.argv[j]);
            if (e != null) {
                if (!(e.value instanceof ZSet) && !(e.value instanceof SetMembers)) {
                    c.addReplyErrorWrongType();
                    return;
                }
                src[i].subject = e.value;
            }
        }
        int aggregate = AGGR_SUM;
        boolean withscores = false;
        long limit = 0;
        int remaining = c.argc - j;
        while (remaining > 0) {
            byte[] arg = c.argv[j];
            if (op != SET_OP_DIFF && !cardinalityOnly && remaining >= setnum + 1 && KeyCommands.is(arg, "weights")) {
                j++;
                remaining--;
                for (int i = 0; i < n; i++, j++, remaining--) {
                    if (!c.getDouble(c.argv[j], Errors.WEIGHT_NOT_FLOAT)) return;
                    src[i].weight = c.dval;
                }
            } else if (op != SET_OP_DIFF && !cardinalityOnly && remaining >= 2 && KeyCommands.is(arg, "aggregate")) {
                j++;
                remaining--;
                byte[] a = c.argv[j];
                if (KeyCommands.is(a, "sum")) aggregate = AGGR_SUM;
                else if (KeyCommands.is(a, "min")) aggregate = AGGR_MIN;
                else if (KeyCommands.is(a, "max")) aggregate = AGGR_MAX;
                else {
                    c.addReplyErrorSyntax();
                    return;
                }
                j++;
                remaining--;
            } else if (remaining >= 1 && dstkey == null && !cardinalityOnly && KeyCommands.is(arg, "withscores")) {
                j++;
                remaining--;
                withscores = true;
            } else if (cardinalityOnly && remaining >= 2 && KeyCommands.is(arg, "limit")) {
                j++;
                remaining--;
                limit = rangeLong(c, c.argv[j], 0, Errors.LIMIT_NEGATIVE);
                if (limit < 0) return;
                j++;
                remaining--;
            } else {
                c.addReplyErrorSyntax();
                return;
            }
        }
        if (op != SET_OP_DIFF) Arrays.sort(src, BY_CARDINALITY);

        ZSet dst = ZSet.createSkiplist();
        long maxelelen = 0, totelelen = 0, cardinality = 0;
        if (op == SET_OP_INTER) {
            if (src[0].length() > 0) {
                Elements it = new Elements(src[0]);
                for (int k = 0; k < it.n; k++) {
                    byte[] ele = it.ele[k];
                    double score = src[0].weight * it.score[k];
                    if (Double.isNaN(score)) score = 0;
                    int i;
                    for (i = 1; i < n; i++) {
                        double value;
                        if (src[i].subject == src[0].subject) {
                            value = it.score[k] * src[i].weight;
                        } else {
                            value = src[i].find(ele);
                            if (Double.isNaN(value)) break;
                            value *= src[i].weight;
                        }
                        score = aggregate(score, value, aggregate);
                    }
                    if (i != n) continue;
                    if (cardinalityOnly) {
                        cardinality++;
                        if (limit != 0 && cardinality >= limit) break;
                    } else {
                        Node x = dst.dict.add(ele);
                        x.score = score;
                        dst.zsl.insertNew(x);
                        totelelen += ele.length;
                        if (ele.length > maxelelen) maxelelen = ele.length;
                    }
                }
            }
        } else if (op == SET_OP_UNION) {
            // The destination's dict is the accumulator; nodes are linked once their scores are final.
            dst.dict.expand(src[n - 1].length());
            ArrayList<Node> nodes = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (src[i].length() == 0) continue;
                Elements it = new Elements(src[i]);
                for (int k = 0; k < it.n; k++) {
                    byte[] ele = it.ele[k];
                    double score = src[i].weight * it.score[k];
                    if (Double.isNaN(score)) score = 0;
                    Node x = dst.dict.get(ele);
                    if (x == null) {
                        x = dst.dict.add(ele);
                        x.score = score;
                        nodes.add(x);
                        totelelen += ele.length;
                        if (ele.length > maxelelen) maxelelen = ele.length;
                    } else {
                        x.score = aggregate(x.score, score, aggregate);
                    }
                }
            }
            for (int k = 0, size = nodes.size(); k < size; k++) dst.zsl.insertNew(nodes.get(k));
        } else {
            long[] lens = zdiff(src, dst);
            maxelelen = lens[0];
            totelelen = lens[1];
        }

        if (dstkey != null) {
            if (dst.length() != 0) {
                dst.convertToListpackIfNeeded(maxelelen, totelelen, maxEntries(c), maxValue(c));
                StringCommands.setKey(c, dstkey, dst);
                c.addReplyLongLong(dst.length());
                c.server.notifyKeyspaceEvent(Config.NOTIFY_ZSET,
                        op == SET_OP_UNION ? "zunionstore" : op == SET_OP_INTER ? "zinterstore" : "zdiffstore", dstkey, c.db.id);
                c.server.dirty++;
            } else {
                c.addReply(Resp.CZERO);
                if (c.db.delete(dstkey)) {
                    c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "del", dstkey, c.db.id);
                    c.server.dirty++;
                }
            }
        } else if (cardinalityOnly) {
            c.addReplyLongLong(cardinality);
        } else {
            long length = dst.length();
            c.addReplyArrayLen(withscores && c.resp == 2 ? length * 2 : length);
            for (Node x = dst.zsl.first(); x != null; x = x.next()) {
                if (withscores && c.resp > 2) c.addReplyArrayLen(2);
                c.addReplyBulk(x.key);
                if (withscores) c.addReplyDouble(x.score);
            }
        }
    }

    /** zdiff: src[0] minus the others, into dst; returns {maxelelen, totelelen}. */
    private static long[] zdiff(OpSrc[] src, ZSet dst) {
        long[] lens = new long[2];
        if (src[0].length() == 0) return lens;
        int n = src.length;
        // zsetChooseDiffAlgorithm: 1 checks each element of the first input against the others,
        // 2 adds the first and removes the others'.
        long algoOne = 0, algoTwo = 0;
        for (int j = 0; j < n; j++) {
            if (j > 0 && src[0].subject == src[j].subject) return lens;
            algoOne += src[0].length();
            algoTwo += src[j].length();
        }
        algoOne /= 2;
        if (algoOne <= algoTwo) {
            Arrays.sort(src, 1, n, BY_CARDINALITY.reversed());
            Elements it = new Elements(src[0]);
            for (int k = 0; k < it.n; k++) {
                byte[] ele = it.ele[k];
                boolean exists = false;
                for (int j = 1; j < n; j++) {
                    if (!Double.isNaN(src[j].find(ele))) {
                        exists = true;
                        break;
                    }
                }
                if (!exists) {
                    Node x = dst.dict.add(ele);
                    x.score = it.score[k];
                    dst.zsl.insertNew(x);
                    if (ele.length > lens[0]) lens[0] = ele.length;
                    lens[1] += ele.length;
                }
            }
        } else {
            long cardinality = 0;
            for (int j = 0; j < n; j++) {
                if (src[j].length() == 0) continue;
                Elements it = new Elements(src[j]);
                for (int k = 0; k < it.n; k++) {
                    if (j == 0) {
                        Node x = dst.dict.add(it.ele[k]);
                        x.score = it.score[k];
                        dst.zsl.insertNew(x);
                        cardinality++;
                    } else {
                        Node x = dst.dict.get(it.ele[k]);
                        if (x != null) {
                            dst.deleteNode(x);
                            cardinality--;
                        }
                    }
                    if (cardinality == 0) break;
                }
                if (cardinality == 0) break;
            }
            for (Node x = dst.zsl.first(); x != null; x = x.next()) {
                if (x.key.length > lens[0]) lens[0] = x.key.length;
                lens[1] += x.key.length;
            }
        }
        return lens;
    }

    // ---------------------------------------------------------------- ZRANGE and its result handlers

    /** Redis's zrange_result_handler: where range results go. */
    private abstract static class RangeResult {
        final Client c;
        boolean withscores;

        RangeResult(Client c) {
            this.c = c;
        }

        /** Starts the result; lengthHint is what Redis passes (-1 when unknown), count the exact number. */
        abstract void begin(long lengthHint, long count);

        abstract void emit(byte[] b, int off, int len, double score);

        abstract void emitLong(long v, double score);

        abstract void finish(long count);
    }

    /** Replies to the client (zrangeResultBeginClient and friends). */
    private static final class ClientResult extends RangeResult {
        ClientResult(Client c) {
            super(c);
        }

        @Override
        void begin(long lengthHint, long count) {
            c.addReplyArrayLen(withscores && c.resp == 2 ? count * 2 : count);
        }

        @Override
        void emit(byte[] b, int off, int len, double score) {
            if (withscores && c.resp > 2) c.addReplyArrayLen(2);
            c.addReplyBulk(b, off, len);
            if (withscores) c.addReplyDouble(score);
        }

        @Override
        void emitLong(long v, double score) {
            if (withscores && c.resp > 2) c.addReplyArrayLen(2);
            c.addReplyBulkLongLong(v);
            if (withscores) c.addReplyDouble(score);
        }

        @Override
        void finish(long count) {}
    }

    /** Builds ZRANGESTORE's destination (zrangeResultBeginStore and friends). */
    private static final class StoreResult extends RangeResult {
        final byte[] dstkey;
        ZSet dst;
        final double[] newscore = new double[1];

        StoreResult(Client c, byte[] dstkey) {
            super(c);
            this.dstkey = dstkey;
        }

        @Override
        void begin(long lengthHint, long count) {
            dst = lengthHint > maxEntries(c) ? ZSet.createSkiplist() : ZSet.createListpack();
        }

        @Override
        void emit(byte[] b, int off, int len, double score) {
            dst.add(score, Arrays.copyOfRange(b, off, off + len), 0, newscore, maxEntries(c), maxValue(c));
        }

        @Override
        void emitLong(long v, double score) {
            dst.add(score, Long.toString(v).getBytes(StandardCharsets.US_ASCII), 0, newscore, maxEntries(c), maxValue(c));
        }

        @Override
        void finish(long count) {
            if (count != 0) {
                StringCommands.setKey(c, dstkey, dst);
                c.addReplyLongLong(count);
                c.server.notifyKeyspaceEvent(Config.NOTIFY_ZSET, "zrangestore", dstkey, c.db.id);
                c.server.dirty++;
            } else {
                c.addReply(Resp.CZERO);
                if (c.db.delete(dstkey)) {
                    c.server.notifyKeyspaceEvent(Config.NOTIFY_GENERIC, "del", dstkey, c.db.id);
                    c.server.dirty++;
                }
            }
        }
    }

    static void zrange(Client c) {
        zrangeGeneric(new ClientResult(c), 1, false, ZRANGE_AUTO, DIRECTION_AUTO);
    }

    static void zrangestore(Client c) {
        zrangeGeneric(new StoreResult(c, c.argv[1]), 2, true, ZRANGE_AUTO, DIRECTION_AUTO);
    }

    static void zrevrange(Client c) {
        zrangeGeneric(new ClientResult(c), 1, false, ZRANGE_RANK, DIRECTION_REVERSE);
    }

    static void zrangebyscore(Client c) {
        zrangeGeneric(new ClientResult(c), 1, false, ZRANGE_SCORE, DIRECTION_FORWARD);
    }

    static void zrevrangebyscore(Client c) {
        zrangeGeneric(new ClientResult(c), 1, false, ZRANGE_SCORE, DIRECTION_REVERSE);
    }

    static void zrangebylex(Client c) {
        zrangeGeneric(new ClientResult(c), 1, false, ZRANGE_LEX, DIRECTION_FORWARD);
    }

    static void zrevrangebylex(Client c) {
        zrangeGeneric(new ClientResult(c), 1, false, ZRANGE_LEX, DIRECTION_REVERSE);
    }

    /** zrangeGenericCommand: options, then the range by rank, score or lex. */
    private static void zrangeGeneric(RangeResult h, int argcStart, boolean store, int rangetype, int direction) {
        Client c = h.c;
        byte[] key = c.argv[argcStart];
        int minidx = argcStart + 1, maxidx = argcStart + 2;
        long optOffset = 0, optLimit = -1;
        boolean withscores = false;
        for (int j = argcStart + 3; j < c.argc; j++) {
            int leftargs = c.argc - j - 1;
            byte[] arg = c.argv[j];
            if (!store && KeyCommands.is(arg, "withscores")) {
                withscores = true;
            } else if (KeyCommands.is(arg, "limit") && leftargs >= 2) {
                if (!c.getLongLong(c.argv[j + 1], null)) return;
                optOffset = c.llval;
                if (!c.getLongLong(c.argv[j + 2], null)) return;
                optLimit = c.llval;
                j += 2;
            } else if (direction == DIRECTION_AUTO && KeyCommands.is(arg, "rev")) {
                direction = DIRECTION_REVERSE;
            } else if (rangetype == ZRANGE_AUTO && KeyCommands.is(arg, "bylex")) {
                rangetype = ZRANGE_LEX;
            } else if (rangetype == ZRANGE_AUTO && KeyCommands.is(arg, "byscore")) {
                rangetype = ZRANGE_SCORE;
            } else {
                c.addReplyErrorSyntax();
                return;
            }
        }
        if (direction == DIRECTION_AUTO) direction = DIRECTION_FORWARD;
        if (rangetype == ZRANGE_AUTO) rangetype = ZRANGE_RANK;
        if (optLimit != -1 && rangetype == ZRANGE_RANK) {
            c.addReplyError(Errors.ZRANGE_LIMIT);
            return;
        }
        if (withscores && rangetype == ZRANGE_LEX) {
            c.addReplyError(Errors.ZRANGE_BYLEX_WITHSCORES);
            return;
        }
        boolean reverse = direction == DIRECTION_REVERSE;
        if (reverse && (rangetype == ZRANGE_SCORE || rangetype == ZRANGE_LEX)) {
            int tmp = maxidx;
            maxidx = minidx;
            minidx = tmp;
        }
        long optStart = 0, optEnd = 0;
        RangeSpec range = null;
        LexRangeSpec lexrange = null;
        if (rangetype == ZRANGE_RANK) {
            if (!c.getLongLong(c.argv[minidx], null)) return;
            optStart = c.llval;
            if (!c.getLongLong(c.argv[maxidx], null)) return;
            optEnd = c.llval;
        } else if (rangetype == ZRANGE_SCORE) {
            range = new RangeSpec();
            if (!range.parse(c.argv[minidx], c.argv[maxidx])) {
                c.addReplyError(Errors.ZRANGE_NOT_FLOAT);
                return;
            }
        } else {
            lexrange = new LexRangeSpec();
            if (!lexrange.parse(c.argv[minidx], c.argv[maxidx])) {
                c.addReplyError(Errors.ZRANGE_NOT_LEX);
                return;
            }
        }
        if (withscores || store) h.withscores = true;

        KeyEntry e = c.db.lookupKeyRead(key);
        if (e == null) {
            if (store) {
                h.begin(-1, 0);
                h.finish(0);
            } else {
                c.addReply(Resp.EMPTY_ARRAY);
            }
            return;
        }
        if (!(e.value instanceof ZSet z)) {
            c.addReplyErrorWrongType();
            return;
        }
        if (rangetype == ZRANGE_RANK) {
            genericZrangebyrank(h, z, optStart, optEnd, withscores || store, reverse);
        } else {
            // genericZrangebyscoreCommand gives up early on an offset past the end; bylex walks.
            ZSet.Range r = rangetype == ZRANGE_SCORE ? range : lexrange;
            boolean scores = withscores || store;
            long count = rangetype == ZRANGE_SCORE && optOffset > 0 && optOffset >= z.length() ? 0
                    : walkRange(null, r, z, scores, optOffset, optLimit, reverse);
            h.begin(-1, count);
            if (count != 0) walkRange(h, r, z, scores, optOffset, optLimit, reverse);
            h.finish(count);
        }
    }

    /** genericZrangebyrankCommand. */
    private static void genericZrangebyrank(RangeResult h, ZSet z, long start, long end, boolean withscores, boolean reverse) {
        long llen = z.length();
        if (start < 0) start = llen + start;
        if (end < 0) end = llen + end;
        if (start < 0) start = 0;
        if (start > end || start >= llen) {
            h.begin(0, 0);
            h.finish(0);
            return;
        }
        if (end >= llen) end = llen - 1;
        long rangelen = end - start + 1;
        h.begin(rangelen, rangelen);
        if (z.isListpack()) {
            byte[] lp = z.lp;
            int eptr = reverse ? Listpack.seek(lp, -2 - 2 * start) : Listpack.seek(lp, 2 * start);
            for (long k = 0; k < rangelen; k++) {
                double score = withscores ? ZSet.zzlGetScore(lp, Listpack.next(lp, eptr)) : 0;
                emitEntry(h, lp, eptr, score);
                eptr = reverse ? ZSet.zzlPrev(lp, eptr) : ZSet.zzlNext(lp, eptr);
            }
        } else {
            Node ln;
            if (reverse) ln = start > 0 ? z.zsl.getElementByRank(llen - start) : z.zsl.last();
            else ln = start > 0 ? z.zsl.getElementByRank(start + 1) : z.zsl.first();
            for (long k = 0; k < rangelen; k++) {
                h.emit(ln.key, 0, ln.key.length, ln.score);
                ln = reverse ? ln.prev() : ln.next();
            }
        }
        h.finish(rangelen);
    }

    private static void emitEntry(RangeResult h, byte[] lp, int eptr, double score) {
        if (Listpack.isInt(lp, eptr)) h.emitLong(Listpack.getInt(lp, eptr), score);
        else h.emit(lp, Listpack.strOffset(lp, eptr), Listpack.strLength(lp, eptr), score);
    }

    /**
     * The walk of genericZrangebyscoreCommand and genericZrangebylexCommand: emits to h (or only
     * counts when h is null) the elements in range after skipping offset, at most limit (negative:
     * no limit). A negative offset walks off the end, as Redis's {@code while (ln && offset--)}
     * does. Listpack scores are read only when withscores.
     */
    private static long walkRange(RangeResult h, ZSet.Range range, ZSet z, boolean withscores, long offset, long limit, boolean reverse) {
        long n = 0;
        if (z.isListpack()) {
            byte[] lp = z.lp;
            int eptr = reverse ? ZSet.zzlLastInRange(lp, range) : ZSet.zzlFirstInRange(lp, range);
            while (eptr >= 0 && offset-- != 0) eptr = reverse ? ZSet.zzlPrev(lp, eptr) : ZSet.zzlNext(lp, eptr);
            while (eptr >= 0 && limit-- != 0) {
                if (reverse ? !range.gteMin(lp, eptr) : !range.lteMax(lp, eptr)) break;
                n++;
                if (h != null) emitEntry(h, lp, eptr, withscores ? ZSet.zzlGetScore(lp, Listpack.next(lp, eptr)) : 0);
                eptr = reverse ? ZSet.zzlPrev(lp, eptr) : ZSet.zzlNext(lp, eptr);
            }
        } else {
            Node ln = reverse ? z.zsl.lastInRange(range) : z.zsl.firstInRange(range);
            while (ln != null && offset-- != 0) ln = reverse ? ln.prev() : ln.next();
            while (ln != null && limit-- != 0) {
                if (reverse ? !range.gteMin(ln) : !range.lteMax(ln)) break;
                n++;
                if (h != null) h.emit(ln.key, 0, ln.key.length, ln.score);
                ln = reverse ? ln.prev() : ln.next();
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- ZCOUNT ZLEXCOUNT

    static void zcount(Client c) {
        countGeneric(c, false);
    }

    static void zlexcount(Client c) {
        countGeneric(c, true);
    }

    /** zcountCommand and zlexcountCommand. */
    private static void countGeneric(Client c, boolean lex) {
        ZSet.Range range;
        if (lex) {
            LexRangeSpec r = new LexRangeSpec();
            if (!r.parse(c.argv[2], c.argv[3])) {
                c.addReplyError(Errors.ZRANGE_NOT_LEX);
                return;
            }
            range = r;
        } else {
            RangeSpec r = new RangeSpec();
            if (!r.parse(c.argv[2], c.argv[3])) {
                c.addReplyError(Errors.ZRANGE_NOT_FLOAT);
                return;
            }
            range = r;
        }
        ZSet z = lookupRead(c, c.argv[1], Resp.CZERO);
        if (z == null) return;
        long count = 0;
        if (z.isListpack()) {
            byte[] lp = z.lp;
            for (int eptr = ZSet.zzlFirstInRange(lp, range); eptr >= 0 && range.lteMax(lp, eptr); eptr = ZSet.zzlNext(lp, eptr)) count++;
        } else {
            // Ranks of the first and last nodes in range: O(log n).
            Node zn = z.zsl.firstInRange(range);
            if (zn != null) {
                long len = z.zsl.length();
                count = len - (z.zsl.getRank(zn.score, zn.key) - 1);
                zn = z.zsl.lastInRange(range);
                if (zn != null) count -= len - z.zsl.getRank(zn.score, zn.key);
            }
        }
        c.addReplyLongLong(count);
    }

    // ---------------------------------------------------------------- ZCARD ZSCORE ZMSCORE ZRANK

    static void zcard(Client c) {
        ZSet z = lookupRead(c, c.argv[1], Resp.CZERO);
        if (z != null) c.addReplyLongLong(z.length());
    }

    static void zscore(Client c) {
        ZSet z = lookupRead(c, c.argv[1], null);
        if (z == null) return;
        double score = z.score(c.argv[2]);
        if (Double.isNaN(score)) c.addReplyNull();
        else c.addReplyDouble(score);
    }

    static void zmscore(Client c) {
        KeyEntry e = c.db.lookupKeyRead(c.argv[1]);
        ZSet z = null;
        if (e != null) {
            if (!(e.value instanceof ZSet)) {
                c.addReplyErrorWrongType();
                return;
            }
            z = (ZSet) e.value;
        }
        c.addReplyArrayLen(c.argc - 2);
        for (int j = 2; j < c.argc; j++) {
            double score = z == null ? Double.NaN : z.score(c.argv[j]);
            if (Double.isNaN(score)) c.addReplyNull();
            else c.addReplyDouble(score);
        }
    }

    static void zrank(Client c) {
        zrankGeneric(c, false);
    }

    static void zrevrank(Client c) {
        zrankGeneric(c, true);
    }

    private static void zrankGeneric(Client c, boolean reverse) {
        ZSet z = lookupRead(c, c.argv[1], null);
        if (z == null) return;
        long rank = z.rank(c.argv[2], reverse);
        if (rank >= 0) c.addReplyLongLong(rank);
        else c.addReplyNull();
    }

    // ---------------------------------------------------------------- ZSCAN

    /** Collects the nodes of the dict buckets a scan step visits. */
    private static final class NodeCollector implements Consumer<Node> {
        final ArrayList<Node> nodes = new ArrayList<>();

        @Override
        public void accept(Node x) {
            nodes.add(x);
        }
    }

    /** zscanCommand + scanGenericCommand for a zset: member, score pairs. */
    static void zscan(Client c) {
        if (!ScanOptions.parseCursorOrReply(c, c.argv[2])) return;
        long cursor = c.llval;
        ZSet z = lookupRead(c, c.argv[1], ScanOptions.EMPTY_SCAN);
        if (z == null) return;
        ScanOptions opts = ScanOptions.parse(c, 3, false);
        if (opts == null) return;
        long count = opts.count;
        Glob.Matcher pattern = opts.pattern;
        ArrayList<byte[]> out = new ArrayList<>();
        if (z.isListpack()) {
            byte[] lp = z.lp;
            for (int eptr = Listpack.first(lp); eptr >= 0; eptr = ZSet.zzlNext(lp, eptr)) {
                byte[] ele = Listpack.get(lp, eptr);
                if (pattern != null && !pattern.matches(ele)) continue;
                out.add(ele);
                out.add(Listpack.get(lp, Listpack.next(lp, eptr)));
            }
            cursor = 0;
        } else {
            NodeCollector col = new NodeCollector();
            long maxIterations = count * 10;
            do {
                cursor = z.dict.scan(cursor, col);
            } while (cursor != 0 && maxIterations-- != 0 && col.nodes.size() < count);
            for (int k = 0, size = col.nodes.size(); k < size; k++) {
                Node x = col.nodes.get(k);
                if (pattern != null && !pattern.matches(x.key)) continue;
                out.add(x.key);
                out.add(dev.starling.protocol.Numbers.formatDouble(x.score).getBytes(StandardCharsets.US_ASCII));
            }
        }
        c.addReplyArrayLen(2);
        c.addReplyBulkLongLong(cursor);
        c.addReplyArrayLen(out.size());
        for (int k = 0, size = out.size(); k < size; k++) c.addReplyBulk(out.get(k));
    }

    // ---------------------------------------------------------------- ZPOPMIN ZPOPMAX ZMPOP

    static final int ZSET_MIN = 0, ZSET_MAX = 1;
    /** What genericZpop propagates (see there). */
    static final int POP_AS_SENT = 0, POP_REWRITE = 1, POP_ALSO = 2;

    /**
     * genericZpopCommand: pops up to count (-1: one, without a count in the reply shape) from the
     * first existing key of keys[first, first+keyc). emitkey adds the key to the reply, nested
     * makes each pair an array, nilWhenEmpty replies a null array when no key exists. propagate
     * says what a pop propagates: {@link #POP_AS_SENT}, {@link #POP_REWRITE} (ZMPOP and the
     * blocking forms served at once: ZPOPMIN/ZPOPMAX key, with the number popped when nested) or
     * {@link #POP_ALSO} (the same, for a blocked client served later). Returns true if the zset
     * was emptied and deleted.
     */
    static boolean genericZpop(Client c, byte[][] keys, int first, int keyc, int where, boolean emitkey, long count,
                               boolean nested, boolean nilWhenEmpty, int propagate) {
        byte[] key = null;
        ZSet z = null;
        for (int idx = 0; idx < keyc; idx++) {
            key = keys[first + idx];
            KeyEntry e = c.db.lookupKeyWrite(key);
            if (e == null) continue;
            if (!(e.value instanceof ZSet)) {
                c.addReplyErrorWrongType();
                return false;
            }
            z = (ZSet) e.value;
            break;
        }
        if (z == null) {
            if (nilWhenEmpty) c.addReplyNullArray();
            else c.addReply(Resp.EMPTY_ARRAY);
            return false;
        }
        if (count == 0) {
            c.addReply(Resp.EMPTY_ARRAY);
            return false;
        }
        if (count == -1) count = 1;
        long llen = z.length();
        long rangelen = Math.min(count, llen);
        if (!nested && !emitkey) {
            c.addReplyArrayLen(rangelen * 2);
        } else if (nested && !emitkey) {
            c.addReplyArrayLen(rangelen);
        } else if (!nested) {
            c.addReplyArrayLen(rangelen * 2 + 1);
            c.addReplyBulk(key);
        } else {
            c.addReplyArrayLen(2);
            c.addReplyBulk(key);
            c.addReplyArrayLen(rangelen);
        }
        long before = z.memoryBytes();
        for (long k = 0; k < rangelen; k++) {
            if (nested) c.addReplyArrayLen(2);
            if (z.isListpack()) {
                byte[] lp = z.lp;
                int eptr = where == ZSET_MAX ? Listpack.seek(lp, -2) : Listpack.first(lp);
                double score = ZSet.zzlGetScore(lp, Listpack.next(lp, eptr));
                addReplyEntry(c, lp, eptr);
                c.addReplyDouble(score);
                z.lp = ZSet.zzlDelete(lp, eptr);
            } else {
                Node x = where == ZSET_MAX ? z.zsl.last() : z.zsl.first();
                z.deleteNode(x);
                c.addReplyBulk(x.key);
                c.addReplyDouble(x.score);
            }
            c.server.dirty++;
            if (k == 0) {
                c.server.notifyKeyspaceEvent(Config.NOTIFY_ZSET, where == ZSET_MAX ? "zpopmax" : "zpopmin", key, c.db.id);
            }
        }
        modified(c, key, z, before);
        if (propagate != POP_AS_SENT && c.server.propagator.active()) {
            byte[] cmd = where == ZSET_MAX ? Propagator.ZPOPMAX : Propagator.ZPOPMIN;
            byte[][] argv = nested ? new byte[][] {cmd, key, StringCommands.longToBytes(rangelen)} : new byte[][] {cmd, key};
            if (propagate == POP_ALSO) c.server.propagator.alsoPropagate(c.db.id, argv);
            else c.rewriteCommandVector(argv);
        }
        if (z.length() != 0) return false;
        deleteEmpty(c, key);
        return true;
    }

    static void zpopmin(Client c) {
        zpopMinMax(c, ZSET_MIN);
    }

    static void zpopmax(Client c) {
        zpopMinMax(c, ZSET_MAX);
    }

    private static void zpopMinMax(Client c, int where) {
        if (c.argc > 3) {
            c.addReplyErrorSyntax();
            return;
        }
        long count = -1;
        if (c.argc == 3) {
            count = rangeLong(c, c.argv[2], 0, Errors.MUST_BE_POSITIVE);
            if (count < 0) return;
        }
        genericZpop(c, c.argv, 1, 1, where, false, count, c.resp > 2 && count != -1, false, POP_AS_SENT);
    }

    /** zmpopGenericCommand's argument parsing: {numkeys, where, count}, or null after the error. */
    static long[] parseZmpop(Client c, int numkeysIdx) {
        long numkeys = rangeLong(c, c.argv[numkeysIdx], 1, Errors.NUMKEYS_POSITIVE);
        if (numkeys < 0) return null;
        // numkeysIdx + numkeys + 1 >= argc, without overflowing for numkeys near LONG_MAX.
        if (numkeys >= c.argc - numkeysIdx - 1) {
            c.addReplyErrorSyntax();
            return null;
        }
        int where;
        int whereIdx = (int) (numkeysIdx + numkeys + 1);
        byte[] w = c.argv[whereIdx];
        if (KeyCommands.is(w, "min")) where = ZSET_MIN;
        else if (KeyCommands.is(w, "max")) where = ZSET_MAX;
        else {
            c.addReplyErrorSyntax();
            return null;
        }
        long count = -1;
        for (int j = whereIdx + 1; j < c.argc; j++) {
            int moreargs = c.argc - 1 - j;
            if (count == -1 && KeyCommands.is(c.argv[j], "count") && moreargs > 0) {
                j++;
                count = rangeLong(c, c.argv[j], 1, Errors.COUNT_NOT_POSITIVE);
                if (count < 0) return null;
            } else {
                c.addReplyErrorSyntax();
                return null;
            }
        }
        if (count == -1) count = 1;
        return new long[] {numkeys, where, count};
    }

    static void zmpop(Client c) {
        long[] p = parseZmpop(c, 1);
        if (p == null) return;
        genericZpop(c, c.argv, 2, (int) p[0], (int) p[1], true, p[2], true, true, POP_REWRITE);
    }

    // ---------------------------------------------------------------- BZPOPMIN BZPOPMAX BZMPOP

    static void bzpopmin(Client c) {
        blockingGenericZpop(c, 1, c.argc - 2, ZSET_MIN, c.argc - 1, -1, false);
    }

    static void bzpopmax(Client c) {
        blockingGenericZpop(c, 1, c.argc - 2, ZSET_MAX, c.argc - 1, -1, false);
    }

    static void bzmpop(Client c) {
        long[] p = parseZmpop(c, 2);
        if (p == null) return;
        blockingGenericZpop(c, 3, (int) p[0], (int) p[1], 1, p[2], true);
    }

    /** Marks a client blocked by BZMPOP (its reply is [key, [[member, score], ...]]). */
    private static final Object BZMPOP = new Object();

    /**
     * blockingGenericZpopCommand: the timeout first, then pops at once from the first existing
     * key (WRONGTYPE as ZPOP*), or blocks on all the keys (a null array inside MULTI or a script).
     */
    private static void blockingGenericZpop(Client c, int first, int numkeys, int where, int timeoutIdx, long count, boolean bzmpop) {
        long timeout = Blocking.timeoutOrReply(c, c.argv[timeoutIdx]);
        if (timeout < 0) return;
        for (int j = first; j < first + numkeys; j++) {
            KeyEntry e = c.db.lookupKeyWrite(c.argv[j]);
            if (e == null) continue;
            if (!(e.value instanceof ZSet)) {
                c.addReplyErrorWrongType();
                return;
            }
            genericZpop(c, c.argv, j, 1, where, true, count, bzmpop, bzmpop, POP_REWRITE);
            return;
        }
        if (Blocking.deniesBlocking(c)) {
            c.addReplyNullArray();
            return;
        }
        Blocking.State st = c.server.blocking.blockForKeys(c, c.argv, first, numkeys, timeout, ZSET_BLOCKED);
        st.where = where;
        st.count = count;
        st.extra = bzmpop ? BZMPOP : null;
    }

    /** Serves clients blocked by BZPOPMIN, BZPOPMAX and BZMPOP (Redis's serveClientsBlockedOnSortedSetKey). */
    static final Blocking.Handler ZSET_BLOCKED = new Blocking.Handler() {
        @Override
        public boolean accepts(Object value) {
            return value instanceof ZSet;
        }

        @Override
        public boolean serve(Client r, Blocking.State st, byte[] key, KeyEntry e) {
            boolean bzmpop = st.extra == BZMPOP;
            return genericZpop(r, new byte[][] {key}, 0, 1, st.where, true, st.count, bzmpop, bzmpop, POP_ALSO);
        }
    };

    // ---------------------------------------------------------------- ZRANDMEMBER

    /** Redis's ZRANDMEMBER_SUB_STRATEGY_MUL. */
    private static final int SUB_STRATEGY_MUL = 3;

    static void zrandmember(Client c) {
        if (c.argc >= 3) {
            if (!c.getLongLong(c.argv[2], null)) return;
            long l = c.llval;
            boolean withscores = false;
            if (c.argc > 4 || (c.argc == 4 && !KeyCommands.is(c.argv[3], "withscores"))) {
                c.addReplyErrorSyntax();
                return;
            } else if (c.argc == 4) {
                withscores = true;
                if (l < Long.MIN_VALUE / 2 || l > Long.MAX_VALUE / 2) {
                    c.addReplyError(Errors.VALUE_OUT_OF_RANGE);
                    return;
                }
            }
            zrandmemberWithCount(c, l, withscores);
            return;
        }
        ZSet z = lookupRead(c, c.argv[1], null);
        if (z == null) return;
        if (z.isListpack()) {
            int eptr = Listpack.seek(z.lp, 2L * ThreadLocalRandom.current().nextLong(z.length()));
            addReplyEntry(c, z.lp, eptr);
        } else {
            c.addReplyBulk(z.dict.randomEntry().key);
        }
    }

    private static void replyPair(Client c, byte[] ele, double score, boolean withscores) {
        if (withscores && c.resp > 2) c.addReplyArrayLen(2);
        c.addReplyBulk(ele);
        if (withscores) c.addReplyDouble(score);
    }

    /** zrandmemberWithCountCommand. */
    private static void zrandmemberWithCount(Client c, long l, boolean withscores) {
        ZSet z = lookupRead(c, c.argv[1], Resp.EMPTY_ARRAY);
        if (z == null) return;
        long size = z.length();
        long count;
        boolean uniq = true;
        if (l >= 0) {
            count = l;
        } else {
            count = l == Long.MIN_VALUE ? Long.MAX_VALUE : -l; // Redis negates into an unsigned long
            uniq = false;
        }
        if (count == 0) {
            c.addReply(Resp.EMPTY_ARRAY);
            return;
        }
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        // Case 1: repetitions allowed (or one element): independent random picks.
        if (!uniq || count == 1) {
            c.addReplyArrayLen(withscores && c.resp == 2 ? count * 2 : count);
            while (count-- > 0) {
                if (z.isListpack()) {
                    byte[] lp = z.lp;
                    int eptr = Listpack.seek(lp, 2 * rnd.nextLong(size));
                    if (withscores && c.resp > 2) c.addReplyArrayLen(2);
                    addReplyEntry(c, lp, eptr);
                    if (withscores) c.addReplyDouble(ZSet.zzlGetScore(lp, Listpack.next(lp, eptr)));
                } else {
                    Node x = z.dict.randomEntry();
                    replyPair(c, x.key, x.score, withscores);
                }
                if (c.has(Client.CLOSE_ASAP)) break;
            }
            return;
        }
        long replySize = Math.min(count, size);
        c.addReplyArrayLen(withscores && c.resp == 2 ? replySize * 2 : replySize);
        // Case 2: the whole set, in zuiNext's order (highest score first).
        if (count >= size) {
            if (z.isListpack()) {
                byte[] lp = z.lp;
                for (int eptr = Listpack.seek(lp, -2); eptr >= 0; eptr = ZSet.zzlPrev(lp, eptr)) {
                    if (withscores && c.resp > 2) c.addReplyArrayLen(2);
                    addReplyEntry(c, lp, eptr);
                    if (withscores) c.addReplyDouble(ZSet.zzlGetScore(lp, Listpack.next(lp, eptr)));
                }
            } else {
                for (Node x = z.zsl.last(); x != null; x = x.prev()) replyPair(c, x.key, x.score, withscores);
            }
            return;
        }
        // Case 3: most of the set: copy it and drop random elements until count remain.
        if (count * SUB_STRATEGY_MUL > size) {
            int n = (int) size;
            byte[][] ele = new byte[n][];
            double[] score = new double[n];
            int i = 0;
            if (z.isListpack()) {
                byte[] lp = z.lp;
                for (int eptr = Listpack.first(lp); eptr >= 0; eptr = ZSet.zzlNext(lp, eptr), i++) {
                    ele[i] = Listpack.get(lp, eptr);
                    score[i] = ZSet.zzlGetScore(lp, Listpack.next(lp, eptr));
                }
            } else {
                for (Node x = z.zsl.first(); x != null; x = x.next(), i++) {
                    ele[i] = x.key;
                    score[i] = x.score;
                }
            }
            while (n > count) {
                int victim = rnd.nextInt(n);
                n--;
                ele[victim] = ele[n];
                score[victim] = score[n];
            }
            for (i = 0; i < n; i++) replyPair(c, ele[i], score[i], withscores);
            return;
        }
        // Case 4: a few of many.
        if (z.isListpack()) {
            // lpRandomPairsUnique: selection sampling, so the picks come in listpack order.
            byte[] lp = z.lp;
            long remaining = count;
            long left = size;
            for (int eptr = Listpack.first(lp); eptr >= 0 && remaining > 0; eptr = ZSet.zzlNext(lp, eptr), left--) {
                if (rnd.nextLong(left) >= remaining) continue;
                remaining--;
                if (withscores && c.resp > 2) c.addReplyArrayLen(2);
                addReplyEntry(c, lp, eptr);
                if (withscores) c.addReplyDouble(ZSet.zzlGetScore(lp, Listpack.next(lp, eptr)));
            }
            return;
        }
        HashSet<Node> picked = new HashSet<>();
        while (picked.size() < count) {
            Node x = z.dict.randomEntry();
            if (!picked.add(x)) continue;
            replyPair(c, x.key, x.score, withscores);
        }
    }
}
