"""The apps' import layering (.importlinter) is part of the test suite, so CI refuses a cycle."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_apps_import_only_downward_and_broadcast_imports_no_app():
    # Every import counts, those inside functions too: a cycle dodged that way still fails here.
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
