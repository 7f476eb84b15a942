"""A request commits in one place (core/transaction.py): no page or API module commits itself, and
a view that raises leaves nothing written."""
import re
from pathlib import Path

from sqlalchemy import func, select

from pm_platform.core.models import ApiToken

ROOT = Path(__file__).resolve().parents[2]


def test_no_view_or_api_module_commits():
    offenders = [f"{path.relative_to(ROOT)}:{number}"
                 for path in sorted((ROOT / "pm_platform").glob("*/*.py")) if path.stem in ("views", "api")
                 for number, line in enumerate(path.read_text().splitlines(), 1) if re.search(r"\.commit\(\)", line)]
    assert offenders == []


def test_a_view_that_returns_is_committed_and_one_that_raises_is_not(app, client, session, world, login, monkeypatch):
    owner = world.user(session, "owner")
    login(owner)
    assert client.post("/account", data={"name": "phone"}).status_code == 200  # creates a token, commits
    session.rollback()  # the test's own view of the data: only what the request committed is left
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 1

    from pm_platform.core import auth
    real = auth.create_token

    def create_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("failed half way")
    monkeypatch.setattr(auth, "create_token", create_then_fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        assert client.post("/account", data={"name": "tablet"}).status_code == 500
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    session.rollback()
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 1  # nothing half-written
