"""Safe by default: no secret is written in the code or derived from another, the app refuses to
start without one, and the sandbox checkout (orders paid with no money) exists only when asked
for in a local setup (the demo, the tests)."""
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pm_platform.core.secrets_config import MissingSecret, configure_secrets

ROOT = Path(__file__).resolve().parents[2]


def start(env: dict) -> subprocess.CompletedProcess:
    """`flask routes` as an operator would run it, with only `env` set (and a throwaway SQLite)."""
    clean = {k: v for k, v in os.environ.items()
             if k not in ("SECRET_KEY", "IDENTITY_KEY", "PM_LOCAL_SECRETS", "PAYMENT_SANDBOX",
                          "PAYMENT_SANDBOX_SECRET", "DATABASE_URL", "REDIS_URL")}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "routes"], cwd=ROOT,
                          env={**clean, "DATABASE_URL": "sqlite://", **env}, capture_output=True, text=True,
                          timeout=120)


def test_without_a_secret_key_the_platform_refuses_to_start():
    result = start({"IDENTITY_KEY": "x" * 32})
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr


def test_without_an_identity_key_the_platform_refuses_to_start():
    result = start({"SECRET_KEY": "x" * 32})
    assert result.returncode != 0 and "IDENTITY_KEY is not set" in result.stderr


def test_a_short_secret_is_refused():
    result = start({"SECRET_KEY": "dev-only", "IDENTITY_KEY": "y" * 32})
    assert result.returncode != 0 and "SECRET_KEY is too short" in result.stderr


def test_with_its_secrets_set_the_platform_starts_without_the_sandbox():
    result = start({"SECRET_KEY": "x" * 32, "IDENTITY_KEY": "y" * 32})
    assert result.returncode == 0, result.stderr
    assert "/login" in result.stdout


def test_the_sandbox_cannot_be_switched_on_beside_real_secrets():
    result = start({"SECRET_KEY": "x" * 32, "IDENTITY_KEY": "y" * 32, "PAYMENT_SANDBOX": "1"})
    assert result.returncode != 0 and "PAYMENT_SANDBOX is on but secrets are not local" in result.stderr


def test_local_secrets_are_random_independent_private_and_kept(tmp_path):
    first = {"LOCAL_SECRETS": True, "PAYMENT_SANDBOX": True}
    configure_secrets(first, tmp_path)
    values = [first["SECRET_KEY"], first["IDENTITY_KEY"], first["PAYMENT_SANDBOX_SECRET"]]
    assert len(set(values)) == 3 and all(len(v) >= 32 for v in values)
    stored = tmp_path / "local-secrets.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    again = {"LOCAL_SECRETS": True, "PAYMENT_SANDBOX": True}
    configure_secrets(again, tmp_path)  # a restart: the same secrets, so sessions survive it
    assert [again["SECRET_KEY"], again["IDENTITY_KEY"], again["PAYMENT_SANDBOX_SECRET"]] == values
    elsewhere = {"LOCAL_SECRETS": True}
    configure_secrets(elsewhere, tmp_path / "other-machine")
    assert elsewhere["SECRET_KEY"] != values[0]


def test_a_secret_from_the_environment_wins_over_a_local_one(tmp_path):
    config = {"LOCAL_SECRETS": True, "SECRET_KEY": "s" * 40}
    configure_secrets(config, tmp_path)
    assert config["SECRET_KEY"] == "s" * 40 and len(config["IDENTITY_KEY"]) >= 32


def test_no_secret_is_written_in_the_code():
    sources = [p for p in (ROOT / "pm_platform").rglob("*.py")] + [ROOT / "wsgi.py"]
    offenders = [str(p) for p in sources if "dev-only-not-secret" in p.read_text()
                 or 'get("SECRET_KEY", "' in p.read_text()]
    assert offenders == []


def test_configure_refuses_without_local_secrets():
    with pytest.raises(MissingSecret):
        configure_secrets({"SECRET_KEY": "x" * 32}, Path("/nonexistent"))
