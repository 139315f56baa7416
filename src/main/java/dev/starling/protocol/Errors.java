package dev.starling.protocol;

/**
 * Every error text Starling sends, byte-exact with Redis 7.0 (server.c shared objects and the
 * texts of t_string.c, db.c, expire.c, networking.c, config.c). A text without a leading '-' is
 * sent as "-ERR text"; one with '-' carries its own code.
 */
public final class Errors {
    private Errors() {}

    public static final String WRONGTYPE = "-WRONGTYPE Operation against a key holding the wrong kind of value";
    public static final String SYNTAX = "syntax error";
    public static final String NOT_INTEGER = "value is not an integer or out of range";
    public static final String SORT_SCORE_NOT_DOUBLE = "One or more scores can't be converted into double";
    public static final String NOT_FLOAT = "value is not a valid float";
    public static final String OUT_OF_RANGE = "index out of range";
    public static final String NO_SUCH_KEY = "no such key";
    public static final String DB_INDEX_OUT_OF_RANGE = "DB index is out of range";
    public static final String INVALID_DB_INDEX = "invalid DB index";
    public static final String NOAUTH = "-NOAUTH Authentication required.";
    public static final String WRONGPASS = "-WRONGPASS invalid username-password pair or user is disabled.";
    public static final String AUTH_NOT_CONFIGURED = "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";
    public static final String OOM = "-OOM command not allowed when used memory > 'maxmemory'.";
    public static final String INCR_OVERFLOW = "increment or decrement would overflow";
    public static final String INVALID_EXPIRE = "invalid expire time in '%s' command";
    public static final String MAX_CLIENTS = "max number of clients reached";
    public static final String STRING_TOO_LONG = "string exceeds maximum allowed size (proto-max-bulk-len)";
    public static final String BIT_OFFSET = "bit offset is not an integer or out of range";
    public static final String BIT_VALUE = "bit is not an integer or out of range";
    public static final String INVALID_CURSOR = "invalid cursor";
    public static final String MULTI_NESTED = "MULTI calls can not be nested";
    public static final String EXEC_WITHOUT_MULTI = "EXEC without MULTI";
    public static final String DISCARD_WITHOUT_MULTI = "DISCARD without MULTI";
    public static final String WATCH_IN_MULTI = "WATCH inside MULTI is not allowed";
    public static final String NOT_ALLOWED_IN_MULTI = "Command not allowed inside a transaction";
    public static final String EXECABORT = "-EXECABORT Transaction discarded because of previous errors.";
    /** A rejected EXEC inside MULTI: the rejection's text without its leading '-'. */
    public static String execAbortBecause(String err) {
        return "-EXECABORT Transaction discarded because of: " + (err.startsWith("-") ? err.substring(1) : err);
    }

    // t_list.c
    public static final String POP_COUNT_NOT_POSITIVE = "value is out of range, must be positive";
    public static final String LPOS_RANK_ZERO = "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
    public static final String LPOS_COUNT_NEGATIVE = "COUNT can't be negative";
    public static final String LPOS_MAXLEN_NEGATIVE = "MAXLEN can't be negative";
    public static final String NUMKEYS_NOT_POSITIVE = "numkeys should be greater than 0";
    public static final String COUNT_NOT_POSITIVE = "count should be greater than 0";
    // t_set.c
    public static final String MUST_BE_POSITIVE = "value is out of range, must be positive";
    public static final String SRANDMEMBER_RANGE = "value is out of range, value must between -9223372036854775807 and 9223372036854775807";
    public static final String NUMKEYS_POSITIVE = "numkeys should be greater than 0";
    public static final String NUMKEYS_TOO_MANY = "Number of keys can't be greater than number of args";
    public static final String LIMIT_NEGATIVE = "LIMIT can't be negative";

