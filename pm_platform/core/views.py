"""Sign-in, sign-out and the user's own account (API tokens). The start page is the home domain's."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from pm_platform.core import auth, health
from pm_platform.core.forms import LoginForm, TokenForm
from pm_platform.core.routing import safe_next
from pm_platform.core.web import public_page
from pm_platform.core.models import ApiToken
from pm_platform.extensions import db, limiter

bp = Blueprint("core", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.get("/healthz")
@public_page
def healthz():
    """200 when the database and Redis answer, else 503 naming what is down (core/health.py)."""
    report, status = health.check()
    return report, status, {"Cache-Control": "no-store"}


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public_page
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = auth.authenticate(db.session, form.username.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(safe_next(request.args.get("next"), url_for("home.index")))
        form.password.errors.append(_("Wrong username or password. After five wrong passwords in a row an "
                                      "account must wait a few minutes before the next try."))
    return render_template("core/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    auth.end_sessions(db.session, current_user)
    logout_user()
    return redirect(url_for("core.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        new_token = auth.create_token(db.session, current_user, form.name.data)
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())).all()
    return render_template("core/account.html", form=form, tokens=tokens, new_token=new_token)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    auth.revoke_token(db.session, current_user, token_id)
    flash(_("Token revoked."))
    return redirect(url_for("core.account"))
