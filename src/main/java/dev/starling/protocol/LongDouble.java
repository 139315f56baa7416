package dev.starling.protocol;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;

/**
 * The x87 80-bit "long double" Redis uses for INCRBYFLOAT, emulated exactly with BigDecimal: a
 * value is kept as the exact decimal expansion of a binary number with a 64-bit significand, so
 * parsing (strtold), addition and printing ("%.17Lf" with trailing zeros trimmed) give the same
 * digits as redis-server on x86-64. Not a hot path: INCRBYFLOAT only.
 */
public final class LongDouble {
    private LongDouble() {}

    /** Redis's MAX_LONG_DOUBLE_CHARS: longer strings are not parsed. */
    public static final int MAX_CHARS = 5 * 1024;

    /** The smallest exponent of the significand's last bit (subnormals: 2^-16445). */
    private static final int MIN_EXP = -16445;
    /** Values at or above 2^16384 overflow to infinity. */
    private static final int MAX_EXP = 16384;

    private static final BigInteger TWO_63 = BigInteger.ONE.shiftLeft(63);
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);
    private static final double LOG2_10 = Math.log(10) / Math.log(2);

    /** Marks for values that are not finite numbers. */
    public static final BigDecimal POS_INF = new BigDecimal("1e999999999");
    public static final BigDecimal NEG_INF = new BigDecimal("-1e999999999");

    /**
     * Parses b as Redis's getLongDoubleFromObject (strtold, whole string, no leading space, no NaN,
     * no overflow or underflow to zero). Returns the exact value, POS_INF/NEG_INF for "inf", or null
     * if invalid.
     */
    public static BigDecimal parse(byte[] b, int off, int len) {
        if (len == 0 || len > MAX_CHARS) return null;
        int i = off, end = off + len;
        boolean neg = false;
        if (b[i] == '+' || b[i] == '-') {
            neg = b[i] == '-';
            i++;
        }
        if (i == end) return null;
        if (isAlpha(b[i], 'i') || isAlpha(b[i], 'n')) {
            String s = new String(b, i, end - i, java.nio.charset.StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT);
            if (s.equals("inf") || s.equals("infinity")) return neg ? NEG_INF : POS_INF;
            return null; // nan and anything else
        }
        BigDecimal exact;
        if (end - i > 1 && b[i] == '0' && (b[i + 1] == 'x' || b[i + 1] == 'X')) {
            exact = parseHex(b, i + 2, end);
        } else {
            exact = parseDecimal(b, i, end);
        }
        if (exact == null) return null;
        if (neg) exact = exact.negate();
        BigDecimal r = round(exact);
        if (r == null) return null; // overflow: ERANGE with HUGE_VAL
        if (r.signum() == 0 && exact.signum() != 0) return null; // underflow to zero: ERANGE
        return r;
    }

    private static boolean isAlpha(byte c, char lower) {
        return c == lower || c == lower - 32;
    }

    private static BigDecimal parseDecimal(byte[] b, int i, int end) {
        int digits = 0;
        int j = i;
        while (j < end && b[j] >= '0' && b[j] <= '9') { j++; digits++; }
        if (j < end && b[j] == '.') {
            j++;
            while (j < end && b[j] >= '0' && b[j] <= '9') { j++; digits++; }
        }
        if (digits == 0) return null;
        if (j < end && (b[j] == 'e' || b[j] == 'E')) {
            j++;
            if (j < end && (b[j] == '+' || b[j] == '-')) j++;
            int ed = 0;
            while (j < end && b[j] >= '0' && b[j] <= '9') { j++; ed++; }
            if (ed == 0) return null; // strtold would stop before 'e': trailing garbage
        }
        if (j != end) return null;
        try {
            return new BigDecimal(new String(b, i, end - i, java.nio.charset.StandardCharsets.ISO_8859_1));
        } catch (NumberFormatException | ArithmeticException e) {
            // An exponent beyond int range: zero stays zero, anything else overflows or underflows.
            boolean zero = true;
            int k = i;
            for (; k < end && b[k] != 'e' && b[k] != 'E'; k++) if (b[k] >= '1' && b[k] <= '9') zero = false;
            if (zero) return BigDecimal.ZERO;
            return k + 1 < end && b[k + 1] == '-' ? TINY_EXACT : POS_INF_EXACT;
        }
    }

    private static BigDecimal parseHex(byte[] b, int i, int end) {
        BigInteger mant = BigInteger.ZERO;
        int digits = 0;
        long exp = 0;
        boolean dot = false;
        int j = i;
        for (; j < end; j++) {
            int d = Character.digit(b[j], 16);
            if (b[j] == '.' && !dot) {
                dot = true;
                continue;
            }
            if (d < 0 || b[j] > 'f') break;
            mant = mant.shiftLeft(4).or(BigInteger.valueOf(d));
            digits++;
            if (dot) exp -= 4;
        }
        if (digits == 0) return null;
        if (j < end && (b[j] == 'p' || b[j] == 'P')) {
            j++;
            boolean eneg = false;
            if (j < end && (b[j] == '+' || b[j] == '-')) eneg = b[j++] == '-';
            int ed = 0;
            long e = 0;
            while (j < end && b[j] >= '0' && b[j] <= '9') {
                if (e < 1_000_000) e = e * 10 + (b[j] - '0');
                j++;
                ed++;
            }
            if (ed == 0) return null;
            exp += eneg ? -e : e;
        }
        if (j != end) return null;
        if (mant.signum() == 0) return BigDecimal.ZERO;
        if (exp > 20000) return POS_INF_EXACT;
        if (exp < -20000 - mant.bitLength()) return TINY_EXACT;
        return scale2(new BigDecimal(mant), (int) exp);
    }

    // Stand-ins for hex literals far outside the range: they round to overflow or to zero.
    private static final BigDecimal POS_INF_EXACT = BigDecimal.ONE.scaleByPowerOfTen(9999);
    private static final BigDecimal TINY_EXACT = BigDecimal.ONE.scaleByPowerOfTen(-9999);

    /** x * 2^e, exactly. */
    private static BigDecimal scale2(BigDecimal x, int e) {
        if (e >= 0) return x.multiply(new BigDecimal(BigInteger.ONE.shiftLeft(e)));
        return x.multiply(new BigDecimal(BigInteger.valueOf(5).pow(-e))).movePointLeft(-e);
    }

    /**
     * Rounds an exact value to the nearest long double (ties to even); null on overflow. Infinity
     * marks pass through.
     */
    public static BigDecimal round(BigDecimal x) {
        if (x == POS_INF || x == NEG_INF) return x;
        if (x.signum() == 0) return BigDecimal.ZERO;
        BigDecimal a = x.abs();
        long est = a.unscaledValue().bitLength() - (long) Math.ceil(a.scale() * LOG2_10);
        if (est > MAX_EXP + 4) return null;
        if (est < MIN_EXP - 4) return BigDecimal.ZERO;
        int e = (int) est - 64;
        BigInteger q;
        for (;;) {
            if (e < MIN_EXP) e = MIN_EXP;
            BigDecimal y = scale2(a, -e);
            BigInteger whole = y.setScale(0, RoundingMode.FLOOR).toBigIntegerExact();
            if (whole.compareTo(TWO_64) >= 0) {
                e++;
                continue;
            }
            if (whole.compareTo(TWO_63) < 0 && e > MIN_EXP) {
                e--;
                continue;
            }
            q = y.setScale(0, RoundingMode.HALF_EVEN).toBigIntegerExact();
            break;
        }
        if (q.equals(TWO_64)) {
            q = TWO_63;
            e++;
        }
        if ((long) e + 64 > MAX_EXP) return null;
        BigDecimal r = scale2(new BigDecimal(q), e);
        return x.signum() < 0 ? r.negate() : r;
    }

    /** a + b as long double arithmetic; null if the result is NaN or infinite. */
    public static BigDecimal add(BigDecimal a, BigDecimal b) {
        boolean ai = a == POS_INF || a == NEG_INF, bi = b == POS_INF || b == NEG_INF;
        if (ai || bi) return null; // inf + x is inf or NaN
        return round(a.add(b));
    }

    /** Redis's ld2string(LD_STR_HUMAN): "%.17Lf" with trailing zeros (and a bare '.') removed, "-0" as "0". */
    public static byte[] toHumanString(BigDecimal v) {
        String s = v.setScale(17, RoundingMode.HALF_EVEN).toPlainString();
        int end = s.length();
        while (s.charAt(end - 1) == '0') end--;
        if (s.charAt(end - 1) == '.') end--;
        s = s.substring(0, end);
        if (s.equals("-0")) s = "0";
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
