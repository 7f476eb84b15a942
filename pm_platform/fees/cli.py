"""`flask fees bill --period YYYY-MM --scope KIND:ID` and `flask fees arrears --compound ID`:
billing runs and arrears for an operator, through the same service as the pages and the API."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale

from pm_platform.core import clock, outbox
from pm_platform.core.errors import DomainError
from pm_platform.core.money import format_yuan
from pm_platform.extensions import db
from pm_platform.fees import service
from pm_platform.fees.views import BUCKET_LABELS
from pm_platform.places.service import parse_scope

cli = AppGroup("fees", help="Property fees: billing runs and arrears.")


def _fail(exc: DomainError):
    db.session.rollback()
    raise click.ClickException(exc.message) from None


@cli.command("bill")
@click.option("--period", required=True, help="the billing month, YYYY-MM")
@click.option("--scope", "scope_text", required=True, help="compound:ID, street:ID or district:ID")
def bill(period: str, scope_text: str):
    """Bill a compound, street or district for a month.

    The run is started as the page and the API start it, and with no Redis it runs here and
    now. Bills that already exist are left alone, so running it twice creates nothing new."""
    try:
        run = service.start_billing_run(db.session, None, *parse_scope(scope_text), period)
        db.session.commit()
    except DomainError as exc:
        _fail(exc)
    outbox.relay(db.session, current_app.extensions["celery"])
    if run.status == "failed":
        raise click.ClickException(f"billing run {run.id} failed: {run.error}")
    if run.status != "done":
        click.echo(f"billing run {run.id} {run.status}: a worker will carry it out")
        return
    click.echo(f"billing run {run.id} done: {run.bills_created} bills created in {run.compounds_done} compound(s)")


@cli.command("arrears")
@click.option("--compound", "compound_id", type=int, required=True)
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="YYYY-MM-DD (default: today)")
def arrears(compound_id: int, as_of):
    """Print a compound's arrears by days overdue, in yuan."""
    day = as_of.date() if as_of else clock.local_today()
    try:
        report = service.arrears_aging(db.session, None, compound_id, day)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"compound {compound_id}, arrears as of {day}: {len(report.units)} units")
    with force_locale("en"):  # the pages' bucket names, in the language of the other commands
        lines = [(str(label), report.buckets[key]) for key, label in BUCKET_LABELS]
    lines.append(("total", report.total))
    if report.late_fee:
        lines.append(("late fee", report.late_fee))
    for label, fen in lines:
        click.echo(f"  {label:<14} {format_yuan(fen):>14}")


commands = [cli]
