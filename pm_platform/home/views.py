"""The start page at `/`: one section per role the signed-in person holds."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from pm_platform.extensions import db
from pm_platform.fees import payments
from pm_platform.fees.forms import ConfirmForm
from pm_platform.home import service

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    return render_template("home/index.html", sections=service.home_page(db.session, current_user),
                           pay_form=ConfirmForm(), online=payments.default_provider() is not None)
