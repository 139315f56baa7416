package dev.starling.command;

import dev.starling.keyspace.Glob;
import dev.starling.protocol.Errors;
import dev.starling.protocol.Resp;
import dev.starling.server.Client;

/**
 * The options SCAN, SSCAN, HSCAN and ZSCAN share (COUNT and MATCH, plus TYPE for SCAN), parsed in
 * Redis's order and with its errors: a COUNT below 1 or an unknown option is a syntax error.
 */
final class ScanOptions {
    long count = 10;
    /** Null when every element matches (no MATCH, or MATCH *). */
    Glob.Matcher pattern;
    /** SCAN's TYPE argument, null when absent. */
    byte[] typeName;

    /** The reply to SSCAN, HSCAN and ZSCAN of a missing key: cursor 0, no elements. */
    static final byte[] EMPTY_SCAN = Resp.ascii("*2\r\n$1\r\n0\r\n*0\r\n");

    /** parseScanCursorOrReply: the unsigned cursor in c.llval, or Redis's error replied and false. */
    static boolean parseCursorOrReply(Client c, byte[] arg) {
        try {
            c.llval = KeyCommands.parseScanCursor(arg);
            return true;
        } catch (KeyCommands.BadCursor e) {
            c.addReplyError(Errors.INVALID_CURSOR);
            return false;
        }
    }

    /** Parses c.argv[from..]; after a bad option it has replied the error and returns null. */
    static ScanOptions parse(Client c, int from, boolean allowType) {
        ScanOptions o = new ScanOptions();
        for (int i = from; i < c.argc; i += 2) {
            boolean hasValue = c.argc - i >= 2;
            if (KeyCommands.is(c.argv[i], "count") && hasValue) {
                if (!c.getLongLong(c.argv[i + 1], null)) return null;
                o.count = c.llval;
                if (o.count < 1) {
                    c.addReplyErrorSyntax();
                    return null;
                }
            } else if (KeyCommands.is(c.argv[i], "match") && hasValue) {
                byte[] p = c.argv[i + 1];
                o.pattern = p.length == 1 && p[0] == '*' ? null : Glob.compile(p, false);
            } else if (allowType && KeyCommands.is(c.argv[i], "type") && hasValue) {
                o.typeName = c.argv[i + 1];
            } else {
                c.addReplyErrorSyntax();
                return null;
            }
        }
        return o;
    }
}
