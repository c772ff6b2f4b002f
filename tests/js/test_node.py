"""The web client's state logic under node:test (no browser needed)."""

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def test_client_state_unit_tests_pass_under_node():
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: the client's state tests run under node:test (apt-get install -y nodejs)")
    files = sorted(str(path) for path in HERE.glob("*.test.mjs"))
    result = subprocess.run([node, "--test", *files], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
