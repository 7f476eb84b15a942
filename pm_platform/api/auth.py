"""Who is calling the API: a user with a personal token, or a machine with a device key."""
from __future__ import annotations

from flask import g, request
from flask_login import AnonymousUserMixin

from pm_platform.core.auth import bearer_secret, user_for_token
from pm_platform.core.errors import Unauthorized
from pm_platform.extensions import db
from pm_platform.places.service import DeviceCaller, device_for_key

API_PREFIX = "/api/v1/"


def public(view):
    """Mark an API endpoint that anyone may call (e.g. verifying a receipt)."""
    view.api_access = "public"
    return view


def device_only(view):
    """Mark an API endpoint for machines: the caller must present a live device key."""
    view.api_access = "device"
    return view


def current_device() -> DeviceCaller:
    return g.device


def authenticate_api_request(app) -> None:
    """before_request: every /api/v1 endpoint needs a bearer credential unless marked public.

    The session cookie is ignored here: the token alone says who is calling.
    """
    if not request.path.startswith(API_PREFIX) or request.endpoint is None:
        return
    view = app.view_functions.get(request.endpoint)
    access = getattr(view, "api_access", "user")
    g._login_user = AnonymousUserMixin()
    if access == "public":
        return
    secret = bearer_secret()
    if secret is None:
        raise Unauthorized("send 'Authorization: Bearer <token>'")
    if access == "device":
        device = device_for_key(db.session, secret)
        if device is None:
            raise Unauthorized("unknown or revoked device key")
        g.device = device
        return
    user = user_for_token(db.session, secret)
    if user is None:
        raise Unauthorized("invalid or revoked token")
    g._login_user = user  # what Flask-Login's current_user reads
