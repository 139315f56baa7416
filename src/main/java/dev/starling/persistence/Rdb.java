package dev.starling.persistence;

/**
 * RDB format constants. Persisted values: append-only, each equal to Redis's (rdb.h of 7.0 for
 * versions up to 10; 7.2 and 7.4 for the later types, which Starling reads but never writes).
 */
public final class Rdb {
    private Rdb() {}

    /** The RDB version Starling writes (Redis 7.0's RDB_VERSION). */
    public static final int VERSION = 10;
    /** The newest version read (Redis 7.4 writes 12). */
    public static final int MAX_READ_VERSION = 12;

    // Length encodings: the top two bits of the first byte (rdb.h RDB_6BITLEN ...).
    public static final int LEN_6BIT = 0, LEN_14BIT = 1, LEN_32BIT = 0x80, LEN_64BIT = 0x81, ENCVAL = 3;
    // Special string encodings after ENCVAL (RDB_ENC_*).
    public static final int ENC_INT8 = 0, ENC_INT16 = 1, ENC_INT32 = 2, ENC_LZF = 3;

    // Object types (RDB_TYPE_*).
    public static final int TYPE_STRING = 0;
    public static final int TYPE_LIST = 1;
    public static final int TYPE_SET = 2;
    public static final int TYPE_ZSET = 3;
    public static final int TYPE_HASH = 4;
    public static final int TYPE_ZSET_2 = 5;
    public static final int TYPE_MODULE = 6;
    public static final int TYPE_MODULE_2 = 7;
    public static final int TYPE_HASH_ZIPMAP = 9;
    public static final int TYPE_LIST_ZIPLIST = 10;
    public static final int TYPE_SET_INTSET = 11;
    public static final int TYPE_ZSET_ZIPLIST = 12;
    public static final int TYPE_HASH_ZIPLIST = 13;
    public static final int TYPE_LIST_QUICKLIST = 14;
    public static final int TYPE_STREAM_LISTPACKS = 15;
    public static final int TYPE_HASH_LISTPACK = 16;
    public static final int TYPE_ZSET_LISTPACK = 17;
    public static final int TYPE_LIST_QUICKLIST_2 = 18;
    public static final int TYPE_STREAM_LISTPACKS_2 = 19;
    /** Redis 7.2. */
    public static final int TYPE_SET_LISTPACK = 20;
    /** Redis 7.2. */
    public static final int TYPE_STREAM_LISTPACKS_3 = 21;
    /** Redis 7.4 release candidates: hashes with field TTLs. */
    public static final int TYPE_HASH_METADATA_PRE_GA = 22, TYPE_HASH_LISTPACK_EX_PRE_GA = 23;
    /** Redis 7.4: hashes with field TTLs. */
    public static final int TYPE_HASH_METADATA = 24, TYPE_HASH_LISTPACK_EX = 25;

    // Opcodes (RDB_OPCODE_*).
    public static final int OPCODE_SLOT_INFO = 244; // 7.4
    public static final int OPCODE_FUNCTION2 = 245;
    public static final int OPCODE_FUNCTION_PRE_GA = 246;
    public static final int OPCODE_MODULE_AUX = 247;
    public static final int OPCODE_IDLE = 248;
    public static final int OPCODE_FREQ = 249;
    public static final int OPCODE_AUX = 250;
    public static final int OPCODE_RESIZEDB = 251;
    public static final int OPCODE_EXPIRETIME_MS = 252;
    public static final int OPCODE_EXPIRETIME = 253;
    public static final int OPCODE_SELECTDB = 254;
    public static final int OPCODE_EOF = 255;

    // Quicklist node containers (quicklist.h QUICKLIST_NODE_CONTAINER_*).
    public static final int CONTAINER_PLAIN = 1, CONTAINER_PACKED = 2;

    // Module value opcodes (RDB_MODULE_OPCODE_*).
    public static final int MODULE_OPCODE_EOF = 0;

    /** Redis 7.0's rdbIsObjectType: the types a 7.0 server loads (RESTORE accepts no others). */
    public static boolean isObjectType70(int t) {
        return (t >= 0 && t <= 7) || (t >= 9 && t <= 19);
    }

    /** Every object type some Redis version up to 7.4 writes (what the reader understands or names). */
    public static boolean isObjectType(int t) {
        return (t >= 0 && t <= 7) || (t >= 9 && t <= 25);
    }

    /** A name for type t in error messages. */
    public static String typeName(int t) {
        return switch (t) {
            case TYPE_STRING -> "STRING";
            case TYPE_LIST -> "LIST";
            case TYPE_SET -> "SET";
            case TYPE_ZSET -> "ZSET";
            case TYPE_HASH -> "HASH";
            case TYPE_ZSET_2 -> "ZSET_2";
            case TYPE_MODULE -> "MODULE";
            case TYPE_MODULE_2 -> "MODULE_2";
            case TYPE_HASH_ZIPMAP -> "HASH_ZIPMAP";
            case TYPE_LIST_ZIPLIST -> "LIST_ZIPLIST";
            case TYPE_SET_INTSET -> "SET_INTSET";
            case TYPE_ZSET_ZIPLIST -> "ZSET_ZIPLIST";
            case TYPE_HASH_ZIPLIST -> "HASH_ZIPLIST";
            case TYPE_LIST_QUICKLIST -> "LIST_QUICKLIST";
            case TYPE_STREAM_LISTPACKS -> "STREAM_LISTPACKS";
            case TYPE_HASH_LISTPACK -> "HASH_LISTPACK";
            case TYPE_ZSET_LISTPACK -> "ZSET_LISTPACK";
            case TYPE_LIST_QUICKLIST_2 -> "LIST_QUICKLIST_2";
            case TYPE_STREAM_LISTPACKS_2 -> "STREAM_LISTPACKS_2";
            case TYPE_SET_LISTPACK -> "SET_LISTPACK";
            case TYPE_STREAM_LISTPACKS_3 -> "STREAM_LISTPACKS_3";
            case TYPE_HASH_METADATA_PRE_GA -> "HASH_METADATA_PRE_GA";
            case TYPE_HASH_LISTPACK_EX_PRE_GA -> "HASH_LISTPACK_EX_PRE_GA";
            case TYPE_HASH_METADATA -> "HASH_METADATA";
            case TYPE_HASH_LISTPACK_EX -> "HASH_LISTPACK_EX";
            default -> "UNKNOWN(" + t + ")";
        };
    }
}
