"""Logs: one JSON object per line, each with the request id, and no phone numbers.

- python-json-logger formats the standard `logging` records, so every module's
  `logging.getLogger(__name__)`, Flask's, Celery's and werkzeug's lines come out as JSON with no
  change to the code that logs.
- Every request has an id: the caller's `X-Request-ID` when it is a sane token, else a new one. The
  answer carries it back in `X-Request-ID`, and every line logged while the request runs carries it
  as `request_id`. A job the request writes to the outbox keeps the id (outbox_messages.request_id,
  sent as a Celery header), so the lines the job logs in the worker carry it too.
- A mobile number (11 digits, 1[3-9]…, also written 139-1234-5678 or after +86) is masked in every
  message, argument and traceback (139****5678) before any handler writes it.

Settings: LOG_FORMAT (`json`, the default, or `text`), LOG_LEVEL (default INFO), LOG_REQUESTS (one
line per answered request, default on).
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, request
from pythonjsonlogger.json import JsonFormatter

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# What an incoming X-Request-ID may be (a proxy's or a client's id); anything else is replaced.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}")
HEADER = "X-Request-ID"
CELERY_HEADER = "request_id"

# A mainland mobile number standing on its own (not inside a longer number or a word such as a
# hex request id), perhaps after the country code.
PHONE = re.compile(r"(?<![0-9A-Za-z])(\+?86[- ]?)?(1[3-9][0-9])[- ]?[0-9]{4}[- ]?([0-9]{4})(?![0-9A-Za-z])")


def mask_phones(text: str) -> str:
    """139****5678 for every mobile number in `text` (the mask the pages use)."""
    return PHONE.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}****{m.group(3)}", text)


def current_request_id() -> str | None:
    return request_id_var.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def request_id_context(request_id: str | None):
    """Lines logged inside carry `request_id` (a job runs under the id of the request that queued it)."""
    token = request_id_var.set(request_id or current_request_id())
    try:
        yield
    finally:
        request_id_var.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (None outside a request or a job)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get()
        return True


class PhoneMaskFilter(logging.Filter):
    """Masks mobile numbers in the message (with its arguments merged in) and the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler's error path
            return True
        masked = mask_phones(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_phones(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_phones(record.stack_info)
        return True


class PlatformJsonFormatter(JsonFormatter):
    """The JSON line; masks once more over the whole line (extra fields included)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_phones(super().format(record))


class PlatformTextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_phones(super().format(record))


def make_handler(stream=None, fmt: str = "json") -> logging.Handler:
    """A handler writing the platform's lines to `stream` (stderr by default)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(PhoneMaskFilter())
    if fmt == "text":
        handler.setFormatter(PlatformTextFormatter(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    else:
        handler.setFormatter(PlatformJsonFormatter(
            "%(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time", json_ensure_ascii=False))
    handler._pm_platform = True  # type: ignore[attr-defined]
    return handler


QUIET_LIBRARIES = ("weasyprint", "fontTools")


def configure_root(level: str = "INFO", fmt: str = "json", stream=None) -> logging.Handler:
    """Send every logger's lines through one platform handler (replacing an earlier one of ours)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_pm_platform", False)]:
        root.removeHandler(old)
    handler = make_handler(stream, fmt)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for chatty in QUIET_LIBRARIES:  # a line per layout step of every PDF is not an event
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))
    return handler


# --- requests ----------------------------------------------------------------------------------

access_log = logging.getLogger("pm_platform.request")


def _start_request():
    incoming = request.headers.get(HEADER, "")
    request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else new_request_id()
    g.request_id = request_id
    g._request_id_token = request_id_var.set(request_id)
    g._request_started = time.perf_counter()


def _finish_request(response):
    request_id = g.get("request_id")
    if request_id:
        response.headers[HEADER] = request_id
        started = g.get("_request_started")
        if started is not None and g.get("_log_requests"):
            access_log.info("%s %s %s", request.method, request.path, response.status_code, extra={
                "method": request.method, "path": request.path, "status": response.status_code,
                "duration_ms": round(1000 * (time.perf_counter() - started), 1)})
    return response


def _end_request(_exc=None):
    token = g.pop("_request_id_token", None)
    if token is not None:
        try:
            request_id_var.reset(token)
        except ValueError:  # set in another context (cannot happen with Flask's request contexts)
            request_id_var.set(None)


def install(app: Flask) -> None:
    """Configure logging (unless the host already did: LOG_FORMAT=none) and the request id hooks.

    The request id is taken first, before any other before-request function, so that a request
    refused early (a NUL byte, a bad token) still carries one; call this after every other
    before_request registration."""
    fmt = str(app.config.get("LOG_FORMAT") or "json").lower()
    if fmt in ("json", "text"):
        configure_root(str(app.config.get("LOG_LEVEL") or "INFO"), fmt)
    log_requests = str(app.config.get("LOG_REQUESTS", "1")).lower() not in ("0", "false", "no", "off", "")

    def start():
        _start_request()
        g._log_requests = log_requests

    app.before_request_funcs.setdefault(None, []).insert(0, start)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)
