"""Before the tests: are PostgreSQL and Redis answering? Say exactly which is not, and where."""

import os
import sys
from urllib.parse import urlsplit

import psycopg
import redis


def _hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def main() -> int:
    problems = []
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(database_url)
        admin_url = parts._replace(path="/postgres").geturl()
        try:
            with psycopg.connect(admin_url, connect_timeout=3) as connection:
                connection.execute("SELECT 1")
        except psycopg.Error as error:
            problems.append(f"PostgreSQL is not reachable at {_hide_password(database_url)}: {error}".strip())
    if redis_url:
        try:
            redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
        except redis.RedisError as error:
            problems.append(f"Redis is not reachable at {_hide_password(redis_url)}: {error}")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        print("The test suite runs against real PostgreSQL and Redis; start them (see .ci/run).", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
