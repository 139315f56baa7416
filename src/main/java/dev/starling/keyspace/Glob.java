package dev.starling.keyspace;

/**
 * Redis's glob-style matcher (util.c stringmatchlen): {@code *}, {@code ?}, {@code [abc]},
 * {@code [^a]}, {@code [a-z]} and {@code \} escapes over binary-safe bytes.
 *
 * <p>Quirks kept on purpose so KEYS/SCAN MATCH agree with Redis byte for byte: bytes compare as
 * signed chars (ranges over bytes >= 0x80 behave as in C on x86), an unterminated {@code [} matches
 * what it has seen so far, ranges may be written backwards ({@code [z-a]}), and reads past the end of
 * the pattern see the NUL terminator an sds string always has.
 */
public final class Glob {
    private Glob() {}

    /** True if string matches pattern; nocase folds ASCII letters. */
    public static boolean match(byte[] pattern, byte[] string, boolean nocase) {
        return match(pattern, 0, pattern.length, string, 0, string.length, nocase);
    }

    public static boolean match(byte[] p, int poff, int plen, byte[] s, int soff, int slen, boolean nocase) {
        return new Matcher(p, poff, plen, nocase).matches(s, soff, slen);
    }

    /** A compiled-once pattern for matching many strings (KEYS, SCAN) without allocating per key. */
    public static Matcher compile(byte[] pattern, boolean nocase) {
        return new Matcher(pattern, 0, pattern.length, nocase);
    }

    /** One pattern; not thread-safe (holds per-match state), cheap to create. */
    public static final class Matcher {
        final byte[] p;
        final int poff, plen, pend;
        final boolean nocase;
        byte[] s;
        /** Set when the rest of the pattern cannot match anywhere later: longer '*' matches are pointless. */
        boolean skipLonger;

        Matcher(byte[] p, int poff, int plen, boolean nocase) {
            this.p = p;
            this.poff = poff;
            this.plen = plen;
            this.pend = poff + plen;
            this.nocase = nocase;
        }

        /** True if string matches the whole pattern. */
        public boolean matches(byte[] string) {
            return matches(string, 0, string.length);
        }

        public boolean matches(byte[] string, int soff, int slen) {
            s = string;
            skipLonger = false;
            try {
                return run(poff, plen, soff, slen);
            } catch (StackOverflowError e) {
                // Pathological patterns with tens of thousands of '*' groups: treat as no match.
                return false;
            } finally {
                s = null;
            }
        }

        /** The pattern byte at i, or 0 past the end (the sds terminator Redis reads). */
        int pat(int i) {
            return i < pend ? p[i] : 0;
        }

        int fold(int c) {
            return nocase && c >= 'A' && c <= 'Z' ? c + 32 : c;
        }

        boolean run(int pi, int plen, int si, int slen) {
            while (plen > 0 && slen > 0) {
                int c = p[pi];
                if (c == '*') {
                    while (plen > 0 && pat(pi + 1) == '*') {
                        pi++;
                        plen--;
                    }
                    if (plen == 1) return true;
                    while (slen > 0) {
                        if (run(pi + 1, plen - 1, si, slen)) return true;
                        if (skipLonger) return false;
                        si++;
                        slen--;
                    }
                    skipLonger = true;
                    return false;
                } else if (c == '?') {
                    si++;
                    slen--;
                } else if (c == '[') {
                    pi++;
                    plen--;
                    boolean not = pat(pi) == '^';
                    if (not) {
                        pi++;
                        plen--;
                    }
                    boolean match = false;
                    int sc = s[si];
                    for (;;) {
                        int pc = pat(pi);
                        if (pc == '\\' && plen >= 2) {
                            pi++;
                            plen--;
                            if (pat(pi) == sc) match = true;
                        } else if (pc == ']') {
                            break;
                        } else if (plen == 0) {
                            pi--;
                            plen++;
                            break;
                        } else if (plen >= 3 && pat(pi + 1) == '-') {
                            int start = pc, end = pat(pi + 2), x = sc;
                            if (start > end) {
                                int t = start;
                                start = end;
                                end = t;
                            }
                            if (nocase) {
                                start = fold(start);
                                end = fold(end);
                                x = fold(x);
                            }
                            pi += 2;
                            plen -= 2;
                            if (x >= start && x <= end) match = true;
                        } else if (fold(pc) == fold(sc)) {
                            match = true;
                        }
                        pi++;
                        plen--;
                    }
                    if (not) match = !match;
                    if (!match) return false;
                    si++;
                    slen--;
                } else {
                    if (c == '\\' && plen >= 2) {
                        pi++;
                        plen--;
                        c = p[pi];
                    }
                    if (fold(c) != fold(s[si])) return false;
                    si++;
                    slen--;
                }
                pi++;
                plen--;
                if (slen == 0) {
                    while (pat(pi) == '*') {
                        pi++;
                        plen--;
                    }
                    break;
                }
            }
            return plen == 0 && slen == 0;
        }
    }
}
