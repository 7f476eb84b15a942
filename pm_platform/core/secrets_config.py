"""Secrets: never a value written in the code, never derived from one another.

A deployment sets each secret in the environment; without one, `create_app` refuses to start
(`MissingSecret`). The demo and the tests opt into *local secrets* (`PM_LOCAL_SECRETS=1`, which
`./dev demo` and `./dev test` set): each missing secret is then a random value generated once on
this machine and kept in `instance/local-secrets.json` (mode 0600), so sessions survive a restart
and the test suite's worker processes share them.

The sandbox payment provider (a checkout page that marks an order paid with no money) exists only
when `PAYMENT_SANDBOX=1` is set explicitly, and only together with local secrets: a deployment whose
secrets come from its environment cannot carry it, whatever else it sets.
"""
from __future__ import annotations

import fcntl
import json
import os
import secrets
from pathlib import Path

# Each is independent: a leaked session key tells nothing about ID-number hashes or payments.
REQUIRED = ("SECRET_KEY", "IDENTITY_KEY")
SANDBOX_SECRET = "PAYMENT_SANDBOX_SECRET"
MIN_LENGTH = 16
LOCAL_FILE = "local-secrets.json"


class MissingSecret(RuntimeError):
    """The app must not start: a secret is missing, too short, or the sandbox is asked for outside
    a local setup."""


def _flag(value) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


def local_secrets(instance_dir: Path, names: tuple[str, ...]) -> dict[str, str]:
    """This machine's generated secrets, created on first use (under a file lock, so the test
    suite and the worker processes it starts agree on them)."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / LOCAL_FILE
    with open(instance_dir / f"{LOCAL_FILE}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stored = json.loads(path.read_text()) if path.exists() else {}
        missing = [name for name in names if not stored.get(name)]
        if missing:
            stored.update({name: secrets.token_urlsafe(32) for name in missing})
            fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(stored, handle)
            os.replace(path.with_suffix(".tmp"), path)
    return {name: stored[name] for name in names}


def configure_secrets(config: dict, instance_dir: Path) -> None:
    """Fill local secrets where allowed, then refuse to go on without every secret."""
    local = _flag(config.get("LOCAL_SECRETS"))
    sandbox = _flag(config.get("PAYMENT_SANDBOX"))
    if sandbox and not local:
        raise MissingSecret(
            "PAYMENT_SANDBOX is on but secrets are not local: the sandbox checkout marks orders paid "
            "with no money and exists only for the demo and the tests (PM_LOCAL_SECRETS=1).")
    names = REQUIRED + ((SANDBOX_SECRET,) if sandbox else ())
    if local:
        wanted = tuple(name for name in names if not config.get(name))
        if wanted:
            config.update(local_secrets(instance_dir, wanted))
    for name in names:
        value = config.get(name) or ""
        if len(value) < MIN_LENGTH:
            raise MissingSecret(
                f"{name} is {'too short' if value else 'not set'}: set it in the environment to a random "
                f"value of at least {MIN_LENGTH} characters (e.g. `python -c 'import secrets; "
                f"print(secrets.token_urlsafe(32))'`); pm_platform does not start without it.")
    config["PAYMENT_SANDBOX"] = sandbox
