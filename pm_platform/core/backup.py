"""Backups of the whole database and their restore (`flask ops backup` / `flask ops restore`).

PostgreSQL: `pg_dump --format=custom` (one consistent snapshot, compressed, restorable table by
table) and `pg_restore` into a new, empty database, in one transaction. The password goes to the
tools in PGPASSWORD, never on a command line others can read in `ps`.
SQLite: the online backup API (what `sqlite3 .backup` uses): a consistent copy while the platform
keeps writing.

A file is written next to its final name and renamed into place, so a backup that fails half way
never looks like a good one. After a restore, `flask audit verify` (with `--head` and the head
kept elsewhere) shows that the audit log came back whole.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, make_url

from pm_platform.config import normalise_database_url

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why and what to do."""


def _url(database_url: str) -> URL:
    return make_url(normalise_database_url(database_url))


def _pg_env(url: URL) -> dict[str, str]:
    env = {**os.environ}
    for key, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                       ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[key] = str(value)
    sslmode = url.query.get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-2000:]}")


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)



def _sqlite_copy(source, target, uri: bool = False) -> None:
    """SQLite's online backup API: a consistent copy even while the source is being written."""
    reader, writer = sqlite3.connect(source, uri=uri), sqlite3.connect(target)
    try:
        reader.backup(writer)
    finally:
        writer.close()
        reader.close()

def backup(database_url: str, target: Path) -> Path:
    """Write a backup of the database to `target`."""
    url = _url(database_url)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        if url.get_backend_name() == "postgresql":
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={partial}"], _pg_env(url))
        elif url.get_backend_name() == "sqlite":
            path = _sqlite_path(url)
            if not path.is_file():
                raise BackupError(f"{path} does not exist")
            _sqlite_copy(str(path), partial)
        else:
            raise BackupError(f"no backup for {url.get_backend_name()} databases")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _has_tables(database_url: str) -> bool:
    engine = create_engine(normalise_database_url(database_url))
    try:
        return bool(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def restore(database_url: str, source: Path, clean: bool = False) -> None:
    """Restore the backup `source` into the database. It must be empty unless `clean` (then what
    it holds is replaced)."""
    url = _url(database_url)
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    with open(source, "rb") as handle:
        magic = handle.read(16)
    backend = url.get_backend_name()
    if backend == "postgresql":
        if not magic.startswith(PG_MAGIC):
            raise BackupError(f"{source} is not a pg_dump custom-format backup")
        if not clean and _has_tables(database_url):
            raise BackupError(f"database {url.database} is not empty: restore into a new, empty database "
                              f"(createdb) and point DATABASE_URL at it, or pass --clean to replace what it holds")
        command = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
                   "--single-transaction", f"--dbname={url.database}"]
        if clean:
            command += ["--clean", "--if-exists"]
        _run(command + [str(source)], _pg_env(url))
    elif backend == "sqlite":
        if magic != SQLITE_MAGIC:
            raise BackupError(f"{source} is not an SQLite backup")
        path = _sqlite_path(url)
        if not clean and path.exists() and _has_tables(database_url):
            raise BackupError(f"{path} is not empty: restore to a new file and point DATABASE_URL at it, "
                              f"or pass --clean to replace what it holds")
        path.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(f"file:{source}?mode=ro", path, uri=True)
    else:
        raise BackupError(f"no restore for {backend} databases")
