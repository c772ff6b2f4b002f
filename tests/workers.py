"""Parallel test workers (pytest-xdist, `make test -n`): what each worker has to itself.

pytest-django already gives each worker its own test database (`test_<name>_gw0`, ...). Everything
else a test touches by name is made per worker here: the Redis database (tests flush theirs: the
cache between tests), and through `worker_suffix()` the browser tests' databases and directories.
Loaded with `-p tests.workers` (pytest.ini), so its hook runs before pytest-django reads the settings.
"""

import os
from urllib.parse import urlsplit

import pytest


def worker_id() -> str:
    """`gw0`, `gw1`, ... in an xdist worker; "" in a run without workers."""
    return os.environ.get("PYTEST_XDIST_WORKER", "")


def worker_index() -> int:
    worker = worker_id()
    return int(worker.removeprefix("gw")) if worker else 0


def worker_suffix() -> str:
    """`_gw0`, ... for names a worker must not share (databases, directories); "" without workers."""
    worker = worker_id()
    return f"_{worker}" if worker else ""


def redis_url_for_worker(url: str, index: int) -> str:
    """`url` with its database number moved up by `index`: redis://host:6379/8 -> .../10 for gw2."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return parts._replace(path=f"/{base + index}").geturl()


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args) -> None:
    # Before pytest-django's own implementation of this hook, which imports the settings (they read
    # REDIS_URL once). Every process a test starts inherits the changed environment.
    if worker_id() and os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = redis_url_for_worker(os.environ["REDIS_URL"], worker_index())
