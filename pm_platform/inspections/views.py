"""Pages: the scan page (/q/<token>), facilities and labels, plans, checklists, the inspector's
today list, the firm manager's board, a facility's history and the monthly report."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO
from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from pm_platform.core import clock
from pm_platform.core.errors import DomainError, RowErrors, ValidationError
from pm_platform.core.models import User
from pm_platform.core.pdf import render_pdf
from pm_platform.extensions import db
from pm_platform.inspections import checklists, scanning, service
from pm_platform.inspections.forms import (
    ChecklistForm, FacilityForm, PlanForm, ReplaceLabelForm, ReportForm, ScanForm, UploadForm,
)
from pm_platform.inspections.models import KINDS, Facility, InspectionPhoto, Record
from pm_platform.places import scope
from pm_platform.places.models import Compound

bp = Blueprint("inspections", __name__)
NAV = [
    ("inspections.today", _l("Today's rounds"), {"firm_staff", "firm_manager"}),
    ("inspections.board", _l("Inspection board"), scope.OFFICE_ROLES | {"firm_manager"}),
    ("inspections.checklists_index", _l("Checklists"), {"firm_manager"}),
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FLAG_TEXT = {
    "no_location": _l("no location from the phone"), "facility_unlocated": _l("the facility has no position"),
    "too_far": _l("too far from the facility"), "imprecise_location": _l("imprecise location"),
    "slow_submit": _l("submitted long after the scan"), "impossible_travel": _l("impossible travel"),
}
TIMELINESS_TEXT = {"on_time": _l("on time"), "late": _l("late"), "out_of_window": _l("outside any round")}
ITEM_STATUS_TEXT = {"due": _l("not yet"), "on_time": _l("done on time"), "late": _l("done late"),
                    "missed": _l("missed")}
FINDING_STATUS_TEXT = {"open": _l("being repaired"), "awaiting_reinspection": _l("awaiting re-inspection"),
                       "closed": _l("closed")}
ITEM_TYPE_TEXT = {"pass_fail": _l("pass / fail"), "number": _l("reading"), "text": _l("text"), "photo": _l("photo")}
SEVERITY_TEXT = {"high": _l("high"), "normal": _l("normal"), "low": _l("low")}
WEEKDAY_TEXT = [_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun")]


@bp.app_template_filter("flag_text")
def flag_text(code: str) -> str:
    return str(FLAG_TEXT.get(code, code))


@bp.app_context_processor
def inspection_helpers():
    def frequency_label(plan) -> str:
        if plan.frequency == "daily":
            return _("Daily")
        if plan.frequency == "weekly":
            return _("Weekly") + " " + "、".join(str(WEEKDAY_TEXT[int(d) - 1]) for d in plan.weekdays.split(","))
        return _("Monthly on day %(day)s", day=plan.month_day)

    def compound_name(compound_id: int) -> str:
        compound = db.session.get(Compound, compound_id)
        return compound.name if compound else ""

    def inspector_name(user_id: int) -> str:
        user = db.session.get(User, user_id)
        return user.display_name if user else ""

    return {
        "kind_label": lambda kind: str(checklists.KIND_LABELS.get(kind, kind)),
        "timeliness_label": lambda value: str(TIMELINESS_TEXT.get(value, value)),
        "item_status_label": lambda value: str(ITEM_STATUS_TEXT.get(value, value)),
        "finding_status_label": lambda value: str(FINDING_STATUS_TEXT.get(value, value)),
        "item_type_label": lambda value: str(ITEM_TYPE_TEXT.get(value, value)),
        "severity_label": lambda value: str(SEVERITY_TEXT.get(value, value)),
        "frequency_label": frequency_label, "compound_name": compound_name, "inspector_name": inspector_name,
    }


def _photo_uploads(prefix: str = "photo_") -> list[tuple[str, bytes]]:
    return [(name[len(prefix):], upload.read()) for name, uploads in request.files.lists()
            if name.startswith(prefix) for upload in uploads if upload and upload.filename]


# --- the scan ------------------------------------------------------------------------------

@bp.route("/q/<token>", methods=["GET", "POST"])
def scan(token: str):
    """What a phone opens from a label: the checklist for an assigned inspector, the public name
    and a report button for anyone else (signed in or not)."""
    user = current_user if current_user.is_authenticated else None
    form = ScanForm()
    if request.method == "POST":
        if user is None:
            return redirect(url_for("core.login", next=request.path))
        if not form.validate_on_submit():
            abort(400)
        answers = [{"item": name[len("item_"):], "value": value} for name, value in request.form.items()
                   if name.startswith("item_")]
        submission = scanning.Submission(
            answers=answers, lat=request.form.get("lat") or None, lng=request.form.get("lng") or None,
            accuracy_m=request.form.get("accuracy") or None, photos=_photo_uploads())
        try:
            record, _created = scanning.submit_record(db.session, user, token, submission)
        except DomainError as error:
            db.session.rollback()
            view = scanning.open_label(db.session, user, token)  # a fresh scan for the retry
            return render_template("inspections/scan.html", view=view, form=form, error=error.localized,
                                   error_field=error.field), error.status
        payload = scanning.record_payload(db.session, record)
        return render_template("inspections/scan_result.html", record=payload, facility=record.facility)
    view = scanning.open_label(db.session, user, token)
    return render_template("inspections/scan.html", view=view, form=form, error=None, error_field=None)


scan.public = True  # anyone may scan a label: a resident sees the public name and a report button


@bp.route("/q/<token>/report", methods=["GET", "POST"])
@login_required
def report(token: str):
    facility = service.label_for_token(db.session, token).facility
    form = ReportForm()
    if form.validate_on_submit():
        try:
            order = scanning.report_problem(db.session, current_user, token, form.description.data)
            return render_template("inspections/report_done.html", facility=facility, order=order)
        except ValidationError as error:
            db.session.rollback()
            form.description.errors.append(error.localized)
    return render_template("inspections/report.html", facility=facility, form=form)


# --- facilities and labels -----------------------------------------------------------------

def _facility_input(form: FacilityForm) -> service.FacilityInput:
    return service.FacilityInput(
        kind=form.kind.data, name=form.name.data, building=form.building.data or "", floor=form.floor.data or "",
        location_text=form.location_text.data or "", lat=form.lat.data, lng=form.lng.data,
        renovation_project=form.renovation_project.data or "", contractor=form.contractor.data or "",
        warranty_ends_on=form.warranty_ends_on.data)


@bp.route("/compounds/<int:compound_id>/facilities", methods=["GET", "POST"])
@login_required
def facilities(compound_id: int):
    compound = scope.get_compound(db.session, current_user, compound_id, service.VIEW_ROLES)
    can_manage = bool(scope.roles_on(db.session, current_user, compound_id) & service.MANAGE_ROLES)
    form = FacilityForm()
    if can_manage and form.validate_on_submit():
        try:
            facility = service.create_facility(db.session, current_user, compound_id, _facility_input(form))
            if form.photo.data and form.photo.data.filename:
                service.set_facility_photo(db.session, current_user, facility.id, form.photo.data.read())
            flash(_("Facility added; print its label from the label sheet."))
            return redirect(url_for("inspections.facilities", compound_id=compound_id))
        except ValidationError as error:
            db.session.rollback()
            getattr(form, error.field or "name", form.name).errors.append(error.localized)
        except DomainError as error:
            db.session.rollback()
            form.name.errors.append(error.localized)
    items = service.list_facilities(db.session, current_user, compound_id)
    return render_template("inspections/facilities.html", compound=compound, facilities=items, form=form,
                           can_manage=can_manage, upload=UploadForm(), today=clock.local_today())


@bp.route("/compounds/<int:compound_id>/facilities/import", methods=["POST"])
@login_required
def import_facilities(compound_id: int):
    compound = scope.get_compound(db.session, current_user, compound_id, service.MANAGE_ROLES)
    upload = UploadForm()
    row_errors, result = [], None
    if upload.validate_on_submit():
        try:
            result = service.import_facilities(db.session, current_user, compound_id, upload.file.data.filename,
                                               upload.file.data.read())
        except RowErrors as error:
            db.session.rollback()
            row_errors = error.localized_rows
            upload.file.errors.append(error.localized)
        except ValidationError as error:
            db.session.rollback()
            upload.file.errors.append(error.localized)
    return render_template("inspections/import.html", compound=compound, upload=upload, result=result,
                           row_errors=row_errors)


@bp.get("/inspections/facility-template.xlsx")
@login_required
def facility_template():
    return send_file(BytesIO(service.facility_template()), mimetype=XLSX, as_attachment=True,
                     download_name="facilities-设施清单模板.xlsx")


@bp.get("/compounds/<int:compound_id>/facilities/labels.pdf")
@login_required
def label_sheet(compound_id: int):
    ids = [int(v) for v in request.args.getlist("facility") if v.isdigit()]
    pdf = service.label_sheet(db.session, current_user, compound_id, ids or None, request.host_url)
    return send_file(BytesIO(pdf), mimetype="application/pdf", download_name=f"labels-{compound_id}.pdf")


@bp.route("/facilities/<int:facility_id>", methods=["GET"])
@login_required
def facility(facility_id: int):
    item, records, findings = service.facility_history(db.session, current_user, facility_id)
    can_manage = bool(scope.roles_on(db.session, current_user, item.compound_id) & service.MANAGE_ROLES)
    photo = service.facility_photo(db.session, item.id)
    return render_template("inspections/facility.html", facility=item, records=records, findings=findings,
                           can_manage=can_manage, replace_form=ReplaceLabelForm(), photo=photo,
                           label=service.live_label(db.session, item.id) if can_manage else None,
                           today=clock.local_today())


@bp.route("/facilities/<int:facility_id>/edit", methods=["GET", "POST"])
@login_required
def edit_facility(facility_id: int):
    item = service.get_facility(db.session, current_user, facility_id, service.MANAGE_ROLES)
    form = FacilityForm(obj=None if request.method == "POST" else _facility_form_data(item))
    if form.validate_on_submit():
        try:
            service.update_facility(db.session, current_user, facility_id, _facility_input(form))
            if form.photo.data and form.photo.data.filename:
                service.set_facility_photo(db.session, current_user, facility_id, form.photo.data.read())
            flash(_("Facility saved."))
            return redirect(url_for("inspections.facility", facility_id=facility_id))
        except ValidationError as error:
            db.session.rollback()
            getattr(form, error.field or "name", form.name).errors.append(error.localized)
        except DomainError as error:
            db.session.rollback()
            form.name.errors.append(error.localized)
    return render_template("inspections/facility_edit.html", facility=item, form=form)


def _degrees(e6: int | None) -> Decimal | None:
    return None if e6 is None else Decimal(e6) / 1_000_000


def _facility_form_data(item: Facility) -> SimpleNamespace:
    return SimpleNamespace(kind=item.kind, name=item.name, building=item.building.name if item.building else "",
                           floor=item.floor, location_text=item.location_text, lat=_degrees(item.lat_e6),
                           lng=_degrees(item.lng_e6), renovation_project=item.renovation_project,
                           contractor=item.contractor, warranty_ends_on=item.warranty_ends_on, photo=None)


@bp.post("/facilities/<int:facility_id>/replace-label")
@login_required
def replace_label(facility_id: int):
    form = ReplaceLabelForm()
    if not form.validate_on_submit():
        raise ValidationError("Say why the label is replaced.", "reason")
    service.replace_label(db.session, current_user, facility_id, form.reason.data)
    flash(_("The old label no longer works. Print and attach the new one."))
    return redirect(url_for("inspections.facility", facility_id=facility_id))


@bp.get("/inspection-photos/<int:photo_id>")
@login_required
def photo(photo_id: int):
    row = db.session.get(InspectionPhoto, photo_id)
    if row is None:
        abort(404)
    service.get_facility(db.session, current_user, row.facility_id)  # scope check
    return send_file(BytesIO(row.content), mimetype="image/jpeg")


# --- plans and checklists ------------------------------------------------------------------

def _inspectors(compound_id: int) -> list[User]:
    """People who may walk the compound's rounds, each once (one query: scope.holders)."""
    people: dict[int, User] = {}
    for user, _role in scope.holders(db.session, compound_id, service.INSPECT_ROLES):
        people.setdefault(user.id, user)
    return list(people.values())


