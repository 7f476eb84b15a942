"""Pages for the common fund: the ledger, entries, quarterly disclosures and their status."""
from __future__ import annotations

import json
from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required

from pm_platform.core import clock, money
from pm_platform.core.errors import ValidationError
from pm_platform.core.files import safe_filename
from pm_platform.core.forms import ActionForm, attach_error, submit_form
from pm_platform.core.pdf import render_pdf
from pm_platform.extensions import db
from pm_platform.places import scope, service as places
from pm_platform.revenue import service
from pm_platform.revenue.forms import SOURCE_LABELS, ExpenditureForm, ReverseForm, RevenueForm

bp = Blueprint("revenue", __name__)
NAV = [("revenue.funds", _l("Common fund"), scope.ALL_ROLES),
       ("revenue.disclosure_status", _l("Disclosure status"), scope.OFFICE_ROLES)]


@bp.get("/fund")
@login_required
def funds():
    compounds = places.list_compounds(db.session, current_user)
    balances = {c.id: service.balance(db.session, c.id) for c in compounds}
    return render_template("revenue/funds.html", compounds=compounds, balances=balances)


@bp.get("/compounds/<int:compound_id>/fund")
@login_required
def ledger(compound_id: int):
    compound = scope.get_compound(db.session, current_user, compound_id)
    entries = service.list_entries(db.session, current_user, compound_id)
    can_keep = bool(scope.roles_on(db.session, current_user, compound_id) & service.KEEPER_ROLES)
    reversed_ids = {e.reverses_id for e in entries if e.reverses_id}
    return render_template("revenue/ledger.html", compound=compound, entries=entries, can_keep=can_keep,
                           balance=service.balance(db.session, compound_id), reversed_ids=reversed_ids,
                           sources=SOURCE_LABELS, reverse_form=ReverseForm())


@bp.route("/compounds/<int:compound_id>/fund/revenue", methods=["GET", "POST"])
@login_required
def new_revenue(compound_id: int):
    compound = scope.get_compound(db.session, current_user, compound_id, roles=service.KEEPER_ROLES)
    form = RevenueForm()
    if form.validate_on_submit():
        try:
            service.post_revenue_entry(
                db.session, current_user, compound_id=compound_id, source=form.source.data,
                gross_fen=money.parse_yuan(form.gross.data, "gross"), cost_fen=money.parse_yuan(form.cost.data or "0", "cost"),
                cost_justification=form.cost_justification.data or "", occurred_on=form.occurred_on.data,
                description=form.description.data)
            flash(_("Income entered."))
            return redirect(url_for("revenue.ledger", compound_id=compound_id))
        except ValidationError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return render_template("revenue/entry_form.html", compound=compound, form=form, title=_("Enter income"))


@bp.route("/compounds/<int:compound_id>/fund/expenditure", methods=["GET", "POST"])
@login_required
def new_expenditure(compound_id: int):
    compound = scope.get_compound(db.session, current_user, compound_id, roles=service.KEEPER_ROLES)
    form = ExpenditureForm()
    if form.validate_on_submit():
        upload = form.attachment.data
        try:
            service.post_expenditure(
                db.session, current_user, compound_id=compound_id, amount_fen=money.parse_yuan(form.amount.data, "amount"),
                description=form.description.data, decision_ref=form.decision_ref.data,
                occurred_on=form.occurred_on.data, attachment_name=upload.filename,
                attachment_type=upload.mimetype, attachment_data=upload.read())
            flash(_("Expenditure entered."))
            return redirect(url_for("revenue.ledger", compound_id=compound_id))
        except ValidationError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return render_template("revenue/entry_form.html", compound=compound, form=form, title=_("Enter expenditure"),
                           multipart=True)


@bp.post("/fund/entries/<int:entry_id>/reverse")
@login_required
def reverse(entry_id: int):
    form = ReverseForm()
    if not form.validate_on_submit():
        raise ValidationError("Give a reason for the reversal.", "reason")
    entry = service.reverse_entry(db.session, current_user, entry_id, form.reason.data)
    flash(_("Entry reversed."))
    return redirect(url_for("revenue.ledger", compound_id=entry.compound_id))