    // cluster.c (DUMP / RESTORE)
    public static final String BUSYKEY = "-BUSYKEY Target key name already exists.";
    public static final String RESTORE_BAD_IDLETIME = "Invalid IDLETIME value, must be >= 0";
    public static final String RESTORE_BAD_FREQ = "Invalid FREQ value, must be >= 0 and <= 255";
    public static final String RESTORE_BAD_TTL = "Invalid TTL value, must be >= 0";
    public static final String DUMP_PAYLOAD_WRONG = "DUMP payload version or checksum are wrong";
    public static final String BAD_DATA_FORMAT = "Bad data format";

    public static final String SAME_OBJECT = "source and destination objects are the same";
    // t_string.c and bitops.c
    public static final String OFFSET_OUT_OF_RANGE = "offset is out of range";
    public static final String DECR_OVERFLOW = "decrement would overflow";
    public static final String INCR_NAN = "increment would produce NaN or Infinity";
    public static final String LCS_WRONGTYPE = "The specified keys must contain string values";
    public static final String LCS_LEN_AND_IDX = "If you want both the length and indexes, please just use IDX.";
    public static final String LCS_NO_MEMORY = "Insufficient memory, failed allocating transient memory for LCS";
    public static final String BITPOS_BIT = "The bit argument must be 1 or 0.";
    public static final String BITOP_NOT_ARGS = "BITOP NOT must be called with a single source key.";
    public static final String BITFIELD_OVERFLOW_TYPE = "Invalid OVERFLOW type specified";
    public static final String BITFIELD_TYPE = "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
    public static final String BITFIELD_RO_WRITE = "BITFIELD_RO only supports the GET subcommand";
    // hyperloglog.c
    public static final String HLL_WRONGTYPE = "-WRONGTYPE Key is not a valid HyperLogLog string value.";
    public static final String HLL_INVALIDOBJ = "-INVALIDOBJ Corrupted HLL object detected";
    public static final String PFDEBUG_NO_KEY = "The specified key does not exist";
    public static final String PFDEBUG_NOT_SPARSE = "HLL encoding is not sparse";
    public static final String PFDEBUG_UNKNOWN = "Unknown PFDEBUG subcommand '%s'";
    public static final String EXPIRE_NX_INCOMPATIBLE = "NX and XX, GT or LT options at the same time are not compatible";
    public static final String EXPIRE_GT_LT_INCOMPATIBLE = "GT and LT options at the same time are not compatible";
    public static final String INVALID_FIRST_DB_INDEX = "invalid first DB index";
    public static final String INVALID_SECOND_DB_INDEX = "invalid second DB index";
    public static final String UNKNOWN_TYPE_OBJECT = "unknown type object";
    public static final String OBJECT_FREQ_NOT_LFU = "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
    public static final String OBJECT_IDLETIME_LFU = "An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
    public static final String INT_OUT_OF_RANGE = "value is out of range, value must between -2147483648 and 2147483647";
    public static final String HELLO_NOAUTH = "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time";
    public static final String CLIENT_NAME_CHARS = "Client names cannot contain spaces, newlines or special characters.";
    public static final String NO_SUCH_CLIENT = "No such client";
    public static final String INVALID_CLIENT_ID = "Invalid client ID";
    public static final String CLIENT_ID_POSITIVE = "client-id should be greater than 0";
    public static final String PAUSE_MODE = "CLIENT PAUSE mode must be WRITE or ALL";
    public static final String TIMEOUT_NOT_INTEGER = "timeout is not an integer or out of range";
    public static final String TIMEOUT_NEGATIVE = "timeout is negative";
    public static final String TIMEOUT_NOT_FLOAT = "timeout is not a float or out of range";
    public static final String UNBLOCKED_BY_CLIENT_UNBLOCK = "-UNBLOCKED client unblocked via CLIENT UNBLOCK";
    public static final String CLIENT_UNBLOCK_REASON = "CLIENT UNBLOCK reason should be TIMEOUT or ERROR";
    public static final String TIMEOUT_OUT_OF_RANGE = "timeout is out of range";
    public static final String SLOWLOG_COUNT = "count should be greater than or equal to -1";
    public static final String INVALID_COMMAND = "Invalid command specified";
    public static final String COMMAND_NO_KEYS = "The command has no key arguments";
    public static final String INVALID_COMMAND_ARGC = "Invalid number of arguments specified for command";
    public static final String INVALID_COMMAND_ARGS = "Invalid arguments specified for command";
    public static final String NO_SHUTDOWN = "No shutdown in progress.";
    public static final String SHUTDOWN_ERRORS = "Errors trying to SHUTDOWN. Check logs.";
    public static final String SHUTDOWN_DENY_BLOCKING = "SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client";
    public static final String MONITOR_DENY_BLOCKING = "MONITOR isn't allowed for DENY BLOCKING client";
    public static final String DENIED_PROTECTED = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.";