@bp.route("/compounds/<int:compound_id>/inspection-plans", methods=["GET", "POST"])
@login_required
def plans(compound_id: int):
    compound = scope.get_compound(db.session, current_user, compound_id, service.VIEW_ROLES)
    can_manage = bool(scope.roles_on(db.session, current_user, compound_id) & service.MANAGE_ROLES)
    form = PlanForm()
    facilities_here = sorted(db.session.scalars(select(Facility).where(Facility.compound_id == compound_id)),
                             key=service.facility_order)
    form.facilities.choices = [SelectChoice(f.id, f"{f.name} · {f.place}") for f in facilities_here]
    form.members.choices = [SelectChoice(u.id, u.display_name) for u in _inspectors(compound_id)]
    if can_manage and form.validate_on_submit():
        try:
            plan = service.create_plan(db.session, current_user, compound_id, service.PlanInput(
                name=form.name.data, facility_ids=list(form.facilities.data), member_ids=list(form.members.data),
                frequency=form.frequency.data, window_start=form.window_start.data, window_end=form.window_end.data,
                weekdays=",".join(map(str, form.weekdays.data or [])), month_day=form.month_day.data,
                late_minutes=form.late_minutes.data))
            service.create_rounds_ahead(db.session, plan_ids=[plan.id])  # this plan's, not the platform's
            flash(_("Plan saved; its rounds are scheduled."))
            return redirect(url_for("inspections.plans", compound_id=compound_id))
        except ValidationError as error:
            db.session.rollback()
            getattr(form, {"facility_ids": "facilities", "member_ids": "members"}.get(error.field, error.field or "name"),
                    form.name).errors.append(error.localized)
    return render_template("inspections/plans.html", compound=compound, form=form, can_manage=can_manage,
                           plans=service.list_plans(db.session, current_user, compound_id))


