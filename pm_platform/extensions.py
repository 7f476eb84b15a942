"""Extensions created once and bound to the app in create_app."""
from __future__ import annotations

from flask import Flask
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_talisman import Talisman
from flask_wtf import CSRFProtect
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from pm_platform.config import normalise_database_url


class Database:
    """The engine and the request/task-scoped session.

    Plain SQLAlchemy rather than Flask-SQLAlchemy: tests bind the session to one
    connection inside a rolled-back transaction, which needs control of the bind.
    """

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session: scoped_session[Session] = scoped_session(sessionmaker())

    def init_app(self, app: Flask) -> None:
        url = normalise_database_url(app.config["DATABASE_URL"])
        self.engine = create_engine(url, **_engine_options(url))
        self.session.remove()
        self.session.configure(bind=self.engine)
        app.teardown_appcontext(lambda exc: self.session.remove())

    @property
    def is_postgres(self) -> bool:
        return self.engine is not None and self.engine.dialect.name == "postgresql"


def _engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        return {"connect_args": {"check_same_thread": False, "timeout": 30}}
    # No ping before every checkout: it cost a fifth of a gate event's CPU. A connection the
    # database closed fails one request with 503 (core.web) and the pool drops them all;
    # recycling keeps idle connections from being cut by server or firewall timeouts.
    return {"pool_recycle": 1800}


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    if _is_sqlite(dbapi_connection):
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so that
        # savepoints work (SQLAlchemy's documented pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    if connection.dialect.name == "sqlite":
        # execution option sqlite_immediate: take the write lock now, for a transaction that reads
        # and then writes while other processes write too (a deferred one would find its snapshot
        # stale at its first write and fail with "database is locked")
        immediate = connection.get_execution_options().get("sqlite_immediate")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


db = Database()
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
api = Api()  # its error body and statuses: core/apidoc.init_api
talisman = Talisman()
