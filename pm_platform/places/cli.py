"""Commands for scripts: users, tokens, devices, the demo district."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from pm_platform.core import auth
from pm_platform.core.errors import DomainError
from pm_platform.extensions import db
from pm_platform.places import service
from pm_platform.places.models import ROLES

cli = AppGroup("users", help="Create users and their API tokens.")
devices_cli = AppGroup("devices", help="Register parking gates and locker cabinets.")


def _fail(exc: DomainError):
    db.session.rollback()
    raise click.ClickException(exc.message)


@cli.command("create")
@click.argument("name")
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--scope", "scope_text", default=None, help="KIND:ID, e.g. compound:12 (not for admin)")
def create_user(name, password, role, scope_text):
    """Create a user holding ROLE on a place."""
    try:
        user = service.create_user_with_role(db.session, name, password, role, scope_text)
        db.session.commit()
    except DomainError as exc:
        _fail(exc)
    click.echo(f"created user {user.username} (id {user.id}) as {role}")


@cli.command("token")
@click.argument("name")
def create_token(name):
    """Print a new personal access token for user NAME (and nothing else)."""
    try:
        token = auth.create_token(db.session, auth.get_user_by_name(db.session, name), "cli")
        db.session.commit()
    except DomainError as exc:
        _fail(exc)
    click.echo(token)


@devices_cli.command("create")
@click.option("--kind", required=True, type=click.Choice(["gate", "locker"]))
@click.option("--scope", "scope_text", required=True, help="compound:ID")
@click.option("--name", default="")
def create_device(kind, scope_text, name):
    """Print a new device key (and nothing else)."""
    try:
        scope_kind, compound_id = service.parse_scope(scope_text)
        if scope_kind != "compound":
            raise DomainError("devices belong to a compound: use --scope compound:ID", "scope")
        _device, key = service.create_device(db.session, None, kind, compound_id, name)
        db.session.commit()
    except DomainError as exc:
        _fail(exc)
    click.echo(key)


@devices_cli.command("revoke")
@click.argument("device_id", type=int)
def revoke_device(device_id):
    """Refuse device DEVICE_ID's key from now on (a stolen or replaced gate or cabinet)."""
    try:
        device = service.revoke_device(db.session, None, device_id)
        db.session.commit()
    except DomainError as exc:
        _fail(exc)
    click.echo(f"revoked {device.kind} {device.name} (id {device.id}) of compound {device.compound_id}")


commands = [cli, devices_cli]
