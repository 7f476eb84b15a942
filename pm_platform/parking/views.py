"""Pages for lot managers: lots, occupancy, the day's takings, anomalies."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required

from pm_platform.extensions import db
from pm_platform.parking import service
from pm_platform.parking.forms import ResolveForm

bp = Blueprint("parking", __name__)
NAV = [("parking.lots", _l("Parking"), service.VIEWER_ROLES)]


@bp.get("/parking")
@login_required
def lots():
    items = service.list_lots(db.session, current_user)
    return render_template("parking/lots.html", figures=[service.lot_figures(db.session, lot) for lot in items])


@bp.get("/parking/lots/<int:lot_id>")
@login_required
def lot(lot_id: int):
    item = service.get_lot(db.session, current_user, lot_id)
    return render_template("parking/lot.html", lot=item, figures=service.lot_figures(db.session, item),
                           anomalies=service.open_anomalies(db.session, item), form=ResolveForm(),
                           sessions=service.recent_stays(db.session, item))


@bp.post("/parking/anomalies/<int:anomaly_id>/resolve")
@login_required
def resolve(anomaly_id: int):
    form = ResolveForm()
    anomaly = service.resolve_anomaly(db.session, current_user, anomaly_id, form.note.data or "")
    db.session.commit()
    flash(_("Anomaly marked as handled."))
    return redirect(url_for("parking.lot", lot_id=anomaly.lot_id))