    // t_zset.c
    public static final String ZADD_XX_NX = "XX and NX options at the same time are not compatible";
    public static final String ZADD_GT_LT_NX = "GT, LT, and/or NX options at the same time are not compatible";
    public static final String ZADD_INCR_PAIR = "INCR option supports a single increment-element pair";
    public static final String ZSET_NAN = "resulting score is not a number (NaN)";
    public static final String ZRANGE_NOT_FLOAT = "min or max is not a float";
    public static final String ZRANGE_NOT_LEX = "min or max not valid string range item";
    public static final String ZRANGE_LIMIT = "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
    public static final String ZRANGE_BYLEX_WITHSCORES = "syntax error, WITHSCORES not supported in combination with BYLEX";
    public static final String WEIGHT_NOT_FLOAT = "weight value is not a float";

    /** t_zset.c's "at least 1 input key is needed for '%s' command". */
    public static String atLeastOneKey(String fullName) {
        return "at least 1 input key is needed for '" + fullName + "' command";
    }

    // t_hash.c
    public static final String HASH_VALUE_NOT_INTEGER = "hash value is not an integer";
    public static final String HASH_VALUE_NOT_FLOAT = "hash value is not a float";
    public static final String VALUE_NAN_OR_INF = "value is NaN or Infinity";
    public static final String VALUE_OUT_OF_RANGE = "value is out of range";

    // Replication, primary side (replication.c, server.c).
    public static final String NOREPLICAS = "-NOREPLICAS Not enough good replicas to write.";
    public static final String NOMASTERLINK_SYNC = "-NOMASTERLINK Can't SYNC while not connected with my master";
    public static final String SYNC_PENDING_OUTPUT = "SYNC and PSYNC are invalid with pending output";
    public static final String FAILOVER_CLUSTER = "FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.";
    public static final String FAILOVER_NONE = "No failover in progress.";
    public static final String FAILOVER_TIMEOUT = "FAILOVER timeout must be greater than 0";
    public static final String FAILOVER_ALREADY = "FAILOVER already in progress.";
    public static final String FAILOVER_REPLICA = "FAILOVER is not valid when server is a replica.";
    public static final String FAILOVER_NO_REPLICAS = "FAILOVER requires connected replicas.";
    public static final String FAILOVER_FORCE = "FAILOVER with force option requires both a timeout and target HOST and IP.";
    public static final String FAILOVER_NOT_REPLICA = "FAILOVER target HOST and PORT is not a replica.";
    public static final String FAILOVER_NOT_ONLINE = "FAILOVER target replica is not online.";
    public static final String NOMASTERLINK_FAILING_OVER = "-NOMASTERLINK Can't SYNC while failing over";
    public static final String REPLICAOF_FAILING_OVER = "REPLICAOF not allowed while failing over.";
    public static final String PSYNC_FAILOVER_MASTER = "PSYNC FAILOVER can't be sent to a master.";
    public static final String PSYNC_FAILOVER_REPLID = "PSYNC FAILOVER replid must match my replid.";
    public static final String BGSAVE_FAILED_REPLICATION = "BGSAVE failed, replication can't continue";
    public static final String WAIT_ON_REPLICA = "WAIT cannot be used with replica instances. Please also note that since Redis 4.0 "
            + "if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.";

