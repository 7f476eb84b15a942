"""Test setup: one app per run, its schema built by the real migrations, and every test in
a transaction rolled back at the end. PostgreSQL when DATABASE_URL is set, else SQLite.

The session works in a SAVEPOINT inside that transaction, so `session.commit()` in a test
is safe (the outer rollback still undoes it). Commit test data before making requests: a
request that fails rolls back whatever was not committed, as it would in production.
"""
from __future__ import annotations

import os
import re

import flask_migrate
import pytest
from sqlalchemy import text

from pm_platform import create_app
from pm_platform.core import i18n
from pm_platform.extensions import db
from tests import factories


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    i18n.compile_catalogs()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    app = create_app({
        "TESTING": True, "DATABASE_URL": url, "REDIS_URL": None,
        # secrets generated on this machine (instance/local-secrets.json), as the demo's are
        "LOCAL_SECRETS": True, "PAYMENT_SANDBOX": True, "EXTRA_TASK_MODULES": "tests.jobs", "WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://",
        "LOG_FORMAT": "none",  # pytest captures the records itself (tests/core/test_logs.py checks the JSON lines)
    })
    with app.app_context():
        flask_migrate.upgrade(revision="heads")  # every domain branch of the migrations
        db.session.remove()
    return app


@pytest.fixture(autouse=True)
def _transaction(app):
    """Bind the session to one connection inside a transaction that is rolled back."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        db.session.remove()
        db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield
        finally:
            db.session.remove()
            db.session.configure(bind=db.engine)
            outer.rollback()
            connection.close()


@pytest.fixture
def session(_transaction):
    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(session):
    """Two compounds in two streets of one district, with units and owners."""
    return factories.World.build(session)


@pytest.fixture
def login(client, session):
    """login(user) signs the test client in as that user (session cookie)."""
    def _login(user):
        from flask import g

        # Requests share the test's app context, so Flask-Login's per-context user cache would
        # keep answering with the previous user after a switch.
        g.pop("_login_user", None)
        with client.session_transaction() as flask_session:
            flask_session["_user_id"] = user.get_id()
            flask_session["_fresh"] = True
        return client
    return _login


@pytest.fixture
def api(client, session):
    """api(user) returns headers with a fresh personal access token for that user."""
    from pm_platform.core.auth import create_token

    def _headers(user):
        token = create_token(session, user, "test")
        session.commit()
        return {"Authorization": f"Bearer {token}"}
    return _headers


def is_postgres() -> bool:
    return db.is_postgres


def count(session, sql: str, **params) -> int:
    return session.execute(text(sql), params).scalar_one()


def field_errors(html: str, field: str) -> list[str]:
    """The errors a form page shows under one field (forms that wrap a field in <p id="field-NAME">)."""
    block = re.search(rf'<p id="field-{field}">(.*?)</p>', html, re.S)
    return re.findall(r'<span class="error">(.*?)</span>', block.group(1)) if block else []


@pytest.fixture(scope="module")
def worker_env(app, tmp_path_factory):
    """A real Redis on a free port and a Celery worker process, on their own database.

    Data for it must be written with `worker_env.session()` and committed."""
    from tests.live import LiveEnv

    env = LiveEnv(tmp_path_factory.mktemp("worker"), app.config["IDENTITY_KEY"])
    try:
        yield env
    finally:
        env.close()


@pytest.fixture(scope="session")
def live_server(app, tmp_path_factory):
    """The app served by gunicorn on a database of its own (write data with `.session()`)."""
    from tests.live import LiveEnv

    env = LiveEnv(tmp_path_factory.mktemp("live"), app.config["IDENTITY_KEY"])
    env.start_web()
    try:
        yield env
    finally:
        env.close()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def mobile_page(browser):
    """A phone-sized page (inspectors and residents use phones)."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    yield page
    context.close()
