"""Commands: a district's deadlines by priority, and the periodic jobs run by hand."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from pm_platform.core.errors import DomainError
from pm_platform.extensions import db
from pm_platform.workorders import followups, service
from pm_platform.workorders.models import PRIORITIES

cli = AppGroup("workorders", help="Work-order deadlines and jobs.")


@cli.command("deadline")
@click.argument("district_id", type=int)
@click.argument("priority", type=click.Choice(PRIORITIES))
@click.option("--respond", "respond_minutes", type=int, required=True, help="minutes to respond")
@click.option("--resolve", "resolve_minutes", type=int, required=True, help="minutes to resolve")
def set_deadline(district_id, priority, respond_minutes, resolve_minutes):
    """Set DISTRICT_ID's deadlines for PRIORITY (new orders use them)."""
    try:
        service.set_deadline_policy(db.session, None, district_id, priority, respond_minutes, resolve_minutes)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"district {district_id}, {priority}: respond in {respond_minutes} min, resolve in {resolve_minutes} min")


@cli.command("run-jobs")
def run_jobs():
    """Escalate overdue orders, close unconfirmed ones and draw last week's follow-up sample now."""
    escalated = service.escalate_overdue(db.session)
    closed = service.close_unconfirmed(db.session)
    sampled = followups.sample_follow_ups(db.session)
    db.session.commit()
    click.echo(f"escalated {escalated}, closed unconfirmed {closed}, sampled {sampled} for follow-up")


commands = [cli]
