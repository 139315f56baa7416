package dev.starling.command;

/** Redis's stringmatchlen: glob matching with *, ?, [a-z], [^...] and backslash escapes. */
public final class Glob {
    private Glob() {}

    /** Returns true if string[soff, soff+slen) matches pattern[poff, poff+plen). */
    public static boolean match(byte[] p, int pi, int plen, byte[] s, int si, int slen, boolean nocase) {
        int pend = pi + plen, send = si + slen;
        while (pi < pend && si <= send) {
            byte pc = p[pi];
            switch (pc) {
                case '*' -> {
                    while (pi + 1 < pend && p[pi + 1] == '*') pi++;
                    if (pi + 1 == pend) return true;
                    for (int k = si; k <= send; k++) {
                        if (match(p, pi + 1, pend - pi - 1, s, k, send - k, nocase)) return true;
                    }
                    return false;
                }
                case '?' -> {
                    if (si == send) return false;
                    si++;
                }
                case '[' -> {
                    if (si == send) return false;
                    pi++;
                    boolean not = pi < pend && p[pi] == '^';
                    if (not) pi++;
                    boolean found = false;
                    while (true) {
                        if (pi >= pend) {
                            pi--;
                            break;
                        }
                        if (p[pi] == '\\' && pi + 1 < pend) {
                            pi++;
                            if (p[pi] == s[si]) found = true;
                        } else if (p[pi] == ']') {
                            break;
                        } else if (pi + 2 < pend && p[pi + 1] == '-') {
                            int start = p[pi] & 0xff, end = p[pi + 2] & 0xff, ch = s[si] & 0xff;
                            if (start > end) {
                                int t = start;
                                start = end;
                                end = t;
                            }
                            if (nocase) {
                                start = lower(start);
                                end = lower(end);
                                ch = lower(ch);
                            }
                            pi += 2;
                            if (ch >= start && ch <= end) found = true;
                        } else if (nocase ? lower(p[pi] & 0xff) == lower(s[si] & 0xff) : p[pi] == s[si]) {
                            found = true;
                        }
                        pi++;
                    }
                    if (not) found = !found;
                    if (!found) return false;
                    si++;
                }
                default -> {
                    if (pc == '\\' && pi + 1 < pend) {
                        pi++;
                        pc = p[pi];
                    }
                    if (si == send) return false;
                    if (nocase ? lower(pc & 0xff) != lower(s[si] & 0xff) : pc != s[si]) return false;
                    si++;
                }
            }
            pi++;
            if (si == send) {
                while (pi < pend && p[pi] == '*') pi++;
                break;
            }
        }
        return pi == pend && si == send;
    }

    private static int lower(int c) {
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    }
}
