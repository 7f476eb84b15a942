"""Pages for fees: the finance clerk's compound and unit pages, arrears and notices, the
collection rate for firms and offices, the owner's bills with a pay button, receipts."""
from __future__ import annotations

import datetime as dt
from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from pm_platform.core import clock, sheets
from pm_platform.core.errors import DomainError, ValidationError
from pm_platform.core.money import format_yuan, parse_yuan
from pm_platform.core.naturalsort import natural_key, unit_key
from pm_platform.core.pdf import render_pdf
from pm_platform.core.routing import safe_next
from pm_platform.core.web import public_page
from pm_platform.extensions import db
from pm_platform.fees import payments, service
from pm_platform.fees.forms import (
    BillingRunForm, ConfirmForm, FeeItemForm, LateFeeForm, PaymentForm, RateForm, ReasonForm, RefundForm, WaiverForm,
)
from pm_platform.fees.models import FeeItem, Waiver
from pm_platform.places import scope
from pm_platform.places import service as places_service
from pm_platform.places.models import Building, Compound, Owner, Ownership, Unit, unit_label

bp = Blueprint("fees", __name__)
NAV = [
    ("fees.collection", _l("Fee collection"), scope.OFFICE_ROLES | scope.FIRM_ROLES | {"committee"}),
    ("fees.my_bills", _l("My bills"), {"owner"}),
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _submit(form, action, done: str):
    """Run `action()` for a valid form; commit and flash `done`, or put the domain error on the
    form (on its field when the form has one) and roll back. Returns True when it worked."""
    if not form.validate_on_submit():
        return False
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        target = getattr(form, exc.field, None) if exc.field else None
        errors = target.errors if target is not None and hasattr(target, "errors") else None
        if isinstance(errors, list):
            errors.append(exc.localized)
        else:
            flash(exc.localized)
        return False
    flash(done)
    return True


def _flash_field_errors(form) -> None:
    """A form posted from the unit page and answered by a redirect back: its field errors travel
    as flashed messages, or the clerk would see the page unchanged and no reason why."""
    for field in form:
        for error in field.errors:
            flash(f"{field.label.text}: {error}")


def _period_arg(name: str = "period") -> str:
    text = request.args.get(name) or clock.period_of(clock.local_today())
    return clock.parse_period(text, name)


def _date_arg(name: str = "as_of") -> dt.date:
    text = request.args.get(name)
    if not text:
        return clock.local_today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError("{name} must be a date like 2026-11-30", name, name=name) from None


# --- firm and office pages -----------------------------------------------------------------------

@bp.get("/fees")
@login_required
def collection():
    """收缴率 per compound and firm, for the month and the year to date."""
    period = _period_arg()
    rows = service.collection_overview(db.session, current_user, period)
    firms: dict[int, dict] = {}
    for row in rows:
        if row["firm"] is not None:
            entry = firms.setdefault(row["firm"].id, {"firm": row["firm"], "month": [], "ytd": []})
            entry["month"].append(row["month"])
            entry["ytd"].append(row["ytd"])
    firm_rows = [{"firm": f["firm"], "month": service.sum_figures(f["month"]), "ytd": service.sum_figures(f["ytd"])}
                 for f in firms.values()]
    return render_template("fees/collection.html", period=period, rows=rows, firm_rows=firm_rows)


@bp.route("/fees/compounds/<int:compound_id>", methods=["GET", "POST"])
@login_required
def compound(compound_id: int):
    item = scope.get_compound(db.session, current_user, compound_id, roles=service.READ_ROLES)
    roles = scope.roles_on(db.session, current_user, compound_id)
    can_manage = bool(roles & service.MANAGE_ROLES)
    item_form, run_form = FeeItemForm(prefix="item"), BillingRunForm(prefix="run")
    late_form = LateFeeForm(prefix="late", per_10k_day=service.fee_settings(db.session, compound_id).late_fee_per_10k_day)
    if request.method == "POST":
        if not can_manage:
            abort(403)
        if "item-name" in request.form and _submit(item_form, lambda: service.create_fee_item(
                db.session, current_user, compound_id, name=item_form.name.data, kind=item_form.kind.data,
                rate_fen=parse_yuan(item_form.rate.data, "rate"), applies_to=item_form.applies_to.data,
                cycle=item_form.cycle.data, due_day=item_form.due_day.data,
                from_period=item_form.from_period.data.strip()), _("Fee item added.")):
            return redirect(url_for("fees.compound", compound_id=compound_id))
        if "run-period" in request.form and _submit(run_form, lambda: service.start_billing_run(
                db.session, current_user, "compound", compound_id, run_form.period.data.strip()),
                _("Billing run started; it runs in the background.")):
            return redirect(url_for("fees.compound", compound_id=compound_id))
        if "late-per_10k_day" in request.form and _submit(late_form, lambda: service.set_late_fee(
                db.session, current_user, compound_id, late_form.per_10k_day.data), _("Late fee setting saved.")):
            return redirect(url_for("fees.compound", compound_id=compound_id))
    period = clock.period_of(clock.local_today())
    periods = clock.recent_periods(period, 6)[::-1]  # newest first
    figures = [(p, service.collection_figures(db.session, [compound_id], p)[compound_id]) for p in periods]
    ytd = service.collection_figures_ytd(db.session, [compound_id], period)[compound_id]
    buildings = sorted(db.session.scalars(select(Building).where(Building.compound_id == compound_id)),
                       key=lambda b: natural_key(b.name))
    return render_template(
        "fees/compound.html", compound=item, items=service.list_fee_items(db.session, current_user, compound_id),
        runs=service.list_billing_runs(db.session, current_user, compound_id), figures=figures, ytd=ytd,
        item_form=item_form, run_form=run_form, late_form=late_form, rate_form=RateForm(prefix="rate"),
        can_manage=can_manage, rate_for=service.rate_for, period=period, buildings=buildings,
        units=service.unit_balances(db.session, compound_id))


@bp.post("/fees/fee-items/<int:fee_item_id>/rates")
@login_required
def set_rate(fee_item_id: int):
    item = service.get_fee_item(db.session, current_user, fee_item_id, roles=service.MANAGE_ROLES)
    form = RateForm(prefix="rate")
    if not _submit(form, lambda: service.set_fee_rate(db.session, current_user, fee_item_id,
                                                      parse_yuan(form.rate.data, "rate"), form.from_period.data.strip()),
                   _("New rate saved.")):
        for errors in form.errors.values():
            for error in errors:
                flash(error)
    return redirect(url_for("fees.compound", compound_id=item.compound_id))


@bp.route("/fees/units/<int:unit_id>", methods=["GET", "POST"])
@login_required
def unit(unit_id: int):
    """A unit's bills and payments; the clerk records a payment or asks for a waiver here."""
    unit_ = places_service.get_unit(db.session, current_user, unit_id)
    roles = scope.roles_on(db.session, current_user, unit_.compound_id)
    if not roles & service.READ_ROLES:
        return redirect(url_for("fees.my_bills"))
    can_collect, can_manage = bool(roles & service.CLERK_ROLES), bool(roles & service.MANAGE_ROLES)
    pay_form, waiver_form = PaymentForm(prefix="pay"), WaiverForm(prefix="waiver")
    items = db.session.scalars(select(FeeItem).where(FeeItem.compound_id == unit_.compound_id)).all()
    waiver_form.fee_item_id.choices = [SelectChoice(0, _("All fee items"))] + [SelectChoice(i.id, i.name) for i in items]
    if request.method == "POST":
        if not can_collect:
            abort(403)
        if "pay-amount" in request.form:
            recorded = {}

            def record():
                recorded["payment"] = service.record_payment(
                    db.session, current_user, unit_id, parse_yuan(pay_form.amount.data, "amount_fen"),
                    pay_form.channel.data, pay_form.reference.data or "")
            if _submit(pay_form, record, _("Payment recorded.")):
                return redirect(url_for("fees.unit", unit_id=unit_id, receipt=recorded["payment"].receipt_no))
        elif "waiver-reason" in request.form and _submit(waiver_form, lambda: service.request_waiver(
                db.session, current_user, unit_id, percent=waiver_form.percent.data,
                from_period=waiver_form.from_period.data.strip(), to_period=waiver_form.to_period.data.strip(),
                reason=waiver_form.reason.data, fee_item_id=waiver_form.fee_item_id.data or None),
                _("Waiver requested; the community office will decide.")):
            return redirect(url_for("fees.unit", unit_id=unit_id))
    owners = db.session.scalars(select(Owner).join(Ownership).where(Ownership.unit_id == unit_id)).all()
    return render_template(
        "fees/unit.html", unit=unit_, compound=db.session.get(Compound, unit_.compound_id), owners=owners,
        bills=service.unit_bills(db.session, unit_id), entries=service.unit_payments(db.session, unit_id),
        owing=service.unit_owing_fen(db.session, unit_id), credit=service.unit_credit_fen(db.session, unit_id),
        waivers=db.session.scalars(select(Waiver).where(Waiver.unit_id == unit_id).order_by(Waiver.id.desc())).all(),
        pay_form=pay_form, waiver_form=waiver_form, reason_form=ReasonForm(prefix="rev"),
        refund_form=RefundForm(prefix="ref"), can_collect=can_collect, can_manage=can_manage,
        new_receipt=request.args.get("receipt"))


@bp.post("/fees/payments/<int:payment_id>/reverse")
@login_required
def reverse(payment_id: int):
    payment = service.get_payment(db.session, current_user, payment_id)
    form = ReasonForm(prefix="rev")
    if not _submit(form, lambda: service.reverse_payment(db.session, current_user, payment_id, form.reason.data),
                   _("Payment reversed.")):
        _flash_field_errors(form)
    return redirect(url_for("fees.unit", unit_id=payment.unit_id))


@bp.post("/fees/payments/<int:payment_id>/refund")
@login_required
def refund(payment_id: int):
    payment = service.get_payment(db.session, current_user, payment_id)
    form = RefundForm(prefix="ref")
    if not _submit(form, lambda: service.refund_credit(db.session, current_user, payment_id,
                                                       parse_yuan(form.amount.data, "amount"), form.reason.data),
                   _("Refund recorded.")):
        _flash_field_errors(form)
    return redirect(url_for("fees.unit", unit_id=payment.unit_id))


@bp.get("/fees/receipts/<number>.pdf")
@login_required
def receipt_pdf(number: str):
    payment = service.get_payment_by_receipt(db.session, current_user, number)
    pdf = render_pdf("fees/receipt.html", receipt_context(payment))
    return send_file(BytesIO(pdf), mimetype="application/pdf", download_name=f"receipt-{number}.pdf")


def receipt_context(payment) -> dict:
    verify_url = url_for("fees.verify", number=payment.receipt_no, code=payment.verify_code, _external=True)
    return service.receipt_context(db.session, payment, verify_url)


@bp.get("/receipts/<number>/verify")
@public_page
def verify(number: str):
    """Public: anyone holding the receipt checks it; no names, no unit."""
    check = service.verify_receipt(db.session, number, request.args.get("code", ""))
    return render_template("fees/verify.html", check=check)


# --- arrears ---------------------------------------------------------------------------------------

@bp.get("/fees/compounds/<int:compound_id>/arrears")
@login_required
def arrears(compound_id: int):
    as_of = _date_arg()
    report = service.arrears_aging(db.session, current_user, compound_id, as_of)
    buildings = sorted(db.session.scalars(select(Building).where(Building.compound_id == compound_id)),
                       key=lambda b: natural_key(b.name))
    return render_template("fees/arrears.html", compound=db.session.get(Compound, compound_id), report=report,
                           buckets=BUCKET_LABELS, buildings=buildings,
                           late_fee_rate=service.fee_settings(db.session, compound_id).late_fee_per_10k_day)


BUCKET_LABELS = [("d0_30", _l("0–30 days")), ("d31_90", _l("31–90 days")), ("d91_180", _l("91–180 days")),
                 ("d181_365", _l("181–365 days")), ("over_365", _l("over 365 days"))]


@bp.get("/fees/buildings/<int:building_id>/notices.pdf")
@login_required
def notices(building_id: int):
    """催缴通知书 for every unit of the building in arrears, one page each."""
    context = service.notices_context(db.session, current_user, building_id, _date_arg())
    pdf = render_pdf("fees/notices.html", context)
    return send_file(BytesIO(pdf), mimetype="application/pdf", download_name=f"notices-{building_id}.pdf")


# --- exports -------------------------------------------------------------------------------------

def _xlsx(data: bytes, name: str):
    return send_file(BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)


@bp.get("/fees/compounds/<int:compound_id>/bills.xlsx")
@login_required
def export_bills(compound_id: int):
    period = request.args.get("period") or None
    rows = service.compound_bills(db.session, current_user, compound_id, period)
    columns = [("房屋", "unit"), ("收费项目", "fee item"), ("账期", "period"), ("面积(m²)", "area m2"),
               ("单价(元)", "rate yuan"), ("应收(元)", "amount yuan"), ("减免(元)", "waived yuan"),
               ("已收(元)", "paid yuan"), ("欠费(元)", "owing yuan"), ("到期日", "due on"), ("状态", "status")]
    data = sheets.write_xlsx("账单 Bills", columns, (
        [unit_label(building, entrance, room), item, bill.period, _yuan_number(bill.area_cm2),
         _yuan_number(bill.rate_fen), _yuan_number(bill.amount_fen), _yuan_number(bill.waived_fen),
         _yuan_number(bill.paid_fen), _yuan_number(bill.owing_fen), bill.due_on, bill.status]
        for bill, item, building, entrance, room in rows))
    return _xlsx(data, f"bills-{compound_id}-{period or 'all'}.xlsx")


@bp.get("/fees/compounds/<int:compound_id>/payments.xlsx")
@login_required
def export_payments(compound_id: int):
    period = request.args.get("period") or None
    rows = service.compound_payments(db.session, current_user, compound_id, period)
    columns = [("收据号", "receipt no"), ("房屋", "unit"), ("类型", "kind"), ("方式", "channel"), ("金额(元)", "amount yuan"),
               ("参考号", "reference"), ("时间", "paid at")]
    data = sheets.write_xlsx("收款 Payments", columns, (
        [payment.receipt_no, unit_label(building, entrance, room), payment.kind, payment.channel,
         _yuan_number(payment.amount_fen), payment.reference, payment.paid_at]
        for payment, building, entrance, room in rows))
    return _xlsx(data, f"payments-{compound_id}-{period or 'all'}.xlsx")


@bp.get("/fees/compounds/<int:compound_id>/arrears.xlsx")
@login_required
def export_arrears(compound_id: int):
    as_of = _date_arg()
    report = service.arrears_aging(db.session, current_user, compound_id, as_of)
    columns = [("房屋", "unit")] + [(label, key) for key, label in ZH_BUCKETS] + [("欠费合计(元)", "total yuan"),
                                                                               ("滞纳金(元)", "late fee yuan")]
    data = sheets.write_xlsx(f"欠费 {as_of}", columns, (
        [row.label] + [_yuan_number(row.buckets[key]) for key, _label in ZH_BUCKETS]
        + [_yuan_number(row.total), _yuan_number(row.late_fee)] for row in report.units))
    return _xlsx(data, f"arrears-{compound_id}-{as_of}.xlsx")


ZH_BUCKETS = [("d0_30", "0–30天(元)"), ("d31_90", "31–90天(元)"), ("d91_180", "91–180天(元)"),
              ("d181_365", "181–365天(元)"), ("over_365", "365天以上(元)")]


def _yuan_number(fen: int):
    """Yuan as an exact decimal in the sheet (a number Excel can sum, never a float)."""
    from decimal import Decimal
    return Decimal(format_yuan(fen))


# --- waivers ---------------------------------------------------------------------------------------

@bp.route("/fees/waivers", methods=["GET", "POST"])
@login_required
def waivers():
    scope.require_any_role(db.session, current_user, service.READ_ROLES)
    form = ConfirmForm()
    if request.method == "POST":
        waiver_id = request.form.get("waiver_id", type=int)
        approve = request.form.get("decision") == "approve"
        if waiver_id and _submit(form, lambda: service.decide_waiver(db.session, current_user, waiver_id, approve),
                                 _("Waiver approved.") if approve else _("Waiver rejected.")):
            return redirect(url_for("fees.waivers"))
    can_decide = bool(scope.roles_of(db.session, current_user) & service.APPROVE_ROLES)
    return render_template("fees/waivers.html", waivers=service.list_waivers(db.session, current_user), form=form,
                           can_decide=can_decide)


# --- owners and online payment -------------------------------------------------------------------

@bp.get("/fees/my")
@login_required
def my_bills():
    units = sorted(db.session.scalars(select(Unit).join(Ownership).join(Owner).where(Owner.user_id == current_user.id)),
                   key=lambda u: (unit_key(u.building.name, u.entrance, u.room), u.id))
    accounts = [{"unit": u, "bills": service.unit_bills(db.session, u.id), "entries": service.unit_payments(db.session, u.id),
                 "owing": service.unit_owing_fen(db.session, u.id), "credit": service.unit_credit_fen(db.session, u.id)}
                for u in units]
    return render_template("fees/my.html", accounts=accounts, form=ConfirmForm(),
                           online=payments.default_provider() is not None)


@bp.post("/fees/units/<int:unit_id>/pay")
@login_required
def pay(unit_id: int):
    """The owner's pay button: an order for everything owed, then the provider's checkout."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        order = service.create_unit_payment_order(db.session, current_user, unit_id)
    except ValidationError as exc:  # e.g. paid since the page was opened (the counter, another phone)
        db.session.rollback()
        flash(exc.localized)
        return redirect(url_for("fees.my_bills"))
    return redirect(payments.checkout_url(order, url_for("fees.my_bills")))


@bp.route("/payments/sandbox/<order_no>", methods=["GET", "POST"])
@public_page
def sandbox_checkout(order_no: str):
    """The sandbox provider's checkout page: stands in for WeChat Pay / Alipay in development
    and tests. Paying sends a signed callback through the same path a real provider uses."""
    if payments.SandboxProvider.name not in payments.enabled_providers():
        abort(404)
    order = payments.get_order(db.session, order_no)
    form = ConfirmForm()
    back = safe_next(request.args.get("next"), url_for("home.index"))
    if form.validate_on_submit():
        try:
            payments.complete_sandbox_payment(db.session, order_no)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.localized)
            return redirect(request.full_path)
        flash(_("Payment received. Thank you."))
        return redirect(back)
    return render_template("fees/checkout.html", order=order, form=form)
