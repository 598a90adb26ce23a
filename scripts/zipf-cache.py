#!/usr/bin/env python3
"""A read-heavy cache workload whose keys follow a Zipf distribution, for
comparing eviction policies of Redis-protocol servers (scripts/bench-maxmemory.sh).

Each request picks a key by Zipf rank (exponent --alpha over --keys keys,
the same seeded sequence for every server); GET it, and on a miss SET it
(a cache filled on demand, values of --size bytes). Requests are pipelined
in batches of --pipeline over one connection. After --warmup requests the
hits and misses of the next --requests requests are counted; the hit ratio
(hits / requests, in percent) is printed as `hit_ratio <percent> requests <GETs and SETs sent>`.

Python standard library only: a minimal RESP client over a socket.
"""

import argparse
import bisect
import random
import socket
import sys


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise ConnectionError("server closed the connection")
        self.buf += data

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def reply(self):
        """One reply: bytes for bulk/simple, None for null; errors raise."""
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b"-":
            raise RuntimeError(rest.decode(errors="replace"))
        return rest

    def send(self, data):
        self.sock.sendall(data)


def zipf_sampler(keys, alpha, rng):
    weights = [1.0 / (rank ** alpha) for rank in range(1, keys + 1)]
    total = sum(weights)
    cumulative = []
    acc = 0.0
    for w in weights:
        acc += w / total
        cumulative.append(acc)
    # Ranks are shuffled onto key names so that popularity is not
    # correlated with the order keys were created in.
    names = list(range(keys))
    rng.shuffle(names)

    def sample():
        i = bisect.bisect_left(cumulative, rng.random())
        return names[min(i, keys - 1)]

    return sample


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--keys", type=int, default=100_000)
    p.add_argument("--alpha", type=float, default=1.0)
    p.add_argument("--size", type=int, default=100)
    p.add_argument("--warmup", type=int, default=200_000)
    p.add_argument("--requests", type=int, default=300_000)
    p.add_argument("--pipeline", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()

    rng = random.Random(a.seed)
    sample = zipf_sampler(a.keys, a.alpha, rng)
    value = b"v" * a.size
    conn = Conn(a.port)
    hits = misses = 0
    done = 0
    sent = 0
    total = a.warmup + a.requests
    while done < total:
        batch = [sample() for _ in range(min(a.pipeline, total - done))]
        conn.send(b"".join(encode("GET", "key:%d" % k) for k in batch))
        missed = []
        for k in batch:
            if conn.reply() is None:
                missed.append(k)
        if missed:
            conn.send(b"".join(encode("SET", "key:%d" % k, value) for k in missed))
            for _ in missed:
                conn.reply()
        if done >= a.warmup:
            misses += len(missed)
            hits += len(batch) - len(missed)
        done += len(batch)
        sent += len(batch) + len(missed)
    print("hit_ratio %.2f requests %d" % (100.0 * hits / max(1, hits + misses), sent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
