#!/usr/bin/env python3
"""Probes for bgsave.sh, each running until the file named by --stop exists (or --seconds pass),
then printing one line of key=value pairs.

  latency --port P   one connection sends GET <key> back to back (no pipelining) and reports the
                     round trips: n, p50_ms, p99_ms, p999_ms, max_ms. The longest round trip is
                     the longest pause a client saw.
  memory --pid PID   samples every --interval s the proportional set size (Pss, from
                     /proc/<pid>/smaps_rollup) of PID plus its children (redis-server's BGSAVE
                     child shares pages with its parent: Pss counts each shared page once across
                     them) and reports first_kb, peak_kb, last_kb, samples.
"""
import argparse
import os
import socket
import time

ap = argparse.ArgumentParser()
ap.add_argument("mode", choices=["latency", "memory"])
ap.add_argument("--port", type=int)
ap.add_argument("--key", default="key:1")
ap.add_argument("--pid", type=int)
ap.add_argument("--interval", type=float, default=0.05)
ap.add_argument("--seconds", type=float, default=3600)
ap.add_argument("--stop", default="")
a = ap.parse_args()
deadline = time.monotonic() + a.seconds


def stopped():
    return time.monotonic() >= deadline or (a.stop and os.path.exists(a.stop))


def latency():
    s = socket.create_connection(("127.0.0.1", a.port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = s.makefile("rb")
    k = a.key.encode()
    cmd = b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(k), k)
    lat = []
    i = 0
    while True:
        t0 = time.perf_counter_ns()
        s.sendall(cmd)
        line = f.readline()
        if line[:1] == b"$" and int(line[1:]) >= 0:
            f.read(int(line[1:]) + 2)
        lat.append(time.perf_counter_ns() - t0)
        i += 1
        if i % 64 == 0 and stopped():
            break
    lat.sort()
    n = len(lat)

    def q(p):
        return lat[min(n - 1, int(n * p))] / 1e6

    print("n=%d p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f" % (n, q(0.5), q(0.99), q(0.999), lat[-1] / 1e6))


def pss_kb(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


def memory():
    first = peak = last = samples = 0
    while True:
        last = pss_kb(a.pid) + sum(pss_kb(c) for c in children(a.pid))
        first = first or last
        peak = max(peak, last)
        samples += 1
        if stopped():
            break
        time.sleep(a.interval)
    print("first_kb=%d peak_kb=%d last_kb=%d samples=%d" % (first, peak, last, samples))


latency() if a.mode == "latency" else memory()
