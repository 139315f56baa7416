package dev.starling.protocol;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Redis's number conversions (util.c): strict integer parsing as string2ll, float parsing as
 * strtold with Redis's rejections, and %.17g formatting as C prints it.
 */
public final class Numbers {
    private Numbers() {}

    /**
     * What {@link #parseLong} returns for invalid input. The string of this very value also parses
     * to it, so callers confirm with {@link #isValidLong}.
     */
    public static final long INVALID = Long.MIN_VALUE + 0x5eed;
    private static final byte[] INVALID_TEXT = Long.toString(INVALID).getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** True if v, returned by parseLong for b, is a real value rather than the INVALID mark. */
    public static boolean isValidLong(long v, byte[] b) {
        return v != INVALID || java.util.Arrays.equals(b, INVALID_TEXT);
    }

    /**
     * Parses a strict base-10 long as Redis's string2ll: no spaces, no '+', no leading zeros, no
     * overflow. Returns INVALID if it does not parse.
     */
    public static long parseLong(byte[] b) {
        return parseLong(b, 0, b.length);
    }

    public static long parseLong(byte[] b, int off, int len) {
        if (len == 0 || len > 20) return INVALID;
        if (len == 1 && b[off] == '0') return 0;
        int i = off, end = off + len;
        boolean neg = false;
        if (b[i] == '-') {
            neg = true;
            i++;
            if (i == end) return INVALID;
        }
        if (b[i] < '1' || b[i] > '9') return INVALID;
        long v = 0;
        for (; i < end; i++) {
            int d = b[i] - '0';
            if (d < 0 || d > 9) return INVALID;
            // Accumulate negatively so Long.MIN_VALUE parses.
            if (v < (Long.MIN_VALUE + d) / 10) return INVALID;
            v = v * 10 - d;
        }
        if (!neg) {
            if (v == Long.MIN_VALUE) return INVALID;
            v = -v;
        }
        return v;
    }

    /** True if b is a strict long (Redis's string2ll). */
    public static boolean isLong(byte[] b) {
        return isValidLong(parseLong(b), b);
    }

    /**
     * Parses a double as Redis's getDoubleFromObject: strtod syntax (also "inf", "-inf", hex), no
     * leading or trailing space, not NaN. Returns NaN when invalid.
     */
    public static double parseDouble(byte[] b) {
        if (b.length == 0 || isSpace(b[0]) || isSpace(b[b.length - 1])) return Double.NaN;
        if (b.length <= 16) {
            // Up to 15 decimal digits (leading zeros allowed, as strtod reads them) are exactly a
            // double: skip the text parse on the common path (ZADD's scores).
            int i = b[0] == '-' || b[0] == '+' ? 1 : 0;
            long v = 0;
            int digits = 0;
            for (; i < b.length; i++) {
                int d = b[i] - '0';
                if (d < 0 || d > 9) break;
                v = v * 10 + d;
                digits++;
            }
            if (i == b.length && digits > 0 && digits <= 15) return b[0] == '-' ? (v == 0 ? -0.0 : -v) : v;
        }
        String s = new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
        String l = s.toLowerCase(java.util.Locale.ROOT);
        switch (l) {
            case "inf", "+inf", "infinity", "+infinity": return Double.POSITIVE_INFINITY;
            case "-inf", "-infinity": return Double.NEGATIVE_INFINITY;
            default:
        }
        for (int i = 0; i < l.length(); i++) {
            char c = l.charAt(i);
            if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == '-' || c == '+' || c == 'x' || (c >= 'a' && c <= 'f') || c == 'p')) {
                return Double.NaN;
            }
        }
        try {
            double d = l.startsWith("0x") || l.startsWith("-0x") || l.startsWith("+0x")
                    ? Double.parseDouble(l.contains("p") ? l : l + "p0")
                    : Double.parseDouble(l);
            if (l.endsWith("d") || l.endsWith("f")) return Double.NaN; // Java accepts these suffixes, C does not
            // strtod's ERANGE: Redis rejects a finite text that overflows, or underflows to zero.
            if (Double.isInfinite(d) || (d == 0 && hasNonZeroMantissa(l))) return Double.NaN;
            return d;
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** True if the mantissa (before the exponent) of a decimal or hex float text has a non-zero digit. */
    private static boolean hasNonZeroMantissa(String l) {
        boolean hex = l.contains("x");
        int start = hex ? l.indexOf('x') + 1 : 0;
        for (int i = start; i < l.length(); i++) {
            char c = l.charAt(i);
            if (hex ? c == 'p' : c == 'e') break;
            if ((c >= '1' && c <= '9') || (hex && c >= 'a' && c <= 'f')) return true;
        }
        return false;
    }

    private static boolean isSpace(byte c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0b || c == '\f';
    }

    /** Formats as C's printf("%.17g"), with "inf"/"-inf"/"nan" as Redis prints them. */
    public static String formatDouble(double d) {
        return formatG(d, 17);
    }

    /** C's %.{precision}g. */
    public static String formatG(double d, int precision) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return (1 / d < 0) ? "-0" : "0";
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return Long.toString((long) d);
        }
        BigDecimal bd = new BigDecimal(d).round(new MathContext(precision, RoundingMode.HALF_EVEN));
        int exp = bd.precision() - bd.scale() - 1;
        if (exp < -4 || exp >= precision) {
            BigDecimal unscaled = bd.movePointLeft(exp);
            String mant = stripZeros(unscaled.toPlainString());
            String e = Integer.toString(Math.abs(exp));
            return mant + "e" + (exp < 0 ? "-" : "+") + (e.length() < 2 ? "0" + e : e);
        }
        return stripZeros(bd.toPlainString());
    }

    private static String stripZeros(String s) {
        if (s.indexOf('.') < 0) return s;
        int end = s.length();
        while (s.charAt(end - 1) == '0') end--;
        if (s.charAt(end - 1) == '.') end--;
        return s.substring(0, end);
    }
}
