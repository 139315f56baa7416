package dev.starling.config;

/** Redis's stringmatchlen: glob matching with *, ?, [a-z], [^...] and backslash escapes. */
public final class StringMatch {
    private StringMatch() {}

    /** Returns true if s matches the glob pattern p (ASCII case-folded when nocase). */
    public static boolean match(String p, String s, boolean nocase) {
        return match(p, 0, s, 0, nocase, 0);
    }

    private static char fold(char c, boolean nocase) {
        return nocase ? Character.toLowerCase(c) : c;
    }

    private static boolean match(String p, int pi, String s, int si, boolean nocase, int depth) {
        if (depth > 1000) return false;
        int plen = p.length(), slen = s.length();
        while (pi < plen && si < slen) {
            char pc = p.charAt(pi);
            switch (pc) {
                case '*' -> {
                    while (pi + 1 < plen && p.charAt(pi + 1) == '*') pi++;
                    if (pi + 1 == plen) return true;
                    for (int k = si; k < slen; k++) if (match(p, pi + 1, s, k, nocase, depth + 1)) return true;
                    return false;
                }
                case '?' -> si++;
                case '[' -> {
                    pi++;
                    boolean not = pi < plen && p.charAt(pi) == '^';
                    if (not) pi++;
                    boolean matched = false;
                    while (true) {
                        if (pi >= plen) {
                            pi--;
                            break;
                        }
                        char c = p.charAt(pi);
                        if (c == '\\' && pi + 2 < plen) {
                            pi++;
                            if (p.charAt(pi) == s.charAt(si)) matched = true;
                        } else if (c == ']') {
                            break;
                        } else if (pi + 2 < plen && p.charAt(pi + 1) == '-') {
                            char start = c, end = p.charAt(pi + 2), x = s.charAt(si);
                            if (start > end) {
                                char t = start;
                                start = end;
                                end = t;
                            }
                            if (nocase) {
                                start = Character.toLowerCase(start);
                                end = Character.toLowerCase(end);
                                x = Character.toLowerCase(x);
                            }
                            pi += 2;
                            if (x >= start && x <= end) matched = true;
                        } else if (fold(c, nocase) == fold(s.charAt(si), nocase)) {
                            matched = true;
                        }
                        pi++;
                    }
                    if (not) matched = !matched;
                    if (!matched) return false;
                    si++;
                }
                case '\\' -> {
                    if (pi + 1 < plen) pi++;
                    if (fold(p.charAt(pi), nocase) != fold(s.charAt(si), nocase)) return false;
                    si++;
                }
                default -> {
                    if (fold(pc, nocase) != fold(s.charAt(si), nocase)) return false;
                    si++;
                }
            }
            pi++;
            if (si == slen) {
                while (pi < plen && p.charAt(pi) == '*') pi++;
                break;
            }
        }
        return pi == plen && si == slen;
    }
}
