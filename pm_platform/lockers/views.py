"""Pages for locker contracts and sites (overdue parcels, settlements) and residents' parcel notices."""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required

from pm_platform.core import clock
from pm_platform.core.forms import submit_form
from pm_platform.core.pdf import render_pdf
from pm_platform.extensions import db
from pm_platform.lockers import service
from pm_platform.lockers.forms import ContractForm, SiteForm
from pm_platform.places import scope, service as places

bp = Blueprint("lockers", __name__)
NAV = [("lockers.sites", _l("Express lockers"), service.VIEWER_ROLES),
       ("lockers.my_parcels", _l("My parcels"), {"owner"})]


@bp.get("/lockers")
@login_required
def sites():
    items = service.list_sites(db.session, current_user)
    return render_template("lockers/sites.html", sites=items, compounds=service.list_compounds(db.session, current_user),
                           overdue={s.id: len(service.overdue_parcels(db.session, s)) for s in items})


@bp.get("/compounds/<int:compound_id>/lockers")
@login_required
def contracts(compound_id: int):
    compound = scope.get_compound(db.session, current_user, compound_id, roles=service.VIEWER_ROLES)
    roles = scope.roles_on(db.session, current_user, compound_id)
    return render_template("lockers/contracts.html", compound=compound,
                           contracts=service.list_contracts(db.session, current_user, compound_id),
                           sites=service.list_sites(db.session, current_user, compound_id),
                           settlements=service.list_settlements(db.session, current_user, compound_id),
                           can_manage=bool(roles & service.MANAGER_ROLES),
                           can_see_devices=bool(roles & places.DEVICE_VIEWER_ROLES))


@bp.route("/compounds/<int:compound_id>/lockers/contracts/new", methods=["GET", "POST"])
@login_required
def new_contract(compound_id: int):
    compound = scope.get_compound(db.session, current_user, compound_id, roles=service.MANAGER_ROLES)
    form = ContractForm()
    if submit_form(form, lambda: service.create_contract(
            db.session, current_user, compound_id, form.operator.data, monthly_rent_fen=form.monthly_rent.data,
            commission_fen=form.commission.data, free_hours=form.free_hours.data, starts_on=form.starts_on.data,
            ends_on=form.ends_on.data)):
        flash(_("Contract saved. Add its locker sites next."))
        return redirect(url_for("lockers.contracts", compound_id=compound_id))
    return render_template("lockers/form.html", form=form, compound=compound, title=_("New operator contract"))


@bp.route("/lockers/contracts/<int:contract_id>/sites/new", methods=["GET", "POST"])
@login_required
def new_site(contract_id: int):
    contract = service.get_contract(db.session, current_user, contract_id, roles=service.MANAGER_ROLES)
    form = SiteForm()
    if submit_form(form, lambda: service.create_site(db.session, current_user, contract_id, form.name.data)):
        flash(_("Locker site added."))
        return redirect(url_for("lockers.contracts", compound_id=contract.compound_id))
    return render_template("lockers/form.html", form=form, compound=contract.compound,
                           title=_("New locker site for %(operator)s", operator=contract.operator))


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
