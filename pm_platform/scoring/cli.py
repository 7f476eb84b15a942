"""`flask scoring compute [MONTH] [--district ID]`: the monthly cards by hand (the task runs it on the 2nd).
`flask scoring publish-redblack --month M --scope street:ID|district:ID --as NAME`: the red and
black lists, as the lists page publishes them."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from pm_platform.core import auth
from pm_platform.core.errors import DomainError
from pm_platform.extensions import db
from pm_platform.scoring import boards, ranking, service
from pm_platform.scoring.schemas import points_text

scoring_cli = AppGroup("scoring", help="Service scores.")


def _fail(exc: DomainError):
    db.session.rollback()
    raise click.ClickException(exc.message) from None


@scoring_cli.command("compute")
@click.argument("month", required=False)
@click.option("--district", "district_id", type=int, default=None, help="only this district")
def compute(month: str | None, district_id: int | None) -> None:
    """Compute MONTH's cards (default: last month); published months are left alone."""
    try:
        written = service.compute_month(db.session, month or service.previous_month(), district_id)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"{written} cards written")


@scoring_cli.command("publish-redblack")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--scope", "scope_text", required=True, help="street:ID or district:ID")
# A notice names who published it, and the page lets only the office's own officials do it.
@click.option("--as", "username", required=True, help="user name of the official who publishes them")
def publish_redblack(month: str, scope_text: str, username: str) -> None:
    """Publish MONTH's red and black lists once the street office (or every street office of
    the district) has published its cards; print what was published."""
    try:
        actor = auth.get_user_by_name(db.session, username)
        area = boards.lists_scope(db.session, actor, scope_text)
        notice = ranking.publish_lists(db.session, actor, area.id, month)
        lines = [f"published the red and black lists of {area.name} ({area.kind}:{area.id}) for {month}"]
        lines += [f"{e.board}\t{e.rank}\t{e.subject}\t{e.name}\t{points_text(e.total)}" for e in notice.entries]
        db.session.commit()
    except DomainError as exc:
        _fail(exc)
    click.echo("\n".join(lines))


commands = [scoring_cli]
