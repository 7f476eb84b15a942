"""Rules every request obeys, written once: ids within the database's range, no NUL bytes, and
one safe-URL check for every redirect a request names (`?next=`), and private answers kept private.

An id beyond PostgreSQL's `integer` reached a query that overflowed (a 500, anonymous pages
included); a NUL byte in a path or a parameter failed in the driver (PostgreSQL text cannot hold
one); `?next=https://evil.example` on the login sent a signed-in user away.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, abort, current_app, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the database's integer (every primary key is one)


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: a number beyond MAX_ID matches no route, so it is a 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def id_parameter_schema(converter: IdConverter) -> dict:
    """How the OpenAPI document describes such a path parameter."""
    return {"type": "integer", "minimum": 0 if converter.min is None else converter.min, "maximum": converter.max}


def safe_next(target: str | None, fallback: str) -> str:
    """`target` when it is a path on this site, else `fallback`: the one check every redirect to a
    URL that came with the request goes through."""
    target = (target or "").strip()
    if (not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(ch) < 32 or ord(ch) == 127 for ch in target)):
        return fallback
    parts = urlsplit(target)
    return fallback if parts.scheme or parts.netloc else target


def _has_nul(values) -> bool:
    # a multipart part whose name werkzeug cannot read (a raw CR in it) has the key None
    return any("\x00" in (key or "") or any("\x00" in (value or "") for value in values.getlist(key))
               for key in values)


def _json_has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any("\x00" in key or _json_has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_json_has_nul(item) for item in value)
    return False


def refuse_nul_bytes():
    """A NUL byte anywhere a service could read it is a 400 before any view runs: the path, the
    query, a form, a JSON body ("\u0000" in a string reached PostgreSQL: a 500)."""
    if "\x00" in request.path or _has_nul(request.args):
        abort(400)
    if request.method in ("POST", "PUT", "PATCH"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data") and _has_nul(request.form):
            abort(400)
        if request.is_json and _json_has_nul(request.get_json(silent=True)):
            abort(400)


def keep_private(response):
    """What a signed-in user or a token sees (pages, photos, receipts, scans) is never kept by a
    shared cache or on disk: `Cache-Control: private, no-store`. Static assets stay cacheable."""
    if request.path.startswith("/static/"):
        return response
    if current_user.is_authenticated or request.headers.get("Authorization"):
        response.cache_control.public = False
        response.cache_control.max_age = None
        response.cache_control.private = True
        response.cache_control.no_store = True
    return response


def id_beyond_range_is_not_found():
    """werkzeug checks a route's methods before its converters: a POST to `/…/2147483648/units`,
    an address that takes only GET, came back 405 naming GET, where a GET to it is a 404. When
    the address answers none of the methods the 405 names, it does not exist: 404."""
    exc = request.routing_exception
    if not isinstance(exc, MethodNotAllowed) or not exc.valid_methods:
        return
    adapter = current_app.create_url_adapter(request)
    for method in exc.valid_methods:
        try:
            adapter.match(method=method)
        except (NotFound, MethodNotAllowed):
            continue
        except HTTPException:  # a redirect: the address exists
            return
        return
    abort(404)


def install(app: Flask) -> None:
    """Call before any blueprint is registered (rules bind their converters when added)."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(id_beyond_range_is_not_found)
    app.before_request(refuse_nul_bytes)
    app.after_request(keep_private)