    public static String replconfUnrecognized(byte[] option) {
        return "Unrecognized REPLCONF option: " + new String(option, java.nio.charset.StandardCharsets.UTF_8);
    }

    public static String replconfIpTooLong(int len) {
        return "REPLCONF ip-address provided by replica instance is too long: " + len + " bytes";
    }

    /** Redis's getRangeLongFromObjectOrReply without a message. */
    public static String rangeLong(long min, long max) {
        return "value is out of range, value must between " + min + " and " + max;
    }

    /** Redis's addReplySubcommandSyntaxError. */
    public static String subcommandSyntax(byte[] sub, String container) {
        String s = new String(sub, java.nio.charset.StandardCharsets.UTF_8);
        if (s.length() > 128) s = s.substring(0, 128);
        return "unknown subcommand or wrong number of arguments for '" + s + "'. Try " + container.toUpperCase(java.util.Locale.ROOT) + " HELP.";
    }

    public static final String NOPROTO = "-NOPROTO unsupported protocol version";

    /** Redis's "unknown command '%.128s', with args beginning with: 'a' 'b' ". */
    public static String unknownCommand(byte[][] argv, int argc) {
        StringBuilder args = new StringBuilder();
        for (int i = 1; i < argc && args.length() < 128; i++) {
            String a = new String(argv[i], java.nio.charset.StandardCharsets.UTF_8);
            int room = 128 - args.length();
            args.append('\'').append(a, 0, Math.min(a.length(), room)).append("' ");
        }
        String name = new String(argv[0], java.nio.charset.StandardCharsets.UTF_8);
        if (name.length() > 128) name = name.substring(0, 128);
        return "unknown command '" + name + "', with args beginning with: " + args;
    }

    /** Redis's "unknown subcommand '%.128s'. Try %s HELP." */
    public static String unknownSubcommand(byte[] sub, String container) {
        String s = new String(sub, java.nio.charset.StandardCharsets.UTF_8);
        if (s.length() > 128) s = s.substring(0, 128);
        return "unknown subcommand '" + s + "'. Try " + container.toUpperCase(java.util.Locale.ROOT) + " HELP.";
    }

    /** processCommand's RESP2 subscribed-mode rejection. */
    public static String pubsubContext(String fullName) {
        return "Can't execute '" + fullName + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context";
    }

    public static final String SSUBSCRIBE_DENY_BLOCKING = "SSUBSCRIBE isn't allowed for a DENY BLOCKING client";

    public static String arity(String fullName) {
        return "wrong number of arguments for '" + fullName + "' command";
    }

    // ---------------------------------------------------------------- RDB persistence
    public static final String BGSAVE_IN_PROGRESS = "Background save already in progress";
    public static final String BGSAVE_CHILD_ACTIVE = "Another child process is active (AOF?): can't BGSAVE right now. "
            + "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.";
    /** Redis's shared.err: a bare "-ERR" (SAVE or BGSAVE that failed to start). */
    public static final String ERR_BARE = "-ERR";
    public static final String REPLICAOF_CLUSTER = "REPLICAOF not allowed in cluster mode.";
    public static final String REPLICAOF_FROM_REPLICA = "Command is not valid when client is a replica.";
    public static final String UNBLOCKED_ROLE_CHANGE = "-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)";
    public static final String INVALID_MASTER_PORT = "Invalid master port";
    public static final String READONLY = "-READONLY You can't write against a read only replica.";
    public static final String MASTERDOWN = "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
    public static final String MISCONF = "-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. "
            + "Commands that may modify the data set are disabled, because this instance is configured to report errors during writes "
            + "if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";
    /** Redis's shared.loadingerr: commands without the "loading" flag while a dataset loads. */
    public static final String LOADING = "-LOADING Redis is loading the dataset in memory";
    public static final String DEBUG_RELOAD_OPTIONS = "DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.";
    public static final String DEBUG_RELOAD_FAILED = "Error trying to load the RDB dump";
}
