package dev.starling.persistence;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The multi-part AOF manifest (aof.c's aofManifest): one BASE file, HISTORY files waiting to be
 * deleted, and the ordered INCR files, stored as {@code <appendfilename>.manifest} in the AOF
 * directory, one line per file in Redis 7.0's format:
 * <pre>
 * file appendonly.aof.2.base.rdb seq 2 type b
 * file appendonly.aof.1.incr.aof seq 1 type h
 * file appendonly.aof.2.incr.aof seq 2 type i
 * </pre>
 * The base comes first, then history, then incr files (getAofManifestAsString). A manifest is
 * changed by copying it ({@link #dup}), modifying the copy and persisting it (temp file, fsync,
 * rename, fsync of the directory); only then does the copy replace the server's, so a failure
 * leaves the old one in force, as aofManifestDup/aofManifestFreeAndUpdate do.
 */
public final class AofManifest {
    public static final char TYPE_BASE = 'b', TYPE_HIST = 'h', TYPE_INCR = 'i';
    static final int MANIFEST_MAX_LINE = 1024;

    /** One file of the manifest (aofInfo). */
    public static final class Info {
        public final String fileName;
        public final long seq;
        public char type;

        Info(String fileName, long seq, char type) {
            this.fileName = fileName;
            this.seq = seq;
            this.type = type;
        }

        Info copy() {
            return new Info(fileName, seq, type);
        }
    }

    /** Why a manifest could not be read: Redis's text, the line number and line (or 0 and null). */
    public static final class FormatError extends Exception {
        public final int lineNum;
        public final String line;

        FormatError(String message, int lineNum, String line) {
            super(message, null, false, false);
            this.lineNum = lineNum;
            this.line = line;
        }
    }

    public Info base;
    public final List<Info> history = new ArrayList<>();
    public final List<Info> incr = new ArrayList<>();
    long currBaseSeq, currIncrSeq;
    boolean dirty;

    /** aofManifestDup: a deep copy to modify. */
    AofManifest dup() {
        AofManifest m = new AofManifest();
        m.base = base == null ? null : base.copy();
        for (Info i : history) m.history.add(i.copy());
        for (Info i : incr) m.incr.add(i.copy());
        m.currBaseSeq = currBaseSeq;
        m.currIncrSeq = currIncrSeq;
        m.dirty = dirty;
        return m;
    }

    boolean isEmpty() {
        return base == null && incr.isEmpty();
    }

    // ---------------------------------------------------------------- naming

    /**
     * getNewBaseFileNameAndMarkPreAsHistory: the next base name ({@code <name>.<seq>.base.rdb}, or
     * {@code .base.aof} without the RDB preamble); the previous base becomes the first history entry.
     */
    String newBaseAndMarkPreviousAsHistory(String aofFilename, boolean rdbPreamble) {
        if (base != null) {
            base.type = TYPE_HIST;
            history.add(0, base);
        }
        long seq = ++currBaseSeq;
        base = new Info(aofFilename + "." + seq + ".base" + (rdbPreamble ? ".rdb" : ".aof"), seq, TYPE_BASE);
        dirty = true;
        return base.fileName;
    }

    /** getNewIncrAofName: appends the next incr file ({@code <name>.<seq>.incr.aof}). */
    String newIncr(String aofFilename) {
        long seq = ++currIncrSeq;
        Info i = new Info(aofFilename + "." + seq + ".incr.aof", seq, TYPE_INCR);
        incr.add(i);
        dirty = true;
        return i.fileName;
    }

    /** getLastIncrAofName: the last incr file, or a new one if there is none. */
    String lastIncrOrNew(String aofFilename) {
        return incr.isEmpty() ? newIncr(aofFilename) : incr.get(incr.size() - 1).fileName;
    }

    /**
     * markRewrittenIncrAofAsHistory: every incr file but the last (the one being written, when
     * the AOF is on) becomes history, newest first.
     */
    void markRewrittenIncrAsHistory(boolean keepLast) {
        int n = incr.size() - (keepLast ? 1 : 0);
        for (int i = n - 1; i >= 0; i--) {
            Info x = incr.remove(i);
            x.type = TYPE_HIST;
            history.add(0, x);
        }
        if (n > 0) dirty = true;
    }

    static String tempIncrName(String aofFilename) {
        return "temp-" + aofFilename + ".incr";
    }

    static String manifestName(String aofFilename) {
        return aofFilename + ".manifest";
    }

    // ---------------------------------------------------------------- text

    /** getAofManifestAsString. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        if (base != null) line(sb, base);
        for (Info i : history) line(sb, i);
        for (Info i : incr) line(sb, i);
        return sb.toString();
    }

    private static void line(StringBuilder sb, Info i) {
        sb.append("file ").append(needsRepr(i.fileName) ? dev.starling.config.ConfigLoader.repr(i.fileName) : i.fileName)
                .append(" seq ").append(i.seq).append(" type ").append(i.type).append('\n');
    }

    /** sdsneedsrepr: a name with spaces, quotes or non-printable bytes is written quoted. */
    private static boolean needsRepr(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' || c == '"' || c == '\n' || c == '\r' || c == '\t' || c == '\u0007' || c == '\b'
                    || c < 0x20 || c > 0x7e || c == ' ') return true;
        }
        return false;
    }

    /** aofLoadManifestFromFile's parser, with its error texts. */
    public static AofManifest parse(byte[] text) throws FormatError {
        AofManifest am = new AofManifest();
        long maxSeq = 0;
        int pos = 0, lineNum = 0;
        if (text.length == 0) throw new FormatError("Found an empty AOF manifest", 0, null);
        while (pos < text.length) {
            // fgets with a MANIFEST_MAX_LINE+1 buffer: at most 1024 bytes, up to and including '\n'.
            int end = pos, limit = Math.min(text.length, pos + MANIFEST_MAX_LINE);
            while (end < limit && text[end] != '\n') end++;
            boolean hasNewline = end < text.length && text[end] == '\n' && end < pos + MANIFEST_MAX_LINE;
            String raw = new String(text, pos, end - pos, StandardCharsets.UTF_8);
            pos = hasNewline ? end + 1 : end;
            lineNum++;
            if (raw.startsWith("#")) continue;
            if (!hasNewline) throw new FormatError("The AOF manifest file contains too long line", 0, null);
            String line = raw.strip();
            if (line.isEmpty()) throw new FormatError("Invalid AOF manifest file format", lineNum, line);
            List<String> argv = splitArgs(line);
            if (argv == null || argv.size() < 6 || argv.size() % 2 != 0) {
                throw new FormatError("Invalid AOF manifest file format", lineNum, line);
            }
            String name = null;
            long seq = 0;
            char type = 0;
            for (int i = 0; i < argv.size(); i += 2) {
                String k = argv.get(i), v = argv.get(i + 1);
                if (k.equalsIgnoreCase("file")) {
                    name = v;
                    if (name.indexOf('/') >= 0 || name.equals(".") || name.equals("..")) {
                        throw new FormatError("File can't be a path, just a filename", lineNum, line);
                    }
                } else if (k.equalsIgnoreCase("seq")) {
                    seq = atoll(v);
                } else if (k.equalsIgnoreCase("type")) {
                    type = v.isEmpty() ? 0 : v.charAt(0);
                }
            }
            if (name == null || seq == 0 || type == 0) throw new FormatError("Invalid AOF manifest file format", lineNum, line);
            Info ai = new Info(name, seq, type);
            switch (type) {
                case TYPE_BASE -> {
                    if (am.base != null) throw new FormatError("Found duplicate base file information", lineNum, line);
                    am.base = ai;
                    am.currBaseSeq = seq;
                }
                case TYPE_HIST -> am.history.add(ai);
                case TYPE_INCR -> {
                    if (seq <= maxSeq) throw new FormatError("Found a non-monotonic sequence number", lineNum, line);
                    am.incr.add(ai);
                    am.currIncrSeq = seq;
                    maxSeq = seq;
                }
                default -> throw new FormatError("Unknown AOF file type", lineNum, line);
            }
        }
        return am;
    }

    private static long atoll(String s) {
        int i = 0, n = s.length();
        while (i < n && Character.isWhitespace(s.charAt(i))) i++;
        boolean neg = i < n && s.charAt(i) == '-';
        if (neg || (i < n && s.charAt(i) == '+')) i++;
        long v = 0;
        for (; i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9'; i++) v = v * 10 + (s.charAt(i) - '0');
        return neg ? -v : v;
    }

    /** sdssplitargs: space-separated words, "double" quotes with escapes, 'single' quotes; null if unbalanced. */
    static List<String> splitArgs(String line) {
        List<String> out = new ArrayList<>();
        int i = 0, n = line.length();
        for (;;) {
            while (i < n && Character.isWhitespace(line.charAt(i))) i++;
            if (i >= n) return out;
            StringBuilder cur = new StringBuilder();
            boolean inq = false, insq = false;
            for (;;) {
                if (inq) {
                    if (i >= n) return null;
                    char c = line.charAt(i);
                    if (c == '\\' && i + 3 < n && line.charAt(i + 1) == 'x' && isHex(line.charAt(i + 2)) && isHex(line.charAt(i + 3))) {
                        cur.append((char) Integer.parseInt(line.substring(i + 2, i + 4), 16));
                        i += 3;
                    } else if (c == '\\' && i + 1 < n) {
                        char e = line.charAt(++i);
                        cur.append(switch (e) {
                            case 'n' -> '\n';
                            case 'r' -> '\r';
                            case 't' -> '\t';
                            case 'b' -> '\b';
                            case 'a' -> '\u0007';
                            default -> e;
                        });
                    } else if (c == '"') {
                        if (i + 1 < n && !Character.isWhitespace(line.charAt(i + 1))) return null;
                        i++;
                        break;
                    } else {
                        cur.append(c);
                    }
                } else if (insq) {
                    if (i >= n) return null;
                    char c = line.charAt(i);
                    if (c == '\\' && i + 1 < n && line.charAt(i + 1) == '\'') {
                        i++;
                        cur.append('\'');
                    } else if (c == '\'') {
                        if (i + 1 < n && !Character.isWhitespace(line.charAt(i + 1))) return null;
                        i++;
                        break;
                    } else {
                        cur.append(c);
                    }
                } else {
                    if (i >= n) break;
                    char c = line.charAt(i);
                    if (Character.isWhitespace(c)) break;
                    if (c == '"') inq = true;
                    else if (c == '\'') insq = true;
                    else cur.append(c);
                }
                i++;
            }
            out.add(cur.toString());
        }
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    // ---------------------------------------------------------------- disk

    /**
     * writeAofManifestFile: writes the text to temp-&lt;name&gt;.manifest, fsyncs, renames it over the
     * manifest and fsyncs the directory. Returns null or the log line that says what failed.
     */
    static String write(Path dir, String aofFilename, String text) {
        String name = manifestName(aofFilename), tmpName = "temp-" + name;
        Path tmp = dir.resolve(tmpName);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer bb = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            try {
                while (bb.hasRemaining()) ch.write(bb);
            } catch (IOException e) {
                return "Error trying to write the temporary AOF manifest file " + tmpName + ": " + RdbPersistence.ioReason(e);
            }
            try {
                ch.force(true);
            } catch (IOException e) {
                return "Fail to fsync the temp AOF file " + tmpName + ": " + RdbPersistence.ioReason(e) + ".";
            }
        } catch (IOException e) {
            return "Can't open the AOF manifest file " + tmpName + ": " + RdbPersistence.ioReason(e);
        }
        try {
            Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            return "Error trying to rename the temporary AOF manifest file " + tmpName + " into " + name + ": " + RdbPersistence.ioReason(e);
        }
        fsyncDir(dir);
        return null;
    }

    /** fsyncFileDir: makes renames and new files in dir durable (not every filesystem allows it). */
    static void fsyncDir(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // As Redis, nothing more to do where directories cannot be synced.
        }
    }
}
