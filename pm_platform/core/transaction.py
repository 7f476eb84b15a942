"""A request commits in one place: when its view returns. If the view raises, nothing is
committed (the error handlers in core/web.py roll back), so a forgotten commit cannot lose work and
a failure half way cannot leave half of it written.

Every view, pages and API alike, is wrapped once when the app is built (`commit_when_view_returns`),
so no view or API function calls `commit()`. A view that refuses input and wants nothing kept rolls
back itself before answering (e.g. `core.forms.submit_form`); whatever it then writes (a fresh scan
to retry with) is committed with its answer. The commit runs inside the view call, so a unique
constraint that stops a second request at commit time still reaches the 409 handler.
"""
from __future__ import annotations

import functools

from flask import Flask

from pm_platform.extensions import db


def _transactional(view):
    @functools.wraps(view)
    def run(*args, **kwargs):
        answer = view(*args, **kwargs)
        db.session.commit()
        return answer

    return run


def commit_when_view_returns(app: Flask) -> None:
    """Call once every blueprint is registered."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint != "static":
            app.view_functions[endpoint] = _transactional(view)
