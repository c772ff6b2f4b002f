"""Fault tests (`make chaos`): real server processes on private Redis and PostgreSQL instances."""

import os
import subprocess
import sys

import pytest

from realtime.tests.live_servers import ROOT, start_server
from tests.chaos.services import PrivatePostgres, PrivateRedis


@pytest.fixture(scope="session")
def private_postgres():
    postgres = PrivatePostgres()
    try:
        postgres.start()
        postgres.create_database()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": postgres.url, "REDIS_URL": "", "DEBUG": "true"},
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=300,
        )
        yield postgres
    finally:
        postgres.destroy()


@pytest.fixture
def private_redis():
    redis = PrivateRedis().start()
    yield redis
    redis.stop()


@pytest.fixture
def chaos_servers(tmp_path, private_postgres, private_redis):
    """`start(**env)` runs `manage.py serve` on the private services; all are killed afterwards."""
    started = []

    def start(**env):
        server = start_server(
            tmp_path, DATABASE_URL=private_postgres.url, REDIS_URL=private_redis.url, PYTHONFAULTHANDLER="1", **env
        )
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()