@bp.route("/inspections/checklists", methods=["GET"])
@login_required
def checklists_index():
    firms = checklists.managed_firm_ids(db.session, current_user)
    if not firms:
        abort(403)
    lists = {kind: checklists.firm_checklist(db.session, firms[0], kind) for kind in KINDS}
    return render_template("inspections/checklists.html", lists=lists, labels=checklists.KIND_LABELS)


@bp.route("/inspections/checklists/<kind>", methods=["GET", "POST"])
@login_required
def checklist_edit(kind: str):
    firms = checklists.managed_firm_ids(db.session, current_user)
    if not firms or kind not in KINDS:
        abort(403 if not firms else 404)
    current = checklists.firm_checklist(db.session, firms[0], kind)
    form = ChecklistForm(data={"radius_m": current.radius_m, "is_high_risk": current.is_high_risk})
    error = None
    rows = current.items
    if form.validate_on_submit():
        rows = []
        for n in range(int(request.form.get("rows", "0") or 0)):
            label = request.form.get(f"label_{n}", "").strip()
            if label:
                rows.append({"key": request.form.get(f"key_{n}", "").strip(), "label": label,
                             "type": request.form.get(f"type_{n}"), "min": request.form.get(f"min_{n}"),
                             "max": request.form.get(f"max_{n}"), "unit": request.form.get(f"unit_{n}", ""),
                             "severity": request.form.get(f"severity_{n}"),
                             "category": request.form.get(f"category_{n}", "facility"),
                             "required": bool(request.form.get(f"required_{n}"))})
        try:
            checklists.save_checklist(db.session, current_user, firms[0], kind, rows, form.radius_m.data,
                                      form.is_high_risk.data)
            flash(_("Checklist saved; new scans use it."))
            return redirect(url_for("inspections.checklists_index"))
        except ValidationError as exc:
            db.session.rollback()
            error = exc.localized
    return render_template("inspections/checklist_edit.html", kind=kind, label=checklists.KIND_LABELS[kind],
                           form=form, rows=rows, error=error, item_types=checklists.ITEM_TYPES,
                           severities=checklists.SEVERITIES)


