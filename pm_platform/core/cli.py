"""Platform commands: verify the audit chain and export its head, run the outbox relay, back up
and restore the database, compile translations."""
from __future__ import annotations

import json
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from pm_platform.core import audit, backup as backups, i18n, outbox
from pm_platform.extensions import db

audit_cli = AppGroup("audit", help="The hash-chained audit log.")
outbox_cli = AppGroup("outbox", help="Hand committed jobs to Celery.")
ops_cli = AppGroup("ops", help="Operations: backups of the database and their restore.")


def _read_head(value: str) -> dict:
    """--head: the JSON `flask audit head` printed, inline or in a file."""
    text = value.strip()
    if not text.startswith("{"):
        try:
            text = Path(value).read_text(encoding="utf-8")
        except OSError as exc:
            raise click.BadParameter(f"not JSON and not a readable file: {exc.strerror}", param_hint="--head")
    try:
        head = json.loads(text)
        audit.parse_head(head)
    except ValueError as exc:  # JSONDecodeError is one
        raise click.BadParameter(f"not an exported head: {exc}", param_hint="--head")
    return head


@audit_cli.command("verify")
@click.option("--head", "head_value", metavar="FILE_OR_JSON",
              help="a head printed earlier by `flask audit head`: the chain must still reach it")
def verify(head_value: str | None):
    """Check every link of the audit chain; exit 1 at the first broken one."""
    head = _read_head(head_value) if head_value else None
    report = audit.verify_chain(db.session, head=head)
    if report.ok:
        reaches = f", reaching the exported head (entry {head['id']})" if head else ""
        click.echo(f"audit chain intact: {report.checked} entries{reaches}")
        return
    click.echo(f"audit chain BROKEN at entry {report.broken_at}: {report.reason} "
               f"({report.checked} entries before it are intact)", err=True)
    raise SystemExit(1)


@audit_cli.command("head")
def head():
    """Print the newest entry as JSON {"id", "hash", "at"}, to keep somewhere else (e.g. send it to
    the street office each day): `flask audit verify --head` then finds entries deleted from the end."""
    click.echo(json.dumps(audit.chain_head(db.session)))


@outbox_cli.command("relay")
@click.option("--loop", is_flag=True, help="keep relaying every --interval seconds")
@click.option("--interval", default=1.0, show_default=True)
def relay(loop: bool, interval: float):
    """Send committed jobs to the broker (run this beside the Celery worker)."""
    celery = current_app.extensions["celery"]
    while True:
        sent = outbox.relay(db.session, celery)
        db.session.remove()
        if not loop:
            click.echo(f"relayed {sent} job(s)")
            return
        if not sent:
            time.sleep(interval)


@ops_cli.command("backup")
@click.option("--to", "target", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="the backup file (PostgreSQL: pg_dump custom format; SQLite: a database file)")
def ops_backup(target: Path):
    """Back up the whole database (DATABASE_URL) to a file, consistently, while the platform runs."""
    try:
        written = backups.backup(current_app.config["DATABASE_URL"], target)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"backup written: {written} ({written.stat().st_size} bytes)")


@ops_cli.command("restore")
@click.option("--from", "source", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="a file written by `flask ops backup`")
@click.option("--clean", is_flag=True, help="replace what the database holds (else it must be empty)")
def ops_restore(source: Path, clean: bool):
    """Restore a backup into the database DATABASE_URL names (a new, empty one unless --clean)."""
    try:
        backups.restore(current_app.config["DATABASE_URL"], source, clean=clean)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"restored {source}; now check it: flask audit verify --head <the head kept elsewhere>")


@click.command("compile-translations")
def compile_translations():
    click.echo(f"compiled {i18n.compile_catalogs()} catalog(s)")


commands = [audit_cli, outbox_cli, ops_cli, compile_translations]
