"""The web layer's shared parts: error answers, language choice, template helpers."""
from __future__ import annotations

import math
import time

from flask import Flask, has_request_context, jsonify, render_template, request, session
from flask_login import current_user
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, IntegrityError
from werkzeug.exceptions import HTTPException

from pm_platform.core import clock, money
from pm_platform.core.errors import DomainError, RowErrors
from pm_platform.extensions import db, limiter

API_PATHS = ("/api/",)


def public_page(view):
    """Mark a page anyone may open without signing in (the route walk test reads this)."""
    view.public = True
    return view


def wants_json() -> bool:
    return request.path.startswith(API_PATHS)


def error_response(status: int, code: str, message: str, field: str | None = None, extra: dict | None = None):
    if wants_json():
        body = {"code": code, "message": message, "field": field, **(extra or {})}
        return jsonify(error=body), status
    return render_template("errors/error.html", status=status, message=message, extra=extra or {}), status


def refusal_kept(exc: DomainError):
    """A JSON refusal for a request whose record is kept all the same (a gate event that is out of
    order is stored, then refused): answered, not raised, so the request still commits."""
    response, status = error_response(exc.status, exc.code, exc.message, exc.field)
    response.status_code = status
    return response


def _validation_message(messages) -> tuple[str, str | None]:
    """First problem of a webargs/marshmallow error dict, as (message, field)."""
    for _location, fields in (messages or {}).items():
        if isinstance(fields, dict):
            for field, problems in fields.items():
                text = problems[0] if isinstance(problems, list) and problems else str(problems)
                if isinstance(text, dict):
                    text = next(iter(text.values()), "invalid")
                    text = text[0] if isinstance(text, list) else text
                return f"{field}: {text}", field
    return "the request is not valid", None


def _is_unique_violation(exc: IntegrityError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)          # PostgreSQL
    return sqlstate == "23505" or (sqlstate is None and "UNIQUE constraint failed" in str(exc.orig))


# What a page says for an HTTP error, in the reader's language (the API keeps werkzeug's English).
PAGE_MESSAGES = {
    400: _l("The request was not valid. Go back, reload the page and try again."),
    403: _l("You may not open this page."),
    404: _l("This page, or what it shows, does not exist."),
    405: _l("This address does not accept this kind of request."),
    500: _l("The error has been recorded. Please go back and try again; if it happens again, "
            "tell the platform administrator."),
}
CSRF_MESSAGE = _l("The form was sent without a valid security token (it may have been open too long, or "
                  "sent from another site). Go back, reload the page and send it again.")


def retry_after_seconds(default: int = 60) -> int:
    """Seconds until the limit this request broke lets the next one through (the limiter's
    reset time), at least 1."""
    current = limiter.current_limit
    try:
        reset_at = current.reset_at if current is not None else None
    except Exception:  # the limiter's storage is unreachable: a sensible guess
        reset_at = None
    return max(1, math.ceil(reset_at - time.time())) if reset_at else default


def wait_text(seconds: int) -> str:
    if seconds < 120:
        return _("%(seconds)d seconds", seconds=seconds)
    return _("%(minutes)d minutes", minutes=math.ceil(seconds / 60))


def _exception_headers(exc: HTTPException) -> dict:
    """The headers werkzeug's own answer to `exc` carries besides its content type: a 405's
    `Allow` (which methods the address takes), a 401's `WWW-Authenticate`."""
    return {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()  # nothing half-written
        if wants_json():  # the API speaks English
            extra = {"rows": exc.rows} if isinstance(exc, RowErrors) else None
            return error_response(exc.status, exc.code, exc.message, exc.field, extra)
        return error_response(exc.status, exc.code, exc.localized, exc.field)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        db.session.rollback()
        if exc.code == 422 and getattr(exc, "data", None):
            message, field = _validation_message(exc.data.get("messages"))
            return error_response(422, "invalid", message, field)
        if exc.code == 413:
            return error_response(413, "too_large", _("The upload is too large."), "file")
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "_")
        if status == 429:  # sign-in attempts (pages) or ID checks (API) too often: say how long to wait
            seconds = retry_after_seconds()
            if wants_json():
                response, status = error_response(429, code, exc.description, extra={"retry_after": seconds})
            else:
                response, status = error_response(429, code, _(
                    "Too many attempts from this address. Please wait %(wait)s and try again.",
                    wait=wait_text(seconds)))
            return response, status, {"Retry-After": str(seconds)}
        if wants_json():
            response, status = error_response(status, code, exc.description or exc.name)
            return response, status, _exception_headers(exc)
        if isinstance(exc, CSRFError):
            return error_response(400, "csrf", str(CSRF_MESSAGE))
        message = PAGE_MESSAGES.get(500 if status >= 500 else status)
        response, status = error_response(status, code, str(message) if message else exc.description or exc.name)
        return response, status, _exception_headers(exc)

    @app.errorhandler(IntegrityError)
    def made_twice_at_once(exc: IntegrityError):
        """Services check for duplicates and say so (409, naming the field); when two requests pass
        that check at the same moment, the database's unique constraint stops the second, which
        gets a 409 too rather than a 500. Other integrity errors are bugs and stay 500s."""
        if not _is_unique_violation(exc):
            raise exc
        db.session.rollback()
        return error_response(409, "conflict", _("This was saved by someone else at the same moment; "
                                                  "reload the page to see it."))

    @app.errorhandler(DBAPIError)
    def database_connection_lost(exc: DBAPIError):
        """A pooled connection the database had closed (it restarted, or a network cut it). The
        pool has dropped every such connection, so trying again works: gates and cabinets retry
        with the same event id, which is safe."""
        if not exc.connection_invalidated:
            raise exc
        db.session.rollback()
        response, status = error_response(503, "database_unavailable",
                                          _("The database connection was lost; please try again."))
        return response, status, {"Retry-After": "1"}


def select_locale() -> str:
    if not has_request_context():  # documents rendered by tasks: the default language
        return "zh"
    chosen = request.args.get("lang") or session.get("lang")
    return chosen if chosen in ("zh", "en") else "zh"


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["yuan"] = money.format_yuan
    app.jinja_env.filters["area"] = money.format_area_m2
    app.jinja_env.filters["local_time"] = clock.format_local
    app.jinja_env.globals["get_locale"] = get_locale

    @app.context_processor
    def navigation():
        """Menu entries (endpoint, label, roles) from each domain's views.NAV, by the user's roles."""
        if not has_request_context() or not current_user.is_authenticated:  # a PDF rendered in a task has no user
            return {"nav_items": []}
        roles = {grant.role for grant in current_user.grants}
        return {"nav_items": [(endpoint, label) for endpoint, label, allowed in app.config.get("NAV", [])
                              if roles & set(allowed)]}

    @app.before_request
    def remember_language():
        if request.args.get("lang") in ("zh", "en"):
            session["lang"] = request.args["lang"]
