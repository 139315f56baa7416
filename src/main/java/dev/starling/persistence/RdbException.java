package dev.starling.persistence;

/**
 * A value or file that cannot be loaded. The kind tells callers what Redis would do: a short read
 * (rdbReportReadError: the input ended or a length could not be read), corruption
 * (rdbReportCorruptRDB), an empty collection (RDB_LOAD_ERR_EMPTY_KEY: the key is skipped when
 * loading a file), or something Starling does not support (module values, hash field TTLs). The
 * message is Redis's reason text where it has one.
 */
public final class RdbException extends Exception {
    public enum Kind { SHORT_READ, CORRUPT, EMPTY_KEY, UNSUPPORTED }

    public final Kind kind;

    public RdbException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    static RdbException corrupt(String message) {
        return new RdbException(Kind.CORRUPT, message);
    }

    static RdbException shortRead(String message) {
        return new RdbException(Kind.SHORT_READ, message);
    }

    static RdbException emptyKey() {
        return new RdbException(Kind.EMPTY_KEY, "empty key");
    }
}
