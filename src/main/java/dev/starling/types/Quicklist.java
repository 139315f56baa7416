package dev.starling.types;

import dev.starling.command.Digest;
import dev.starling.persistence.Lzf;
import dev.starling.keyspace.MemorySize;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Redis 7.0's list value (quicklist.c): a doubly linked list of nodes, each a {@link Listpack}
 * (a PACKED node) or a single huge element (a PLAIN node), with the inner nodes LZF-compressed.
 *
 * <h2>Why it mirrors quicklist.c step by step</h2>
 * Node boundaries decide memory and what RDB writes (RDB_TYPE_LIST_QUICKLIST_2 is one record per
 * node: its container, then the listpack bytes or the LZF block with its raw size). Pushes, inserts,
 * splits, merges and deletes follow Redis's rules exactly, so the same commands leave the same nodes
 * as redis-server (DEBUG OBJECT's ql_nodes and ql_uncompressed_size agree):
 * <ul>
 * <li>fill (list-max-listpack-size) and compress (list-compress-depth) are taken when the list is
 *     created and kept by the list, as Redis 7.0 does (CONFIG SET affects new lists only).</li>
 * <li>A node accepts an element while its estimated size (sz + element + 8) stays within the
 *     fill's byte limit (-1..-5: 4..64 KB); for a positive fill, while it holds fewer than fill
 *     elements and stays within SIZE_SAFETY_LIMIT (8 KB). So an element above 8 KB gets a node of
 *     its own. Elements of packedThreshold bytes or more (1 GB) are PLAIN nodes.</li>
 * <li>Compression: the compress nodes at each end stay raw; the walk of __quicklistCompress runs
 *     after every node change. A node under 48 bytes, or one LZF cannot shrink by 8 bytes, stays
 *     raw. Nodes are merged only after an insert split a full node (_quicklistMergeNodes); deletes
 *     never merge, as in 7.0.</li>
 * </ul>
 *
 * <h2>Reading</h2>
 * Iterators in read mode decompress an inner node into a temporary array and leave the node as it
 * is; write iterators decompress the node itself and recompress it when they leave it, as Redis's
 * quicklistNext / quicklistDelEntry do. Replies are written straight from the listpack bytes.
 *
 * <p>Everything runs on the command executor; nothing here is thread-safe.
 */
public final class Quicklist implements ObjectEncoding.Typed, Digest.Digestible, Duplicable, MemorySize.Sized {
    /** Redis's optimization_level: node byte limits for fill -1..-5. */
    private static final int[] OPTIMIZATION_LEVEL = {4096, 8192, 16384, 32768, 65536};
    /** Max bytes of a multi-element node when the fill is an element count. */
    static final int SIZE_SAFETY_LIMIT = 8192;
    /** Overestimate of an entry's header and backlen when checking whether it fits. */
    static final int SIZE_ESTIMATE_OVERHEAD = 8;
    /** Nodes smaller than this are never compressed. */
    public static final int MIN_COMPRESS_BYTES = 48;
    /** Compression must save at least this much, else the node stays raw. */
    public static final int MIN_COMPRESS_IMPROVE = 8;
    static final int FILL_MAX = (1 << 15) - 1, COMPRESS_MAX = (1 << 16) - 1;

    /**
     * Elements of at least this many bytes live in PLAIN nodes (Redis's packed_threshold, 1 GB,
     * changed by DEBUG QUICKLIST-PACKED-THRESHOLD). Global, as in Redis.
     */
    public static volatile long packedThreshold = 1L << 30;

    /** Node flags. */
    static final int LZF = 1, PLAIN = 2, RECOMPRESS = 4;

    /** Redis's quicklistNode. */
    public static final class Node {
        Node prev, next;
        /** The listpack (may have spare capacity), the LZF block (exact length), or a PLAIN element. */
        byte[] entry;
        /** Uncompressed bytes: the listpack's total or the element's length. */
        int sz;
        int count;
        byte flags;

        public Node next() {
            return next;
        }

        public int count() {
            return count;
        }

        public int size() {
            return sz;
        }

        public boolean isPlain() {
            return (flags & PLAIN) != 0;
        }

        public boolean isCompressed() {
            return (flags & LZF) != 0;
        }

        /** The stored bytes: listpack (see {@link Listpack#toBytes}), LZF block, or the element. */
        public byte[] stored() {
            return entry;
        }

        /** The uncompressed contents (a copy if the node is compressed). */
        public byte[] raw() {
            return (flags & LZF) != 0 ? Lzf.decompress(entry, 0, sz) : entry;
        }
    }

    Node head, tail;
    long count;
    int len;
    int fill, compress;
    /** Heap estimate of the nodes and their arrays, kept in step with every change. */
    private long nodeBytes;

    private static final long QUICKLIST_BYTES = 48, NODE_BYTES = 40;

    public Quicklist(int fill, int compress) {
        this.fill = Math.max(-5, Math.min(FILL_MAX, fill));
        this.compress = Math.max(0, Math.min(COMPRESS_MAX, compress));
    }

    public long count() {
        return count;
    }

    /** Number of nodes. */
    public int nodes() {
        return len;
    }

    public int fill() {
        return fill;
    }

    public int compressDepth() {
        return compress;
    }

    public Node head() {
        return head;
    }

    // ---------------------------------------------------------------- memory accounting

    private static long arrayBytes(byte[] a) {
        return MemorySize.ofArray(a.length);
    }

    private void setEntry(Node n, byte[] e) {
        byte[] old = n.entry;
        if (old == e) return;
        nodeBytes += arrayBytes(e) - (old == null ? 0 : arrayBytes(old));
        n.entry = e;
    }

    /** After a Listpack call that may have returned a bigger array. */
    private void packed(Node n, byte[] lp) {
        int sz = Listpack.bytes(lp);
        // Redis reallocs listpacks to their size after deletes; keep a little slack for pushes.
        if (lp.length > sz + (sz >>> 2) + 64) lp = Arrays.copyOf(lp, sz);
        setEntry(n, lp);
        n.sz = sz;
    }

    @Override
    public long memoryBytes() {
        return QUICKLIST_BYTES + nodeBytes;
    }

    // ---------------------------------------------------------------- compression

    private static boolean isLargeElement(long sz) {
        return sz >= packedThreshold;
    }

    /** __quicklistCompressNode: true if the node is now compressed. */
    private boolean compressNodeRaw(Node n) {
        n.flags &= ~RECOMPRESS;
        if (n.sz < MIN_COMPRESS_BYTES) return false;
        // Redis's buffer is node->sz bytes, then it requires an 8-byte saving.
        byte[] block = Lzf.compress(n.entry, 0, n.sz, n.sz);
        if (block == null || block.length + MIN_COMPRESS_IMPROVE >= n.sz) return false;
        setEntry(n, block);
        n.flags |= LZF;
        return true;
    }

    /** quicklistCompressNode: compresses only raw nodes. */
    private void compressNode(Node n) {
        if (n != null && (n.flags & LZF) == 0) compressNodeRaw(n);
    }

    private void decompressNodeRaw(Node n) {
        n.flags &= ~RECOMPRESS;
        setEntry(n, Lzf.decompress(n.entry, 0, n.sz));
        n.flags &= ~LZF;
    }

    /** quicklistDecompressNode. */
    private void decompressNode(Node n) {
        if (n != null && (n.flags & LZF) != 0) decompressNodeRaw(n);
    }

    /** quicklistDecompressNodeForUse: decompressed now, recompressed when done with. */
    private void decompressForUse(Node n) {
        if (n != null && (n.flags & LZF) != 0) {
            decompressNodeRaw(n);
            n.flags |= RECOMPRESS;
        }
    }

    private void recompressOnly(Node n) {
        if ((n.flags & RECOMPRESS) != 0) compressNode(n);
    }

    /**
     * __quicklistCompress: keeps the compress nodes at each end raw and compresses the first node
     * past that depth on both sides, and node if it lies inside. Node may be null.
     */
    private void compressWalk(Node node) {
        if (len == 0) return;
        if (compress == 0 || len < compress * 2) return;
        Node forward = head, reverse = tail;
        int depth = 0;
        boolean inDepth = false;
        while (depth++ < compress) {
            decompressNode(forward);
            decompressNode(reverse);
            if (forward == node || reverse == node) inDepth = true;
            if (forward == reverse || forward.next == reverse) return;
            forward = forward.next;
            reverse = reverse.prev;
        }
        if (!inDepth) compressNode(node);
        compressNode(forward);
        compressNode(reverse);
    }

    /** quicklistCompress. */
    private void compress(Node n) {
        if ((n.flags & RECOMPRESS) != 0) compressNode(n);
        else compressWalk(n);
    }

    // ---------------------------------------------------------------- node management

    private Node newNode() {
        nodeBytes += NODE_BYTES;
        return new Node();
    }

    private Node newPackedNode(byte[] value, boolean atHead) {
        Node n = newNode();
        byte[] lp = Listpack.create(value.length + 6);
        lp = atHead ? Listpack.prepend(lp, value) : Listpack.append(lp, value);
        packed(n, lp);
        return n;
    }

    private Node newPlainNode(byte[] value) {
        Node n = newNode();
        setEntry(n, value.clone());
        n.flags = PLAIN;
        n.sz = value.length;
        n.count = 1;
        return n;
    }

    /** __quicklistInsertNode: links newNode after (or before) old, then recompresses both. */
    private void insertNode(Node old, Node newNode, boolean after) {
        if (after) {
            newNode.prev = old;
            if (old != null) {
                newNode.next = old.next;
                if (old.next != null) old.next.prev = newNode;
                old.next = newNode;
            }
            if (tail == old) tail = newNode;
        } else {
            newNode.next = old;
            if (old != null) {
                newNode.prev = old.prev;
                if (old.prev != null) old.prev.next = newNode;
                old.prev = newNode;
            }
            if (head == old) head = newNode;
        }
        if (len == 0) head = tail = newNode;
        len++;
        if (old != null) compress(old);
        compress(newNode);
    }

    private void insertPlainNode(Node old, byte[] value, boolean after) {
        insertNode(old, newPlainNode(value), after);
        count++;
    }

    /** __quicklistDelNode. */
    private void delNode(Node n) {
        if (n.next != null) n.next.prev = n.prev;
        if (n.prev != null) n.prev.next = n.next;
        if (n == tail) tail = n.prev;
        if (n == head) head = n.next;
        len--;
        count -= n.count;
        compressWalk(null);
        nodeBytes -= NODE_BYTES + arrayBytes(n.entry);
        n.entry = null;
        n.prev = n.next = null;
    }

    private static boolean sizeMeetsOptimizationRequirement(long sz, int fill) {
        if (fill >= 0) return false;
        int offset = -fill - 1;
        return offset < OPTIMIZATION_LEVEL.length && sz <= OPTIMIZATION_LEVEL[offset];
    }

    /** _quicklistNodeAllowInsert. */
    private static boolean allowInsert(Node n, int fill, int sz) {
        if (n == null) return false;
        if ((n.flags & PLAIN) != 0 || isLargeElement(sz)) return false;
        long newSz = (long) n.sz + sz + SIZE_ESTIMATE_OVERHEAD;
        if (sizeMeetsOptimizationRequirement(newSz, fill)) return true;
        if (newSz > SIZE_SAFETY_LIMIT) return false;
        return n.count < fill;
    }

    /** _quicklistNodeAllowMerge. */
    private static boolean allowMerge(Node a, Node b, int fill) {
        if (a == null || b == null) return false;
        if ((a.flags & PLAIN) != 0 || (b.flags & PLAIN) != 0) return false;
        long mergeSz = (long) a.sz + b.sz - 11;
        if (sizeMeetsOptimizationRequirement(mergeSz, fill)) return true;
        if (mergeSz > SIZE_SAFETY_LIMIT) return false;
        return a.count + b.count <= fill;
    }

    // ---------------------------------------------------------------- push / pop

    /** quicklistPushHead; returns true if a new head node was created. */
    public boolean pushHead(byte[] value) {
        Node orig = head;
        if (isLargeElement(value.length)) {
            insertPlainNode(head, value, false);
            return true;
        }
        if (allowInsert(head, fill, value.length)) {
            packed(head, Listpack.prepend(head.entry, value));
        } else {
            insertNode(head, newPackedNode(value, true), false);
        }
        count++;
        head.count++;
        return orig != head;
    }

    /** quicklistPushTail; returns true if a new tail node was created. */
    public boolean pushTail(byte[] value) {
        Node orig = tail;
        if (isLargeElement(value.length)) {
            insertPlainNode(tail, value, true);
            return true;
        }
        if (allowInsert(tail, fill, value.length)) {
            packed(tail, Listpack.append(tail.entry, value));
        } else {
            insertNode(tail, newPackedNode(value, false), true);
        }
        count++;
        tail.count++;
        return orig != tail;
    }

    public void push(byte[] value, boolean atHead) {
        if (atHead) pushHead(value);
        else pushTail(value);
    }

    /**
     * Appends a node built elsewhere (RDB loading: quicklistAppendListpack / AppendPlainNode). The
     * listpack array is kept as given.
     */
    public void appendNode(byte[] data, boolean plain) {
        Node n = newNode();
        setEntry(n, data);
        if (plain) {
            n.flags = PLAIN;
            n.sz = data.length;
            n.count = 1;
        } else {
            n.sz = Listpack.bytes(data);
            n.count = Listpack.size(data);
        }
        insertNode(tail, n, true);
        count += n.count;
    }

    /** quicklistPop: removes and returns the head or tail element (integers as decimal text), or null. */
    public byte[] pop(boolean fromHead) {
        if (count == 0) return null;
        Node n = fromHead ? head : tail;
        if ((n.flags & PLAIN) != 0) {
            byte[] v = n.entry;
            delNode(n);
            return v;
        }
        byte[] lp = n.entry;
        int p = fromHead ? Listpack.first(lp) : Listpack.last(lp);
        byte[] v = Listpack.get(lp, p);
        delIndex(n, p);
        return v;
    }

    /** quicklistDelIndex: deletes the entry at byte offset p of n; returns true if n was deleted. */
    private boolean delIndex(Node n, int p) {
        if ((n.flags & PLAIN) != 0) {
            delNode(n);
            return true;
        }
        packed(n, Listpack.delete(n.entry, p));
        n.count--;
        boolean gone = n.count == 0;
        if (gone) delNode(n);
        count--;
        return gone;
    }

    // ---------------------------------------------------------------- iteration

    /** The node and offset of the element at index (negative from the tail), or false if out of range. */
    private boolean seekIndex(long idx, Iter it) {
        boolean forward = idx >= 0;
        long index = forward ? idx : -idx - 1;
        if (index >= count) return false;
        boolean seekForward = forward;
        long seekIndex = index;
        if (index > (count - 1) / 2) {
            seekForward = !forward;
            seekIndex = count - 1 - index;
        }
        Node n = seekForward ? head : tail;
        long accum = 0;
        while (n != null) {
            if (accum + n.count > seekIndex) break;
            accum += n.count;
            n = seekForward ? n.next : n.prev;
        }
        if (n == null) return false;
        if (seekForward != forward) accum = count - n.count - accum;
        it.node = n;
        // Offsets are kept from the node's start (Redis uses negative ones when seeking from the tail).
        it.offset = (int) (forward ? index - accum : n.count + (-index - 1 + accum));
        return true;
    }

    /**
     * An iterator over entries. After {@link #next} returns true, the entry is read with
     * {@link #isInt}/{@link #intValue} or {@link #buf}/{@link #off}/{@link #len}. Write iterators
     * may delete the current entry ({@link #delete}) and must be {@link #release}d.
     */
    public final class Iter {
        Node node;
        byte[] lp;
        int p = -1;
        int offset;
        boolean forward, write;
        /** True until the first next() at the current node (Redis's zi == NULL). */
        boolean seek = true;

        /** True if the current entry is an integer. */
        public boolean isInt() {
            return (node.flags & PLAIN) == 0 && Listpack.isInt(lp, p);
        }

        public long intValue() {
            return Listpack.getInt(lp, p);
        }

        /** The array holding the current string entry. */
        public byte[] buf() {
            return lp;
        }

        public int off() {
            return (node.flags & PLAIN) != 0 ? 0 : Listpack.strOffset(lp, p);
        }

        public int len() {
            return (node.flags & PLAIN) != 0 ? node.sz : Listpack.strLength(lp, p);
        }

        /** The current entry as bytes (a copy; integers in decimal). */
        public byte[] value() {
            if ((node.flags & PLAIN) != 0) return Arrays.copyOf(lp, node.sz);
            return Listpack.get(lp, p);
        }

        /** True if the current entry equals s (Redis's quicklistCompare). */
        public boolean eq(byte[] s) {
            if ((node.flags & PLAIN) != 0) return node.sz == s.length && Arrays.equals(lp, 0, node.sz, s, 0, s.length);
            return Listpack.eq(lp, p, s);
        }

        /** Advances to the next entry; false at the end (Redis's quicklistNext). */
        public boolean next() {
            while (node != null) {
                boolean plain = (node.flags & PLAIN) != 0;
                if (seek) {
                    seek = false;
                    if (write) {
                        decompressForUse(node);
                        lp = node.entry;
                    } else {
                        lp = (node.flags & LZF) != 0 ? Lzf.decompress(node.entry, 0, node.sz) : node.entry;
                    }
                    if (plain) p = offset == 0 ? 0 : -1;
                    else p = offset >= 0 && offset < node.count ? Listpack.seek(lp, offset) : -1;
                } else if (plain) {
                    p = -1;
                } else {
                    p = forward ? Listpack.next(lp, p) : Listpack.prev(lp, p);
                    offset += forward ? 1 : -1;
                }
                if (p >= 0) return true;
                if (write) compress(node);
                node = forward ? node.next : node.prev;
                offset = forward || node == null ? 0 : node.count - 1;
                seek = true;
            }
            return false;
        }

        /** Deletes the current entry; the next call to next() returns the one after it (quicklistDelEntry). */
        public void delete() {
            Node n = node, prev = n.prev, nxt = n.next;
            boolean gone = delIndex(n, p);
            if (gone) {
                if (forward) {
                    node = nxt;
                    offset = 0;
                } else {
                    node = prev;
                    offset = prev == null ? 0 : prev.count - 1;
                }
            } else if (!forward) {
                offset--;
            }
            seek = true;
            p = -1;
        }

        /** Recompresses the node the iterator stopped on (quicklistReleaseIterator). */
        public void release() {
            if (write && node != null) compress(node);
            node = null;
        }
    }

    /** An iterator from the head (forward) or tail; write iterators may change the list. */
    public Iter iterator(boolean forward, boolean write) {
        Iter it = new Iter();
        it.forward = forward;
        it.write = write;
        it.node = forward ? head : tail;
        it.offset = forward || tail == null ? 0 : tail.count - 1;
        return it;
    }

    /**
     * An iterator positioned so that next() returns the element at index (negative from the tail),
     * or null if out of range (quicklistGetIteratorAtIdx).
     */
    public Iter iteratorAt(long index, boolean forward, boolean write) {
        Iter it = new Iter();
        it.forward = forward;
        it.write = write;
        return seekIndex(index, it) ? it : null;
    }

    // ---------------------------------------------------------------- replace / insert

    /** quicklistReplaceAtIndex: false if index is out of range. */
    public boolean replaceAtIndex(long index, byte[] value) {
        Iter it = iteratorAt(index, false, true);
        if (it == null || !it.next()) return false;
        replaceEntry(it, value);
        return true;
    }

    /** quicklistReplaceEntry; the iterator is spent afterwards. */
    private void replaceEntry(Iter it, byte[] value) {
        Node n = it.node;
        if ((n.flags & PLAIN) == 0 && !isLargeElement(value.length)) {
            packed(n, Listpack.replace(n.entry, it.p, value));
            compress(n);
        } else if ((n.flags & PLAIN) != 0) {
            if (isLargeElement(value.length)) {
                setEntry(n, value.clone());
                n.sz = value.length;
                compress(n);
            } else {
                insert(it, value, true);
                delNode(n);
            }
        } else {
            insert(it, value, true);
            if (n.count == 1) {
                delNode(n);
            } else {
                // The insert may have recompressed n; Redis 7.0 reads it compressed here (a bug).
                decompressForUse(n);
                delIndex(n, Listpack.last(n.entry));
                recompressOnly(n);
                if (n.next != null) compress(n.next);
            }
        }
        it.node = null;
    }

    /** _quicklistListpackMerge: appends b's entries to a's (or prepends a's to b's); returns the kept node. */
    private Node listpackMerge(Node a, Node b) {
        decompressNode(a);
        decompressNode(b);
        // lpMerge keeps the bigger listpack and moves the smaller one's entries into it.
        Node keep = a.sz >= b.sz ? a : b, nokeep = keep == a ? b : a;
        int aBytes = a.sz - Listpack.HEADER_SIZE - 1, bBytes = b.sz - Listpack.HEADER_SIZE - 1;
        byte[] merged = Listpack.create(aBytes + bBytes);
        System.arraycopy(a.entry, Listpack.HEADER_SIZE, merged, Listpack.HEADER_SIZE, aBytes);
        System.arraycopy(b.entry, Listpack.HEADER_SIZE, merged, Listpack.HEADER_SIZE + aBytes, bBytes);
        setHeader(merged, aBytes + bBytes, a.count + b.count);
        packed(keep, merged);
        keep.count = a.count + b.count;
        nokeep.count = 0;
        delNode(nokeep);
        compress(keep);
        return keep;
    }

    /** Writes a listpack header and terminator around entryBytes of entries (lpMerge's header update). */
    private static void setHeader(byte[] lp, int entryBytes, int n) {
        int total = Listpack.HEADER_SIZE + entryBytes + 1;
        lp[0] = (byte) total;
        lp[1] = (byte) (total >>> 8);
        lp[2] = (byte) (total >>> 16);
        lp[3] = (byte) (total >>> 24);
        int c = Math.min(n, 65535);
        lp[4] = (byte) c;
        lp[5] = (byte) (c >>> 8);
        lp[total - 1] = (byte) 0xFF;
    }

    /** _quicklistMergeNodes: tries merges around center. */
    private void mergeNodes(Node center) {
        Node prev = center.prev, prevPrev = prev == null ? null : prev.prev;
        Node next = center.next, nextNext = next == null ? null : next.next;
        if (allowMerge(prev, prevPrev, fill)) listpackMerge(prevPrev, prev);
        if (allowMerge(next, nextNext, fill)) listpackMerge(next, nextNext);
        Node target;
        if (allowMerge(center, center.prev, fill)) target = listpackMerge(center.prev, center);
        else target = center;
        if (allowMerge(target, target.next, fill)) listpackMerge(target, target.next);
    }

    /**
     * _quicklistSplitNode: after, the node keeps [0, offset] and the new node gets the rest;
     * otherwise the new node gets [0, offset) and the node keeps the rest.
     */
    private Node splitNode(Node n, int offset, boolean after) {
        Node nn = newNode();
        byte[] copy = Arrays.copyOf(n.entry, n.sz);
        int origStart = after ? offset + 1 : 0, origExtent = after ? -1 : offset;
        int newStart = after ? 0 : offset, newExtent = after ? offset + 1 : -1;
        packed(n, deleteRange(n.entry, origStart, origExtent));
        n.count = Listpack.size(n.entry);
        packed(nn, deleteRange(copy, newStart, newExtent));
        nn.count = Listpack.size(nn.entry);
        return nn;
    }

    /** lpDeleteRange by index: extent -1 means to the end. */
    private static byte[] deleteRange(byte[] lp, int start, int extent) {
        int n = Listpack.size(lp);
        if (start >= n) return lp;
        int num = extent < 0 ? n - start : Math.min(extent, n - start);
        if (num <= 0) return lp;
        return Listpack.deleteRange(lp, Listpack.seek(lp, start), num);
    }

    /** _quicklistInsert: inserts value after (or before) the iterator's current entry; the iterator is spent. */
    public void insert(Iter it, byte[] value, boolean after) {
        Node node = it.node;
        int sz = value.length;
        if (node == null) {
            if (isLargeElement(sz)) {
                insertPlainNode(tail, value, after);
                return;
            }
            Node nn = newPackedNode(value, true);
            nn.count = 0;
            insertNode(null, nn, after);
            nn.count++;
            count++;
            return;
        }
        boolean full = false, atTail = false, atHead = false, availNext = false, availPrev = false;
        if (!allowInsert(node, fill, sz)) full = true;
        if (after && it.offset == node.count - 1) {
            atTail = true;
            if (allowInsert(node.next, fill, sz)) availNext = true;
        }
        if (!after && it.offset == 0) {
            atHead = true;
            if (allowInsert(node.prev, fill, sz)) availPrev = true;
        }
        if (isLargeElement(sz)) {
            if ((node.flags & PLAIN) != 0 || (atTail && after) || (atHead && !after)) {
                insertPlainNode(node, value, after);
            } else {
                decompressForUse(node);
                Node nn = splitNode(node, it.offset, after);
                Node entryNode = newPlainNode(value);
                insertNode(node, entryNode, after);
                insertNode(entryNode, nn, after);
                count++;
            }
            it.node = null;
            return;
        }
        Node nn;
        if (!full) {
            decompressForUse(node);
            int p = it.p;
            if (after) p += Listpack.entryBytes(node.entry, p);
            packed(node, Listpack.insertAt(node.entry, p, value));
            node.count++;
            recompressOnly(node);
        } else if (atTail && availNext && after) {
            nn = node.next;
            decompressForUse(nn);
            packed(nn, Listpack.prepend(nn.entry, value));
            nn.count++;
            recompressOnly(nn);
            recompressOnly(node);
        } else if (atHead && availPrev && !after) {
            nn = node.prev;
            decompressForUse(nn);
            packed(nn, Listpack.append(nn.entry, value));
            nn.count++;
            recompressOnly(nn);
            recompressOnly(node);
        } else if ((atTail && !availNext && after) || (atHead && !availPrev && !after)) {
            nn = newPackedNode(value, true);
            nn.count = 1;
            insertNode(node, nn, after);
        } else {
            decompressForUse(node);
            nn = splitNode(node, it.offset, after);
            packed(nn, after ? Listpack.prepend(nn.entry, value) : Listpack.append(nn.entry, value));
            nn.count++;
            insertNode(node, nn, after);
            mergeNodes(node);
        }
        count++;
        it.node = null;
    }

    // ---------------------------------------------------------------- range delete

    /** quicklistDelRange: deletes up to n elements from index start (negative from the tail). */
    public void delRange(long start, long n) {
        if (n <= 0) return;
        long extent = n;
        if (start >= 0 && extent > count - start) extent = count - start;
        else if (start < 0 && extent > -start) extent = -start;
        Iter it = new Iter();
        if (!seekIndex(start, it)) return;
        Node node = it.node;
        int offset = it.offset;
        // Redis releases its seek iterator here, which runs quicklistCompress on the node.
        compress(node);
        while (extent > 0) {
            Node next = node.next;
            long del;
            boolean entire = false;
            if (offset == 0 && extent >= node.count) {
                entire = true;
                del = node.count;
            } else if (extent + offset >= node.count) {
                del = node.count - offset;
            } else {
                del = extent;
            }
            if (entire || (node.flags & PLAIN) != 0) {
                delNode(node);
            } else {
                decompressForUse(node);
                packed(node, Listpack.deleteRange(node.entry, Listpack.seek(node.entry, offset), (int) del));
                node.count -= (int) del;
                count -= del;
                if (node.count == 0) delNode(node);
                else recompressOnly(node);
            }
            extent -= del;
            node = next;
            offset = 0;
        }
    }

    // ---------------------------------------------------------------- whole-list operations

    @Override
    public Object duplicate() {
        Quicklist copy = new Quicklist(fill, compress);
        for (Node cur = head; cur != null; cur = cur.next) {
            Node n = copy.newNode();
            copy.setEntry(n, (cur.flags & LZF) != 0 || (cur.flags & PLAIN) != 0 ? cur.entry.clone() : Arrays.copyOf(cur.entry, cur.sz));
            n.count = cur.count;
            n.sz = cur.sz;
            n.flags = (byte) (cur.flags & (LZF | PLAIN));
            copy.count += n.count;
            copy.insertNode(copy.tail, n, true);
        }
        return copy;
    }

    @Override
    public String typeName() {
        return "list";
    }

    @Override
    public String encodingName() {
        return "quicklist";
    }

    @Override
    public int digestType() {
        return Digest.OBJ_LIST;
    }

    @Override
    public void digestInto(Digest d, byte[] digest) {
        Iter it = iterator(true, false);
        while (it.next()) {
            if (it.isInt()) d.mixDigest(digest, Long.toString(it.intValue()).getBytes(StandardCharsets.US_ASCII));
            else d.mixDigest(digest, it.buf(), it.off(), it.len());
        }
    }

    /** Sum of the nodes' uncompressed sizes (DEBUG OBJECT ql_uncompressed_size). */
    public long uncompressedSize() {
        long n = 0;
        for (Node x = head; x != null; x = x.next) n += x.sz;
        return n;
    }

    // ---------------------------------------------------------------- validation

    /**
     * Checks the invariants for tests; returns null or what is wrong: links and counts agree, every
     * listpack is valid with its node's count and size, no node is empty, node sizes obey the fill
     * rules for nodes that hold more than one element, head and tail (and every node within the
     * compress depth) are raw, compressed nodes decompress to valid listpacks, and the memory
     * estimate equals a recount.
     */
    public String validate() {
        long total = 0, bytes = 0;
        int nodes = 0;
        Node prev = null;
        for (Node n = head; n != null; prev = n, n = n.next) {
            if (n.prev != prev) return "bad prev link at node " + nodes;
            if (n.count <= 0) return "empty node " + nodes;
            bytes += NODE_BYTES + arrayBytes(n.entry);
            byte[] raw = n.raw();
            if ((n.flags & PLAIN) != 0) {
                if (n.count != 1) return "plain node with count " + n.count;
                if (raw.length < n.sz) return "plain node shorter than sz";
            } else {
                String err = Listpack.validate(raw);
                if (err != null) return "node " + nodes + ": " + err;
                if (Listpack.bytes(raw) != n.sz) return "node " + nodes + " sz " + n.sz + " but listpack has " + Listpack.bytes(raw);
                if (Listpack.size(raw) != n.count) return "node " + nodes + " count " + n.count + " but listpack has " + Listpack.size(raw);
            }
            if ((n.flags & LZF) != 0) {
                if (n == head || n == tail) return "head or tail compressed";
                if (n.sz < MIN_COMPRESS_BYTES) return "node under MIN_COMPRESS_BYTES compressed";
                if (n.entry.length + MIN_COMPRESS_IMPROVE >= n.sz) return "compressed node saves too little";
            }
            total += n.count;
            nodes++;
        }
        if (prev != tail) return "tail is not the last node";
        if (nodes != len) return "len " + len + " but " + nodes + " nodes";
        if (total != count) return "count " + count + " but nodes hold " + total;
        if (bytes != nodeBytes) return "memory " + nodeBytes + " but recount gives " + bytes;
        if (compress > 0) {
            int i = 0;
            for (Node n = head; n != null; n = n.next, i++) {
                boolean inDepth = i < compress || i >= len - compress;
                if (inDepth && (n.flags & LZF) != 0) return "node " + i + " within compress depth is compressed";
            }
        }
        return null;
    }
}
