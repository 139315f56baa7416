#!/usr/bin/env python3
"""Probes for bgsave.sh and replication.sh, each running until the file named by --stop exists (or
--seconds pass), then printing one line of key=value pairs.

  latency --port P   one connection sends GET <key> back to back (no pipelining) and reports the
                     round trips: n, p50_ms, p99_ms, p999_ms, max_ms. The longest round trip is
                     the longest pause a client saw.
  memory --pid PID   samples every --interval s the proportional set size (Pss, from
                     /proc/<pid>/smaps_rollup) of PID plus its children (redis-server's BGSAVE
                     child shares pages with its parent: Pss counts each shared page once across
                     them) and reports first_kb, peak_kb, last_kb, samples.
  sync --port R --primary P
                     sends REPLICAOF 127.0.0.1 P to R, then polls INFO replication every --interval
                     s (default 0.01 here): link_up_s is when R's master_link_status turns up,
                     synced_s when R's slave_repl_offset reaches the primary's master_repl_offset
                     read at that moment (under a write load the two are never equal at one
                     instant; this is "the snapshot is loaded and the stream buffered meanwhile is
                     applied"). status=timeout if --seconds pass first.
  lag --port R --primary P
                     every --interval s reads R's slave_repl_offset, then P's master_repl_offset
                     (in this order, so lag = P - R errs high), until --stop exists; then times
                     how long R takes to reach P's offset read at the stop (catchup_s). Reports
                     samples, max/mean/end lag in bytes, the least-squares slope of the lag in
                     bytes/s over the second half of the samples (about 0 when the lag is
                     bounded), the primary's stream rate in bytes/s, and link_down (samples
                     where R's link was not up).
"""
import argparse
import sys
import os
import socket
import time

ap = argparse.ArgumentParser()
ap.add_argument("mode", choices=["latency", "memory", "sync", "lag"])
ap.add_argument("--port", type=int)
ap.add_argument("--key", default="key:1")
ap.add_argument("--pid", type=int)
ap.add_argument("--primary", type=int)
ap.add_argument("--interval", type=float)
ap.add_argument("--seconds", type=float, default=3600)
ap.add_argument("--stop", default="")
ap.add_argument("--slow-ms", type=float, default=0, help="latency: also print each round trip above this (unix time, ms) to stderr")
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
        d = time.perf_counter_ns() - t0
        lat.append(d)
        if a.slow_ms and d > a.slow_ms * 1e6:
            print("slow %.3f %.3f" % (time.time(), d / 1e6), file=sys.stderr)
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
        time.sleep(a.interval or 0.05)
    print("first_kb=%d peak_kb=%d last_kb=%d samples=%d" % (first, peak, last, samples))


class Conn:
    """A blocking RESP connection for INFO and REPLICAOF (bulk and simple replies only)."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.s.makefile("rb")

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for x in args:
            x = x.encode()
            out += b"$%d\r\n%s\r\n" % (len(x), x)
        self.s.sendall(out)
        line = self.f.readline()
        if line[:1] == b"$":
            return self.f.read(int(line[1:]) + 2)[:-2].decode()
        return line.decode().strip()

    def repl(self):
        """INFO replication as a dict."""
        return dict(line.split(":", 1) for line in self.call("INFO", "replication").splitlines() if ":" in line)


def sync():
    r, p = Conn(a.port), Conn(a.primary)
    interval = a.interval or 0.01
    t0 = time.monotonic()
    reply = r.call("REPLICAOF", "127.0.0.1", str(a.primary))
    up = target = None
    status = "ok" if reply == "+OK" else "replicaof:" + reply.replace(" ", "_")
    while status == "ok":
        ri = r.repl()
        if up is None and ri.get("master_link_status") == "up":
            up = time.monotonic() - t0
            target = int(p.repl()["master_repl_offset"])
            ri = r.repl()
        if target is not None and int(ri.get("slave_repl_offset", -1)) >= target:
            print("link_up_s=%.3f synced_s=%.3f status=ok" % (up, time.monotonic() - t0))
            return
        if time.monotonic() >= deadline:
            status = "timeout"
            break
        time.sleep(interval)
    print("link_up_s=%s synced_s=nan status=%s" % ("%.3f" % up if up is not None else "nan", status))


def lag():
    r, p = Conn(a.port), Conn(a.primary)
    interval = a.interval or 0.1
    t0 = time.monotonic()
    ts, lags = [], []
    down = 0
    p0 = int(p.repl()["master_repl_offset"])
    while not stopped():
        ri = r.repl()
        down += ri.get("master_link_status") != "up"
        po = int(p.repl()["master_repl_offset"])
        ro = int(ri.get("slave_repl_offset", 0))
        ts.append(time.monotonic() - t0)
        lags.append(po - ro)
        time.sleep(interval)
    t1 = time.monotonic()
    target = int(p.repl()["master_repl_offset"])
    rate = (target - p0) / (t1 - t0)
    catchup = "nan"
    while time.monotonic() < deadline:
        if int(r.repl().get("slave_repl_offset", 0)) >= target:
            catchup = "%.3f" % (time.monotonic() - t1)
            break
        time.sleep(0.01)
    n = len(lags)
    # The trend of the second half: a fresh replica's warm-up at the start is not a lasting lag.
    half = [(t, l) for t, l in zip(ts, lags) if t >= ts[-1] / 2]
    mt, ml = sum(t for t, _ in half) / len(half), sum(l for _, l in half) / len(half)
    var = sum((t - mt) ** 2 for t, _ in half)
    slope = sum((t - mt) * (l - ml) for t, l in half) / var if var else 0.0
    print("samples=%d max_lag=%d mean_lag=%d end_lag=%d slope_bps=%.0f stream_bps=%.0f link_down=%d catchup_s=%s"
          % (n, max(lags), sum(lags) / n, lags[-1], slope, rate, down, catchup))


{"latency": latency, "memory": memory, "sync": sync, "lag": lag}[a.mode]()
