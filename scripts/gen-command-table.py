#!/usr/bin/env python3
"""Regenerates src/main/resources/commands.json from a running redis-server 7.0.

The command table is data: arity, flags, key specs, ACL categories and docs are Redis 7.0's
interface, read from the reference server over RESP3 so every reply type is kept.
Usage: scripts/gen-command-table.py PORT > src/main/resources/commands.json
"""
import json
import socket
import sys


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            self.buf += self.sock.recv(1 << 16)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self.buf += self.sock.recv(1 << 16)
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        """Returns a typed node: [type-char, value]."""
        line = self._line()
        t, rest = chr(line[0]), line[1:]
        if t in "+-":
            return [t, rest.decode()]
        if t == ":":
            return [t, int(rest)]
        if t == "$":
            return [t, self._exact(int(rest)).decode()]
        if t in "*~":
            return [t, [self.read() for _ in range(int(rest))]]
        if t == "%":
            return [t, [self.read() for _ in range(2 * int(rest))]]
        if t == "_":
            return [t, None]
        raise ValueError("unexpected reply type " + t)

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self.read()


def main():
    c = Conn(int(sys.argv[1]))
    c.call("HELLO", "3")
    info = c.call("COMMAND", "INFO")[1]
    docs = c.call("COMMAND", "DOCS")[1]
    doc_by_name = {docs[i][1]: docs[i + 1] for i in range(0, len(docs), 2)}
    table = []
    for node in info:
        name = node[1][0][1]
        table.append({"name": name, "info": node, "docs": doc_by_name.get(name)})
    table.sort(key=lambda e: e["name"])
    json.dump({"source": "redis-server 7.0.15 COMMAND INFO / COMMAND DOCS over RESP3", "commands": table},
              sys.stdout, separators=(",", ":"))


if __name__ == "__main__":
    main()
