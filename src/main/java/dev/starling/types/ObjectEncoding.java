package dev.starling.types;

import dev.starling.protocol.Numbers;

/** TYPE and OBJECT ENCODING names of a value, as Redis reports them. */
public final class ObjectEncoding {
    private ObjectEncoding() {}

    /** Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT: strings up to this length are created "embstr". */
    public static final int EMBSTR_SIZE_LIMIT = 44;

    /** Values of the collection types (issue 3) report their own type and encoding. */
    public interface Typed {
        String typeName();

        String encodingName();
    }

    /** "string", "list", ... or "none" for null. */
    public static String typeName(Object v) {
        if (v == null) return "none";
        if (v instanceof byte[] || v instanceof RawString) return "string";
        if (v instanceof Typed t) return t.typeName();
        return "none";
    }

    /**
     * "int", "embstr" or "raw" for strings: immutable byte[] values are encoded by content, as
     * Redis's tryObjectEncoding does on SET; strings modified in place are "raw".
     */
    public static String encodingName(Object v) {
        if (v instanceof byte[] b) {
            if (b.length <= 20 && Numbers.isLong(b)) return "int";
            return b.length <= EMBSTR_SIZE_LIMIT ? "embstr" : "raw";
        }
        if (v instanceof RawString r) return r.embstr ? "embstr" : "raw";
        if (v instanceof Typed t) return t.encodingName();
        return "unknown";
    }
}