@bp.get("/fund/entries/<int:entry_id>/attachment")
@login_required
def attachment(entry_id: int):
    item = service.get_attachment(db.session, current_user, entry_id)
    return send_file(BytesIO(item.data), mimetype=item.content_type, as_attachment=True, download_name=safe_filename(item.filename))


@bp.get("/compounds/<int:compound_id>/fund/disclosures")
@login_required
def disclosures(compound_id: int):
    compound = scope.get_compound(db.session, current_user, compound_id)
    items = service.list_disclosures(db.session, current_user, compound_id)
    last_quarter = service.previous_quarter(clock.local_today())
    return render_template("revenue/disclosures.html", compound=compound, form=ActionForm(), items=items,
                           is_on_time=service.is_on_time, last_quarter=last_quarter,
                           last=next((item for item in items if item.quarter == last_quarter), None),
                           may_draft=service.may_draft_disclosure(db.session, current_user, compound_id, last_quarter))


@bp.post("/compounds/<int:compound_id>/fund/disclosures/prepare")
@login_required
def prepare(compound_id: int):
    """Draft last quarter's disclosure now, without waiting for the quarterly job."""
    quarter = service.previous_quarter(clock.local_today())
    form = ActionForm()
    if submit_form(form, lambda: service.draft_disclosure(db.session, current_user, compound_id, quarter)):
        return redirect(url_for("revenue.disclosure", compound_id=compound_id, quarter=quarter))
    for error in form.form_errors:   # a refusal (e.g. the quarter is already published) said on the list
        flash(error)
    return redirect(url_for("revenue.disclosures", compound_id=compound_id))


def _disclosure_context(compound_id: int, quarter: str) -> dict:
    compound = scope.get_compound(db.session, current_user, compound_id)
    disclosure = service.get_disclosure(db.session, current_user, compound_id, quarter)
    return {"compound": compound, "disclosure": disclosure, "figures": json.loads(disclosure.figures),
            "sources": {k: str(v) for k, v in SOURCE_LABELS.items()}}


@bp.get("/compounds/<int:compound_id>/fund/disclosures/<quarter>")
@login_required
def disclosure(compound_id: int, quarter: str):
    context = _disclosure_context(compound_id, quarter)
    roles = scope.roles_on(db.session, current_user, compound_id)
    return render_template("revenue/disclosure.html", form=ActionForm(), is_on_time=service.is_on_time,
                           can_publish=bool(roles & service.KEEPER_ROLES),
                           can_review=bool(roles & service.REVIEWER_ROLES), **context)


@bp.get("/compounds/<int:compound_id>/fund/disclosures/<quarter>.pdf")
@login_required
def disclosure_pdf(compound_id: int, quarter: str):
    context = _disclosure_context(compound_id, quarter)
    pdf = render_pdf("pdf/revenue_disclosure.html", {**context, "printed_on": clock.local_today()})
    return send_file(BytesIO(pdf), mimetype="application/pdf", download_name=f"disclosure-{quarter}.pdf")


@bp.post("/compounds/<int:compound_id>/fund/disclosures/<quarter>/publish")
@login_required
def publish(compound_id: int, quarter: str):
    if ActionForm().validate_on_submit():
        service.publish_disclosure(db.session, current_user, compound_id, quarter)
        flash(_("Published to owners."))
    return redirect(url_for("revenue.disclosure", compound_id=compound_id, quarter=quarter))


@bp.post("/compounds/<int:compound_id>/fund/disclosures/<quarter>/review")
@login_required
def review(compound_id: int, quarter: str):
    if ActionForm().validate_on_submit():
        service.mark_reviewed(db.session, current_user, compound_id, quarter)
        flash(_("Marked reviewed by the committee."))
    return redirect(url_for("revenue.disclosure", compound_id=compound_id, quarter=quarter))


@bp.get("/fund/disclosure-status")
@login_required
def disclosure_status():
    quarter, rows = service.disclosure_status(db.session, current_user)
    return render_template("revenue/disclosure_status.html", quarter=quarter, rows=rows, due_on=service.due_on(quarter))
