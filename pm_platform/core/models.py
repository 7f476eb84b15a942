"""Users and their API tokens, the audit log and the job outbox."""
from __future__ import annotations

import datetime as dt

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pm_platform.db import Base, CreatedAt, intpk


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str]
    password_hash: Mapped[str] = mapped_column(String(255))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[CreatedAt]
    last_login_at: Mapped[dt.datetime | None]
    # part of the session cookie's user id; signing out moves it on, so a copied cookie stops working
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # the per-account login throttle (core.auth): wrong passwords in a row, and until when it is shut
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None]

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    @property
    def is_active(self) -> bool:  # Flask-Login asks this
        return self.is_enabled

    def get_id(self) -> str:  # what the session cookie holds: "<id>.<epoch>"
        return f"{self.id}.{self.session_epoch}"


class ApiToken(Base):
    """A personal access token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[CreatedAt]
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")


class AuditEntry(Base):
    """Append-only; each entry carries the previous entry's hash."""

    __tablename__ = "audit_entries"

    id: Mapped[intpk]
    created_at: Mapped[dt.datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(80))
    entity: Mapped[str] = mapped_column(String(80))
    entity_id: Mapped[str] = mapped_column(String(80))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class OutboxMessage(Base):
    """A job written in the request's own transaction, handed to Celery after commit."""

    __tablename__ = "outbox_messages"

    id: Mapped[intpk]
    task_name: Mapped[str] = mapped_column(String(100))
    args: Mapped[str] = mapped_column(Text)  # JSON list of plain values
    created_at: Mapped[CreatedAt]
    sent_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    done_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # the id of the request that wrote the job (core/logs.py): the job's log lines carry it too
    request_id: Mapped[str | None] = mapped_column(String(64))
