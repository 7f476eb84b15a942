"""The CLI is a contract for scripts."""
from sqlalchemy import func, select

from pm_platform.core.auth import hash_secret
from pm_platform.core.models import ApiToken, User
from pm_platform.places.cli import create_device, create_token, create_user, revoke_device
from pm_platform.places.models import Device, RoleGrant


def test_users_create_with_role_and_scope_then_token(app, world, session, client):
    runner = app.test_cli_runner()
    compound = world.compounds[0]
    result = runner.invoke(create_user, ["clerk01", "--password", "s3cret-pass", "--role", "firm_manager",
                                         "--scope", f"firm:{world.firm.id}"])
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.username == "clerk01"))
    grant = session.scalar(select(RoleGrant).where(RoleGrant.user_id == user.id))
    assert (grant.role, grant.scope_kind, grant.scope_id) == ("firm_manager", "firm", world.firm.id)

    token_run = runner.invoke(create_token, ["clerk01"])
    token = token_run.output.strip()
    assert token_run.exit_code == 0 and "\n" not in token and token.startswith("pmp_")
    assert session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(token))).user_id == user.id
    names = {c["name"] for c in client.get("/api/v1/compounds", headers={"Authorization": f"Bearer {token}"}).json}
    assert names == {compound.name}


def test_admin_needs_no_scope_and_bad_scopes_are_refused(app, world, session):
    runner = app.test_cli_runner()
    assert runner.invoke(create_user, ["root2", "--password", "long-enough", "--role", "admin"]).exit_code == 0
    bad = runner.invoke(create_user, ["x1", "--password", "long-enough", "--role", "street", "--scope", "planet:1"])
    assert bad.exit_code != 0 and "KIND:ID" in bad.output
    missing = runner.invoke(create_user, ["x2", "--password", "long-enough", "--role", "street", "--scope", "street:999999"])
    assert missing.exit_code != 0 and "not found" in missing.output
    short = runner.invoke(create_user, ["x3", "--password", "short", "--role", "admin"])
    assert short.exit_code != 0 and "at least 8" in short.output
    assert session.scalar(select(User).where(User.username.in_(["x1", "x2", "x3"]))) is None


def test_devices_create_prints_only_the_key(app, world, session):
    result = app.test_cli_runner().invoke(create_device, ["--kind", "gate", "--scope", f"compound:{world.compounds[0].id}"])
    key = result.output.strip()
    assert result.exit_code == 0 and key.startswith("pmd_") and "\n" not in key
    device = session.scalar(select(Device).where(Device.key_hash == hash_secret(key)))
    assert device.kind == "gate" and device.compound_id == world.compounds[0].id
    wrong = app.test_cli_runner().invoke(create_device, ["--kind", "gate", "--scope", f"street:{world.streets[0].id}"])
    assert wrong.exit_code != 0


def test_devices_revoke_refuses_the_key_from_then_on(app, world, session, client):
    runner = app.test_cli_runner()
    key = runner.invoke(create_device, ["--kind", "locker", "--scope", f"compound:{world.compounds[0].id}"]).output.strip()
    device = session.scalar(select(Device).where(Device.key_hash == hash_secret(key)))
    event = {"event_id": "e1", "site_id": 999_999, "parcel_id": "P1", "kind": "deposit", "at": "2026-11-01T10:00:00"}
    assert client.post("/api/v1/lockers/events", json=event, headers={"Authorization": f"Bearer {key}"}).status_code == 404
    result = runner.invoke(revoke_device, [str(device.id)])
    assert result.exit_code == 0 and f"(id {device.id})" in result.output
    assert client.post("/api/v1/lockers/events", json=event, headers={"Authorization": f"Bearer {key}"}).status_code == 401
    assert runner.invoke(revoke_device, [str(device.id)]).exit_code == 0      # twice changes nothing
    missing = runner.invoke(revoke_device, ["999999"])
    assert missing.exit_code != 0 and "device 999999 not found" in missing.output


def test_demo_size_small_builds_one_street_with_every_demo_login(app, session):
    from pm_platform.demo import demo_command
    from pm_platform.places.models import AdminArea, Compound

    result = app.test_cli_runner().invoke(demo_command, ["--size", "small"])
    assert result.exit_code == 0, result.output
    assert "places: 4 compounds in 1 streets" in result.output and "demo data ready" in result.output
    assert session.scalar(select(func.count()).select_from(Compound)) == 4
    assert session.scalar(select(func.count()).select_from(AdminArea).where(AdminArea.kind == "street")) == 1
    names = set(session.scalars(select(User.username)))
    assert {"admin", "bureau", "street", "community", "manager", "inspector", "committee", "owner"} <= names
    for domain in ("fees", "revenue", "parking", "lockers", "committees", "workorders", "inspections", "scoring"):
        line = next(line for line in result.output.splitlines() if line.strip().startswith(f"{domain}:"))
        assert "already" not in line and "skipped" not in line and "no demo" not in line, line
    assert "already present" in app.test_cli_runner().invoke(demo_command, ["--size", "small"]).output
    assert app.test_cli_runner().invoke(demo_command, ["--size", "huge"]).exit_code != 0
