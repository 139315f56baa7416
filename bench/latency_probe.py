#!/usr/bin/env python3
"""Latency probe for dict-growth.sh: one connection sends GET probe-key back to back and prints,
per interval, the key count (DBSIZE) and the probe's p50 / p99 / max round trip in ms, until
the file named by --stop exists or --seconds pass. Output: CSV on stdout."""
import argparse
import os
import socket
import time

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--interval", type=float, default=0.5)
ap.add_argument("--seconds", type=float, default=120)
ap.add_argument("--stop", default="")
a = ap.parse_args()

s = socket.create_connection(("127.0.0.1", a.port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
f = s.makefile("rb")


def call(cmd):
    s.sendall(cmd)
    line = f.readline()
    if line[:1] == b"$":
        n = int(line[1:])
        if n >= 0:
            f.read(n + 2)
    return line


GET = b"*2\r\n$3\r\nGET\r\n$5\r\nprobe\r\n"
DBSIZE = b"*1\r\n$6\r\nDBSIZE\r\n"
print("t_s,keys,samples,p50_ms,p99_ms,max_ms", flush=True)
start = time.monotonic()
end = start + a.seconds
while time.monotonic() < end:
    lat = []
    t_end = time.monotonic() + a.interval
    while True:
        t0 = time.perf_counter_ns()
        call(GET)
        lat.append((time.perf_counter_ns() - t0) / 1e6)
        if time.monotonic() >= t_end:
            break
    keys = int(call(DBSIZE)[1:])
    lat.sort()
    n = len(lat)
    print("%.1f,%d,%d,%.3f,%.3f,%.3f" % (time.monotonic() - start, keys, n, lat[n // 2], lat[min(n - 1, int(n * 0.99))], lat[-1]), flush=True)
    if a.stop and os.path.exists(a.stop):
        break
