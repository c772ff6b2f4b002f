"""Counts the SQL queries one authenticated GET makes, inside the application's Django.

    python bench/querycount.py /api/v1/rooms/<id>/messages?limit=50 <jwt>

Runs the whole request (middleware, JWT authentication, view, serializer) through Django's test
client against the bench database, with CaptureQueriesContext counting every statement sent on the
default connection. The first request warms caches and is not counted; the next five are averaged.
Prints {"queries_per_request": n, "queries": [...the SQL of one request...]}.
"""

import json
import os
import sys


def main() -> None:
    path, token = sys.argv[1], sys.argv[2]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatapp.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    first = client.get(path)
    if first.status_code != 200:
        raise SystemExit(f"GET {path} answered {first.status_code}: {first.content[:300]!r}")
    counts, sql = [], []
    for _ in range(5):
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        counts.append(len(captured.captured_queries))
        sql = [q["sql"][:300] for q in captured.captured_queries]
    print("\n" + json.dumps({"queries_per_request": sum(counts) / len(counts), "queries": sql}))


if __name__ == "__main__":
    main()
