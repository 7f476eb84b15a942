"""Platform commands: verify the audit chain, run the outbox relay, compile translations."""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from pm_platform.core import audit, i18n, outbox
from pm_platform.extensions import db

audit_cli = AppGroup("audit", help="The hash-chained audit log.")
outbox_cli = AppGroup("outbox", help="Hand committed jobs to Celery.")


@audit_cli.command("verify")
def verify():
    """Check every link of the audit chain; exit 1 at the first broken one."""
    report = audit.verify_chain(db.session)
    if report.ok:
        click.echo(f"audit chain intact: {report.checked} entries")
        return
    click.echo(f"audit chain BROKEN at entry {report.broken_at}: {report.reason} "
               f"({report.checked} entries before it are intact)", err=True)
    raise SystemExit(1)


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


@click.command("compile-translations")
def compile_translations():
    click.echo(f"compiled {i18n.compile_catalogs()} catalog(s)")


commands = [audit_cli, outbox_cli, compile_translations]
