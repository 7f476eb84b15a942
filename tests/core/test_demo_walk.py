"""A walk of the small demo (`flask demo --size small`) as every demo login and anonymously.

Each walker signs in through the login form, starts at "/" and at the pages QR codes open (a
receipt's check, a facility label, a motion's public notice) and follows every same-site link of
every page it reaches (<a href>, GET forms with their default values, redirects, PDF / .xlsx /
.csv downloads), never POSTing, never signing out or switching the language (tests/walker.py).
The walk is bounded to stay within a minute or so per database: every distinct endpoint a role
reaches, at most PER_ENDPOINT distinct URLs of each (the first ones found, breadth first).

It fails on any 5xx, and on a Chinese page showing the interface's English (the catalogs' English
msgids that have a Chinese translation, the distinctive ones; and English prose such as a note
stored in English) or a raw status key the catalogs translate, listing role, URL and the
referring page. KNOWN_FAILURES are defects being fixed elsewhere: reported, not failed.

The demo is built once for the module, inside a transaction rolled back at the end (this module
replaces conftest's per-test transaction; each request of the walk runs in its own app context
on that connection, as in production), so it works the same on SQLite and PostgreSQL.
"""
from __future__ import annotations

import pytest

from pm_platform.demo import build_demo
from pm_platform.extensions import db, limiter
from pm_platform.places.demo import DEMO_PASSWORD
from tests.walker import ANONYMOUS, DEMO_LOGINS, KnownFailure, Walker, entry_points, login, summary

PER_ENDPOINT = 3
ROLES = (ANONYMOUS, *DEMO_LOGINS)
# Pages (200) each walk must reach, so that a broken login or an empty demo cannot pass.
MIN_PAGES = {ANONYMOUS: 4, "owner": 15}
MIN_PAGES_STAFF = 30

# Defects known and not yet fixed: role and URL patterns → reason (reported, not failed). Keep it
# empty: every defect the walk found has been fixed, each with its own regression test.
KNOWN_FAILURES: list[KnownFailure] = []


@pytest.fixture(autouse=True)
def _transaction():
    """Replaces conftest's: these tests only read the walk of the module's demo."""
    yield


@pytest.fixture(scope="module")
def walks(app):
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        db.session.remove()
        db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        with app.app_context():
            built = build_demo(db.session, "small")
            assert not [text for text in built.values() if "already" in text or "skip" in text], built
            starts = ["/", *entry_points(db.session)]
            db.session.remove()
        walker = Walker(app, per_endpoint=PER_ENDPOINT, known=KNOWN_FAILURES)
        walks = {}
        for role in ROLES:
            client = app.test_client()
            limiter.reset()
            if role == ANONYMOUS or login(client, role, DEMO_PASSWORD):
                walks[role] = walker.walk(client, role, starts)
        print(summary(walks.values()))
        yield walks
    finally:
        with app.app_context():
            db.session.remove()
            db.session.configure(bind=db.engine)
        outer.rollback()
        connection.close()


def _listing(problems) -> str:
    return "\n".join(str(p) for p in problems)


def test_every_demo_login_signs_in_and_reaches_its_pages(walks):
    assert set(walks) == set(ROLES), f"cannot sign in: {sorted(set(ROLES) - set(walks))}"
    reached = {role: walk.pages for role, walk in walks.items()}
    assert all(reached[role] >= MIN_PAGES.get(role, MIN_PAGES_STAFF) for role in ROLES), reached
    for role in DEMO_LOGINS:  # every login lands on the compound list and gets past it
        assert "places.compounds" in walks[role].endpoints, role


def test_no_page_answers_a_server_error(walks):
    errors = [p for walk in walks.values() for p in walk.problems if p.kind == "5xx" and not p.known]
    assert not errors, "pages answering 5xx:\n" + _listing(errors)


def test_chinese_pages_show_no_english_from_the_interface(walks):
    english = [p for walk in walks.values() for p in walk.problems if p.kind != "5xx" and not p.known]
    assert not english, "English on Chinese pages:\n" + _listing(english)


def test_the_demo_work_orders_open(walks):
    """Regression: the demo shifted work-order events back with SQL date arithmetic, an integer on
    SQLite, and /workorders/<id> answered 500."""
    details = [v for walk in walks.values() for v in walk.visits if v.endpoint == "workorders.detail"]
    assert len({v.url for v in details}) >= 3 and all(v.status == 200 for v in details)
