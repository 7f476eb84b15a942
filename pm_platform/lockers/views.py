"""Pages for locker sites (overdue parcels, settlements) and residents' parcel notices."""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, render_template, send_file
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from pm_platform.core import clock
from pm_platform.core.pdf import render_pdf
from pm_platform.extensions import db
from pm_platform.lockers import service

bp = Blueprint("lockers", __name__)
NAV = [("lockers.sites", _l("Express lockers"), service.VIEWER_ROLES),
       ("lockers.my_parcels", _l("My parcels"), {"owner"})]


@bp.get("/lockers")
@login_required
def sites():
    items = service.list_sites(db.session, current_user)
    return render_template("lockers/sites.html", sites=items,
                           overdue={s.id: len(service.overdue_parcels(db.session, s)) for s in items})


@bp.get("/lockers/sites/<int:site_id>")
@login_required
def site(site_id: int):
    item = service.get_site(db.session, current_user, site_id)
    return render_template("lockers/site.html", site=item, overdue=service.overdue_parcels(db.session, item),
                           settlements=service.list_settlements(db.session, current_user, item.compound_id))


@bp.get("/lockers/settlements/<int:settlement_id>.pdf")
@login_required
def statement(settlement_id: int):
    settlement = service.get_settlement(db.session, current_user, settlement_id)
    pdf = render_pdf("pdf/locker_statement.html", {"settlement": settlement, "contract": settlement.contract,
                                                   "printed_on": clock.local_today()})
    return send_file(BytesIO(pdf), mimetype="application/pdf",
                     download_name=f"locker-statement-{settlement.period}-{settlement.contract_id}.pdf")


@bp.get("/my/parcels")
@login_required
def my_parcels():
    return render_template("lockers/my_parcels.html", parcels=service.resident_notices(db.session, current_user))
