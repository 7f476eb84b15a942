"""`flask scoring compute [MONTH] [--district ID]`: the monthly cards by hand (the task runs it on the 2nd)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from pm_platform.core.errors import DomainError
from pm_platform.extensions import db
from pm_platform.scoring import service

scoring_cli = AppGroup("scoring", help="Service scores.")


@scoring_cli.command("compute")
@click.argument("month", required=False)
@click.option("--district", "district_id", type=int, default=None, help="only this district")
def compute(month: str | None, district_id: int | None) -> None:
    """Compute MONTH's cards (default: last month); published months are left alone."""
    try:
        written = service.compute_month(db.session, month or service.previous_month(), district_id)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"{written} cards written")


commands = [scoring_cli]
