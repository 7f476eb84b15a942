"""Passwords, personal access tokens and the Flask-Login loaders."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from pm_platform.core import clock
from pm_platform.core.errors import Conflict, NotFound, ValidationError
from pm_platform.core.models import ApiToken, User
from pm_platform.extensions import db, login_manager

TOKEN_PREFIX = "pmp_"
MIN_PASSWORD_LENGTH = 8


def hash_secret(secret: str) -> str:
    """SHA-256 of a high-entropy secret (tokens, device keys); not for passwords."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_user(session: Session, username: str, password: str, display_name: str | None = None) -> User:
    username = (username or "").strip()
    if not username or len(username) > 80:
        raise ValidationError("username must be 1–80 characters", "username")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError("password must be at least {length} characters", "password",
                              length=MIN_PASSWORD_LENGTH)
    if session.scalar(select(User.id).where(User.username == username)):
        raise Conflict("user {username!r} already exists", "username", username=username)
    user = User(username=username, display_name=display_name or username,
                password_hash=generate_password_hash(password))
    session.add(user)
    session.flush()
    return user


def get_user_by_name(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("no user named {username!r}", "username", username=username)
    return user


_NO_USER_HASH: list[str] = []


def _no_user_hash() -> str:
    """A hash to check when the name is unknown, so that the answer takes as long as for a real
    account and its timing does not tell whether a user name exists."""
    if not _NO_USER_HASH:
        _NO_USER_HASH.append(generate_password_hash(secrets.token_urlsafe(16)))
    return _NO_USER_HASH[0]


FREE_FAILURES = 5                      # wrong passwords in a row before the account waits
MAX_LOCK = dt.timedelta(minutes=15)


def lock_for(failures: int) -> dt.timedelta:
    """How long an account waits after `failures` wrong passwords in a row: nothing for the first
    five, then 1, 2, 4, 8 and at most 15 minutes. Kept in the database, so every worker process
    counts the same tries (the per-address limit is per process without Redis).

        >>> [lock_for(n).seconds // 60 for n in (5, 6, 7, 8, 9, 10, 20)]
        [0, 1, 2, 4, 8, 15, 15]
    """
    if failures <= FREE_FAILURES:
        return dt.timedelta(0)
    return min(dt.timedelta(minutes=2 ** min(failures - FREE_FAILURES - 1, 10)), MAX_LOCK)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user, or None: for an unknown name, a wrong password, a disabled account, or an account
    waiting after too many wrong passwords (the answer, and its time, are the same for all four)."""
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    password_hash = user.password_hash if user is not None else _no_user_hash()
    matches = check_password_hash(password_hash, password or "")
    if user is None:
        return None
    now = clock.now_utc()
    if user.locked_until is not None and clock.as_utc(user.locked_until) > now:
        return None
    if not matches:
        user.failed_logins = (user.failed_logins or 0) + 1
        wait = lock_for(user.failed_logins)
        user.locked_until = now + wait if wait else None
        return None
    if not user.is_enabled:
        return None
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    return user


def create_token(session: Session, user: User, name: str = "token") -> str:
    """Create a personal access token; the plain token is returned once and never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=(name or "token")[:100], token_hash=hash_secret(plain)))
    session.flush()
    return plain


def revoke_token(session: Session, user: User, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("no such token")
    token.revoked_at = token.revoked_at or clock.now_utc()


def user_for_token(session: Session, plain: str) -> User | None:
    if not plain.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(plain)))
    if token is None or token.revoked_at is not None or not token.user.is_enabled:
        return None
    token.last_used_at = clock.now_utc()
    return token.user


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def end_sessions(session: Session, user: User) -> None:
    """Sign the user out everywhere: every session cookie issued so far stops working (a cookie
    copied before sign-out cannot be replayed after it)."""
    user.session_epoch = (user.session_epoch or 0) + 1
    session.flush()


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    user_id, _dot, epoch = session_id.partition(".")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() and len(user_id) < 10 else None
    if user is None or not user.is_enabled or (epoch or "0") != str(user.session_epoch):
        return None
    return user
