/**
 * Persistence: Redis 7.0's RDB format (version 10 written, 1 to 12 read), CRC-64 and LZF, used by
 * DUMP/RESTORE and, through the same codec, by RDB files, replication transfers and snapshots.
 *
 * <h2>The codec</h2>
 * <ul>
 * <li>{@link dev.starling.persistence.RdbWriter} serializes values (rdbSaveObjectType /
 *     rdbSaveObject, byte-identical to redis-server's for the same value and encoding) and the
 *     file-level pieces: opcodes, lengths, millisecond times, AUX fields, key/value pairs with
 *     their expire and IDLE/FREQ. It buffers and hands chunks to an
 *     {@link dev.starling.persistence.RdbSink} (a file, a socket, an
 *     {@link dev.starling.persistence.RdbBuffer}) or keeps everything in memory; it keeps the
 *     running CRC-64 of what it wrote.</li>
 * <li>{@link dev.starling.persistence.RdbReader} reads from one array (a RESTORE payload) or an
 *     {@link dev.starling.persistence.RdbSource} (a file, a socket), keeps the running CRC-64 of
 *     what it consumed, and loads values of every type any Redis wrote (rdbLoadObject), with
 *     7.0's conversions. Failures are {@link dev.starling.persistence.RdbException}s whose kind
 *     says what Redis does with them (a short read, corruption, an empty key to skip, something
 *     unsupported).</li>
 * <li>{@link dev.starling.persistence.Integrity} reproduces Redis's blob validations (listpack,
 *     ziplist, zipmap, intset, stream listpack); the reader always applies them fully.</li>
 * <li>{@link dev.starling.persistence.Lzf} is liblzf as Redis builds it, so compressed strings and
 *     quicklist nodes are Redis's bytes; {@link dev.starling.persistence.Crc64} is Redis's CRC.</li>
 * </ul>
 *
 * <h2>Writing a file or a snapshot</h2>
 * An RDB file is "REDIS0010", AUX fields, then per database SELECTDB and RESIZEDB and each key
 * ({@code saveKeyValuePair}), then EOF and the 8-byte little-endian CRC-64 of everything before
 * it ({@code crc()} after writing EOF).
 *
 * <h2>Streaming a snapshot as RDB</h2>
 * {@link dev.starling.persistence.RdbSnapshotSerializer} is the one way to turn a forkless
 * snapshot into RDB bytes: BGSAVE uses it through {@link dev.starling.persistence.RdbFileWriter},
 * and a replica's full sync or an AOF rewrite's RDB preamble use it the same way with their own
 * sink and AUX fields. On the executor it only captures each key (a reference, or a copy of a
 * mutable buffer); its thread encodes, compresses, checksums and writes in order, and the walk
 * pauses while too much is queued. Used without {@code start} it writes synchronously (SAVE).
 *
 * <h2>Loading a whole dataset</h2>
 * {@link dev.starling.persistence.Loading} ({@code server.loading}) is the server's loading state
 * and the one way to load a dataset while serving: a job fills a fresh keyspace on its own thread
 * (clients get -LOADING meanwhile, INFO shows the loading_* fields), the executor swaps it in when
 * the job succeeds, and nothing changes when it fails or is cancelled. The RDB file at start-up uses
 * it ({@code RdbPersistence.startLoadingFromDisk}, {@code RdbFileLoader.load(file, keyspace, progress)});
 * a replica's full sync runs the same loader over the transfer. The AOF at start-up uses it too
 * ({@code AofPersistence.startLoadingAtStart}): its RDB base loads on the job's thread, while its
 * commands are parsed there and applied on the executor in batches into the fresh keyspace
 * (command handlers belong on the executor; see {@link dev.starling.persistence.AofLoader}).
 *
 * <h2>The append-only file</h2>
 * {@link dev.starling.persistence.AofPersistence} is Redis 7.0's multi-part AOF: an
 * {@link dev.starling.persistence.AofManifest} naming one base (an RDB with aof-base 1, or
 * commands written by {@link dev.starling.persistence.AofCommandWriter}) and incr files fed from
 * the propagated stream through an {@link dev.starling.persistence.AofWriter} thread; BGREWRITEAOF
 * is a forkless snapshot plus a new incr file opened at the cut;
 * {@link dev.starling.persistence.AofLoader} replays a directory at start-up and for DEBUG LOADAOF;
 * automatic rewrites back off after repeated failures ({@code aofRewriteLimited}).
 */
package dev.starling.persistence;