# --- today, the board, the report ----------------------------------------------------------

@bp.get("/inspections/today")
@login_required
def today():
    rounds = service.today_for(db.session, current_user)
    return render_template("inspections/today.html", rounds=rounds, now=clock.now_utc(),
                           reinspections=scanning.awaiting_reinspection(db.session, current_user))


def _day_arg() -> dt.date:
    try:
        return dt.date.fromisoformat(request.args.get("date", "")) if request.args.get("date") else clock.local_today()
    except ValueError:
        raise ValidationError("The date must look like 2026-11-23.", "date") from None


@bp.get("/inspections/board")
@login_required
def board():
    day = _day_arg()
    summaries = service.rounds_on(db.session, current_user, day)
    return render_template("inspections/board.html", day=day, summaries=summaries, now=clock.now_utc(),
                           prev_day=day - dt.timedelta(days=1), next_day=day + dt.timedelta(days=1))


@bp.get("/compounds/<int:compound_id>/inspection-report.pdf")
@login_required
def monthly_report(compound_id: int):
    compound = scope.get_compound(db.session, current_user, compound_id, service.VIEW_ROLES)
    period = clock.parse_period(request.args.get("period") or clock.period_of(clock.local_today()))
    figures = service.inspection_figures(db.session, [compound_id], period)[compound_id]
    rows = service.inspection_records(db.session, compound_id, period)
    start, end = clock.period_bounds(period)
    flagged = db.session.scalars(select(Record).where(
        Record.compound_id == compound_id, Record.is_flagged.is_(True),
        Record.submitted_at >= clock.local_midnight_utc(start), Record.submitted_at < clock.local_midnight_utc(end))
        .order_by(Record.submitted_at)).all()
    pdf = render_pdf("inspections/monthly_report.html", {
        "compound": compound.name, "period": period, "figures": figures, "rows": rows, "flagged": flagged,
        "generated": clock.format_local(clock.now_utc())})
    return send_file(BytesIO(pdf), mimetype="application/pdf", download_name=f"inspections-{compound_id}-{period}.pdf")
