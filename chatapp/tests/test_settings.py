import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start_settings(**env: str) -> subprocess.CompletedProcess:
    """Loads the settings in a fresh interpreter with exactly this configuration."""
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "REDIS_URL", "DEBUG", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "chatapp.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_secret_key_refuses_to_start_with_a_clear_message():
    result = start_settings(DEBUG="false", REDIS_URL="redis://127.0.0.1:6379/0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_without_redis_refuses_to_start():
    result = start_settings(DEBUG="false", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "REDIS_URL is not set" in result.stderr


def test_debug_with_nothing_set_starts_on_the_embedded_default(tmp_path):
    result = start_settings(DEBUG="true", VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dev_secret_key").exists()


@pytest.mark.parametrize(
    "name,value",
    [
        ("DEBUG", "maybe"),
        ("PORT", "eighty"),
        ("RATE_LIMIT_AUTH", "lots"),
        ("LINK_PREVIEWS", "sometimes"),
        ("LINK_PREVIEW_ALLOWED_NETWORKS", "10.0.0.0/8,intranet"),
    ],
)
def test_nonsense_configuration_fails_loudly(name, value, tmp_path):
    result = start_settings(**{"DEBUG": "true", "VAR_DIR": str(tmp_path), name: value})
    assert result.returncode != 0
    assert name in result.stderr
