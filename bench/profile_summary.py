"""Summarises a `py-spy record --format raw` file: where the server's time goes.

    python -m bench.profile_summary var/bench/profile-fanout-chatapp.txt

Prints the share of samples per bucket (a function seen anywhere on the stack, first match wins,
in the order of BUCKETS) and the top functions by own time (the leaf frame).
"""

from __future__ import annotations

import sys
from collections import Counter

# (label, substring of a frame) — checked from the leaf upwards; the first bucket that matches wins.
BUCKETS = [
    ("waiting in epoll (idle)", ("EpollSelector.select", "Condition.wait", "_worker (concurrent")),
    ("JSON encode/decode", ("json/encoder", "json/decoder", "json/__init__", "encode (broadcast/events")),
    ("msgpack (channel layer)", ("msgpack",)),
    ("redis client I/O and parsing", ("redis/", "hiredis")),
    ("PostgreSQL (psycopg)", ("psycopg",)),
    ("Django ORM / SQL compile", ("django/db/models", "django/db/backends")),
    ("DRF serializers", ("rest_framework/",)),
    ("autobahn frame/protocol", ("autobahn/",)),
    ("twisted transport", ("twisted/",)),
    ("asgiref sync/thread hops", ("asgiref/",)),
    ("channels layer/consumer", ("channels_redis/", "channels/")),
    ("daphne", ("daphne/",)),
    ("logging", ("logging/", "chatapp/logging")),
    ("asyncio event loop", ("asyncio/",)),
]


def _bucket(frames: list[str]) -> str:
    for frame in reversed(frames):
        for label, needles in BUCKETS:
            if any(needle in frame for needle in needles):
                return label
    return "other"


def summarize(path: str, top: int = 25) -> str:
    buckets: Counter = Counter()
    leaves: Counter = Counter()
    inclusive: Counter = Counter()
    total = 0
    for line in open(path):
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        leaves[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
        buckets[_bucket(frames)] += n
    out = [f"{total} samples", "", "bucket (first match from the leaf up)"]
    out += [f"  {n / total:6.1%}  {label}" for label, n in buckets.most_common()]
    out += ["", "own time (leaf frames)"]
    out += [f"  {n / total:6.1%}  {frame}" for frame, n in leaves.most_common(top)]
    interesting = [
        (f, n)
        for f, n in inclusive.most_common()
        if any(
            k in f
            for k in ("chatapp", "realtime/", "messaging/", "rooms/", "accounts/", "channels", "daphne", "autobahn")
        )
    ]
    out += ["", "inclusive time (frames of the app, channels, daphne, autobahn)"]
    out += [f"  {n / total:6.1%}  {frame}" for frame, n in interesting[:top]]
    return "\n".join(out)


if __name__ == "__main__":
    print(summarize(sys.argv[1]))
