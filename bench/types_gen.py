#!/usr/bin/env python3
"""RESP commands that fill KEYS collections of one type with ELEMS elements each, for redis-cli --pipe.

    types_gen.py TYPE KEYS ELEMS [BATCH] > fill.resp      TYPE: hash, list, set, intset, zset

Keys are <type>:<i>. Elements are short and realistic: list and set members "member:<n>" (n counts
across all keys, so every member is distinct), hash fields "field:<j>" (the same names in every
key, like an object's attributes) with values "value:<n>", zset members "member:<n>" with score j,
intset members the integers n (an intset in Redis while a set has at most 512 of them). One command
carries at most BATCH elements (default 100), so large collections take several commands.
"""
import sys

kind, keys, elems = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
batch = int(sys.argv[4]) if len(sys.argv) > 4 else 100
cmd = {"hash": b"HSET", "list": b"RPUSH", "set": b"SADD", "intset": b"SADD", "zset": b"ZADD"}[kind]
per = 2 if kind in ("hash", "zset") else 1  # arguments per element


def bulk(s):
    b = s.encode()
    return b"$%d\r\n%s\r\n" % (len(b), b)


def element(i, j):
    n = i * elems + j
    if kind == "hash":
        return bulk("field:%d" % j) + bulk("value:%d" % n)
    if kind == "zset":
        return bulk("%d" % j) + bulk("member:%d" % n)
    if kind == "intset":
        return bulk("%d" % n)
    return bulk("member:%d" % n)


out = sys.stdout.buffer
cmdarg = bulk(cmd.decode())
for i in range(keys):
    key = bulk("%s:%d" % (kind, i))
    for lo in range(0, elems, batch):
        hi = min(lo + batch, elems)
        parts = [b"*%d\r\n" % (2 + per * (hi - lo)), cmdarg, key]
        parts.extend(element(i, j) for j in range(lo, hi))
        out.write(b"".join(parts))
