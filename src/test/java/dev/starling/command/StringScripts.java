package dev.starling.command;

import dev.starling.support.Differential;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs command scripts from src/test/resources/strings against both servers. One command a line,
 * redis-cli quoting ("..." with \xHH escapes, '...' literal), '#' comments; "@list KEY" makes KEY
 * hold a one-element list on both servers (for WRONGTYPE cases).
 */
final class StringScripts {
    private StringScripts() {}

    record Line(String file, int number, String text) {
        @Override
        public String toString() {
            return file + ":" + number + " " + text;
        }
    }

    static List<Line> load(String file) {
        try (InputStream in = StringScripts.class.getResourceAsStream("/strings/" + file)) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            List<Line> lines = new ArrayList<>();
            String[] raw = text.split("\n");
            for (int i = 0; i < raw.length; i++) {
                String t = raw[i].strip();
                if (t.isEmpty() || t.startsWith("#")) continue;
                lines.add(new Line(file, i + 1, t));
            }
            return lines;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs one script line on both servers, asserting identical replies. */
    static void run(Differential diff, Line line) {
        List<byte[]> args = split(line.text());
        if (new String(args.get(0), StandardCharsets.US_ASCII).equals("@list")) {
            makeList(diff, args.get(1));
            return;
        }
        diff.same(args.toArray(new byte[0][]));
    }

    static void makeList(Differential diff, byte[] key) {
        diff.same("DEL".getBytes(), key);
        diff.same("RPUSH".getBytes(), key, "x".getBytes());
    }

    /** Empties both servers (Starling directly on its executor, until FLUSHALL is merged). */
    static void reset(Differential diff) {
        diff.flushAll();
    }

    /** redis-cli style splitting. */
    static List<byte[]> split(String line) {
        List<byte[]> out = new ArrayList<>();
        int i = 0, n = line.length();
        while (i < n) {
            while (i < n && line.charAt(i) == ' ') i++;
            if (i >= n) break;
            ByteArrayOutputStream cur = new ByteArrayOutputStream();
            char q = line.charAt(i);
            if (q == '"') {
                i++;
                while (i < n && line.charAt(i) != '"') {
                    char ch = line.charAt(i);
                    if (ch == '\\' && i + 1 < n) {
                        char e = line.charAt(++i);
                        switch (e) {
                            case 'x' -> {
                                cur.write(Integer.parseInt(line.substring(i + 1, i + 3), 16));
                                i += 2;
                            }
                            case 'n' -> cur.write('\n');
                            case 'r' -> cur.write('\r');
                            case 't' -> cur.write('\t');
                            default -> cur.write(e);
                        }
                    } else {
                        cur.write(ch);
                    }
                    i++;
                }
                i++;
            } else if (q == '\'') {
                i++;
                while (i < n && line.charAt(i) != '\'') cur.write(line.charAt(i++));
                i++;
            } else {
                while (i < n && line.charAt(i) != ' ') cur.write(line.charAt(i++));
            }
            out.add(cur.toByteArray());
        }
        return out;
    }
}
