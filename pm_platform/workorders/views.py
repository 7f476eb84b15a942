"""Pages for work orders: report from a phone, follow one's own orders, work the boards,
import 12345 tickets, post and read notices."""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from pm_platform.core import clock
from pm_platform.core.errors import DomainError, RowErrors
from pm_platform.core.naturalsort import natural_key
from pm_platform.extensions import db
from pm_platform.places import scope
from pm_platform.places.models import Building, Compound, Unit
from pm_platform.workorders import boards, followups, hotline, labels, notices, service
from pm_platform.workorders.forms import (
    FollowUpForm, choices, ImportForm, NoticeForm, RatingForm, ReadForm, ReportForm, TransitionForm,
)

bp = Blueprint("workorders", __name__)
QUEUE_ROLES = service.DISPATCH_ROLES | {"bureau"}
NAV = [
    ("workorders.mine", _l("My reports"), {"owner"}),
    ("workorders.tasks", _l("My repairs"), {"firm_staff", "firm_manager"}),
    ("workorders.queue", _l("Work orders"), QUEUE_ROLES),
    ("workorders.board", _l("Supervision board"), scope.OFFICE_ROLES | {"firm_manager"}),
    ("workorders.notice_list", _l("Notices"), scope.ALL_ROLES),
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STAFF_ENTRY_ROLES = service.REPORT_ROLES["staff"]


@bp.app_context_processor
def workorder_labels():
    return {"wo_labels": labels}


def _uploads(field) -> list[bytes]:
    return [f.read() for f in (field.data or []) if getattr(f, "filename", "")]


def _form_error(form, error: DomainError) -> None:
    db.session.rollback()
    field = (error.field or "").split("[")[0]
    target = getattr(form, field, None) if field else None
    if target is not None and hasattr(target, "errors") and field != "csrf_token":
        target.errors = [*target.errors, error.localized] if isinstance(target.errors, list) else [error.localized]
    else:
        flash(error.localized)


# --- reporting -----------------------------------------------------------------------------

def _report_compounds() -> list[Compound]:
    roles = {"owner"} | STAFF_ENTRY_ROLES
    return list(db.session.scalars(select(Compound).where(
        Compound.id.in_(scope.compound_ids(db.session, current_user, roles))).order_by(Compound.name)))


def _place_choices(compound_id: int, is_staff: bool) -> list[tuple[str, str]]:
    choices = [("compound", _("Common areas of the compound"))]
    if is_staff:
        units = []
    else:
        units = db.session.scalars(select(Unit).where(Unit.compound_id == compound_id,
                                                      Unit.id.in_(scope.owned_unit_ids(db.session, current_user)))).all()
    choices[:0] = [(f"unit:{u.id}", _("My home: %(unit)s", unit=u.label)) for u in units]
    buildings = sorted(db.session.scalars(select(Building).where(Building.compound_id == compound_id)),
                       key=lambda b: natural_key(b.name))
    choices += [(f"building:{b.id}", _("Building %(name)s (shared parts)", name=b.name)) for b in buildings]
    return choices


@bp.route("/workorders/report", methods=["GET", "POST"])
@login_required
def report():
    compounds = _report_compounds()
    if not compounds:
        abort(403)
    form = ReportForm()
    form.compound_id.choices = choices((c.id, c.name) for c in compounds)
    chosen = form.compound_id.data if request.method == "POST" else request.args.get("compound_id", type=int)
    compound_id = chosen if chosen in {c.id for c in compounds} else compounds[0].id
    form.compound_id.data = compound_id
    is_staff = bool(scope.roles_on(db.session, current_user, compound_id) & STAFF_ENTRY_ROLES)
    form.place.choices = choices(_place_choices(compound_id, is_staff))
    if request.method == "GET" and request.args.get("facility_id", type=int):
        form.facility_id.data = request.args.get("facility_id", type=int)  # from a facility's QR label
        form.category.data = "facility"
    outages = notices.active_outages(db.session, compound_id, None, None) if request.method == "GET" else []
    if form.validate_on_submit():
        kind, _sep, place_id = form.place.data.partition(":")
        place = {"unit": {"unit_id": int(place_id or 0)}, "building": {"building_id": int(place_id or 0)}}.get(kind, {})
        try:
            order = service.create_work_order(
                db.session, current_user, compound_id=compound_id, source="staff" if is_staff else "resident",
                category=form.category.data, description=form.description.data, facility_id=form.facility_id.data,
                reporter_name=form.reporter_name.data or "", reporter_phone=form.reporter_phone.data or "",
                photos=_uploads(form.photos), **place)
        except DomainError as error:
            _form_error(form, error)
        else:
            flash(_("Your report has been received: number %(id)s.", id=order.id))
            if not service.can_view(db.session, current_user, order):  # a repairer's walk-in entry
                return redirect(url_for("workorders.tasks"))
            return redirect(url_for("workorders.detail", work_order_id=order.id))
    return render_template("workorders/report.html", form=form, is_staff=is_staff, outages=outages,
                           many_compounds=len(compounds) > 1)


# --- one order -----------------------------------------------------------------------------

def _actions(order) -> dict:
    held = scope.roles_on(db.session, current_user, order.compound_id)
    dispatcher = bool(held & service.DISPATCH_ROLES)
    worker = dispatcher or order.assignee_id == current_user.id
    reporter = current_user.id in service.reporter_ids(order) and "owner" in held
    answers_for_caller = not service.reporter_ids(order) and bool(held & scope.OFFICE_ROLES)
    return {
        "accept": dispatcher and order.status == "new",
        "assign": dispatcher and order.status in ("accepted", "assigned", "in_progress", "reopened"),
        "start": worker and order.status in ("assigned", "reopened"),
        "resolve": worker and order.status == "in_progress",
        "answer": (reporter or answers_for_caller) and order.status == "resolved",
        "staff_view": bool(held & scope.STAFF_ROLES),
        "see_reporters": worker,  # who to call back: dispatchers and the repairer only
    }


@bp.get("/workorders/<int:work_order_id>")
@login_required
def detail(work_order_id: int):
    order = service.get_work_order(db.session, current_user, work_order_id)
    actions = _actions(order)
    transition = TransitionForm()
    if actions["assign"]:
        transition.assignee_id.choices = choices(  # e.g. 王师傅 · 物业员工
            (user.id, f"{user.display_name} · {labels.WORKER_ROLE[role]}")
            for user, role in service.workers_for(db.session, order.compound_id))
    return render_template("workorders/detail.html", order=order, actions=actions, transition=transition,
                           rating=RatingForm(), photos=service.photos_of(db.session, order),
                           notices=notices.notices_for_order(db.session, order), now=clock.now_utc(),
                           overdue=boards.is_overdue(order), phones=service.reporter_phones(current_user, order))


@bp.post("/workorders/<int:work_order_id>/transitions")
@login_required
def transition(work_order_id: int):
    form = TransitionForm()
    form.assignee_id.choices = []
    if not form.validate_on_submit():
        flash(_("The form was not complete; please try again."))
        return redirect(url_for("workorders.detail", work_order_id=work_order_id))
    try:
        service.transition_work_order(db.session, current_user, work_order_id, form.to.data, note=form.note.data or "",
                                      photos=_uploads(form.photos), assignee_id=form.assignee_id.data or None)
    except DomainError as error:
        if error.status == 404:
            raise
        db.session.rollback()
        flash(error.localized)
    return redirect(url_for("workorders.detail", work_order_id=work_order_id))


@bp.post("/workorders/<int:work_order_id>/rating")
@login_required
def rate(work_order_id: int):
    form = RatingForm()
    if not form.validate_on_submit():
        flash(_("Choose from one to five stars."))
        return redirect(url_for("workorders.detail", work_order_id=work_order_id))
    try:
        service.rate_work_order(db.session, current_user, work_order_id, form.stars.data, form.comment.data or "")
        flash(_("Thank you. The work order is closed."))
    except DomainError as error:
        if error.status == 404:
            raise
        db.session.rollback()
        flash(error.localized)
    return redirect(url_for("workorders.detail", work_order_id=work_order_id))


@bp.get("/workorders/<int:work_order_id>/photos/<int:photo_id>.jpg")
@login_required
def photo(work_order_id: int, photo_id: int):
    item = service.get_photo(db.session, current_user, work_order_id, photo_id)
    return send_file(BytesIO(item.content), mimetype="image/jpeg", max_age=3600)


# --- boards --------------------------------------------------------------------------------

@bp.get("/workorders/mine")
@login_required
def mine():
    scope.require_any_role(db.session, current_user, {"owner"})
    own_buildings = sorted(set(db.session.scalars(select(Unit.building_id).where(
        Unit.id.in_(scope.owned_unit_ids(db.session, current_user))))),
        key=lambda b: natural_key(db.session.get(Building, b).name))
    building_state = {db.session.get(Building, b).name: boards.building_public_state(db.session, current_user, b)
                      for b in own_buildings}
    return render_template("workorders/mine.html", orders=boards.resident_orders(db.session, current_user),
                           notices=notices.notices_for_resident(db.session, current_user),
                           building_state=building_state)


@bp.get("/workorders/tasks")
@login_required
def tasks():
    scope.require_any_role(db.session, current_user, scope.FIRM_ROLES)
    return render_template("workorders/list.html", title=_("My repairs"),
                           orders=boards.repairer_board(db.session, current_user), now=clock.now_utc())


@bp.get("/workorders")
@login_required
def queue():
    scope.require_any_role(db.session, current_user, QUEUE_ROLES)
    return render_template("workorders/list.html", title=_("Work orders"), show_compound=True,
                           orders=boards.manager_queue(db.session, current_user), now=clock.now_utc(),
                           can_enter=bool(scope.roles_of(db.session, current_user) & STAFF_ENTRY_ROLES),
                           can_import=bool(scope.roles_of(db.session, current_user)
                                           & service.REPORT_ROLES["hotline_12345"]))


@bp.get("/workorders/board")
@login_required
def board():
    scope.require_any_role(db.session, current_user, scope.OFFICE_ROLES | {"firm_manager"})
    return render_template("workorders/board.html", board=boards.office_board(db.session, current_user),
                           follow_ups=followups.pending_follow_ups(db.session, current_user),
                           follow_up_form=FollowUpForm(), now=clock.now_utc())


@bp.post("/workorders/follow-ups/<int:visit_id>")
@login_required
def follow_up(visit_id: int):
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            followups.record_follow_up(db.session, current_user, visit_id, form.is_fixed.data == "yes", form.note.data or "")
            flash(_("Follow-up visit recorded."))
        except DomainError as error:
            if error.status == 404:
                raise
            db.session.rollback()
            flash(error.localized)
    return redirect(url_for("workorders.board"))


# --- 12345 import --------------------------------------------------------------------------

@bp.route("/workorders/import-12345", methods=["GET", "POST"])
@login_required
def import_hotline():
    roles = service.REPORT_ROLES["hotline_12345"]
    scope.require_any_role(db.session, current_user, roles)
    form = ImportForm()
    compounds = db.session.scalars(select(Compound).where(
        Compound.id.in_(scope.compound_ids(db.session, current_user, roles))).order_by(Compound.name)).all()
    form.compound_id.choices = choices([(0, "—")] + [(c.id, c.name) for c in compounds])
    result, row_errors = None, []
    if form.validate_on_submit():
        try:
            result = hotline.import_hotline_tickets(db.session, current_user, form.file.data.filename,
                                                    form.file.data.read(), form.compound_id.data or None)
        except RowErrors as error:
            db.session.rollback()
            row_errors = error.localized_rows
            form.file.errors.append(error.localized)
        except DomainError as error:
            _form_error(form, error)
    return render_template("workorders/import.html", form=form, result=result, row_errors=row_errors)


@bp.get("/workorders/12345-template.xlsx")
@login_required
def hotline_template():
    return send_file(BytesIO(hotline.template()), mimetype=XLSX, as_attachment=True,
                     download_name="12345-template-工单导入模板.xlsx")


# --- notices -------------------------------------------------------------------------------

@bp.get("/notices")
@login_required
def notice_list():
    staff = bool(scope.roles_of(db.session, current_user) & scope.STAFF_ROLES)
    items = notices.notices_for_staff(db.session, current_user) if staff else \
        notices.notices_for_resident(db.session, current_user)
    can_post = bool(scope.roles_of(db.session, current_user) & notices.NOTICE_ROLES)
    return render_template("workorders/notices.html", notices=items, can_post=can_post)


@bp.route("/notices/new", methods=["GET", "POST"])
@login_required
def notice_new():
    scope.require_any_role(db.session, current_user, notices.NOTICE_ROLES)
    compounds = db.session.scalars(select(Compound).where(
        Compound.id.in_(scope.compound_ids(db.session, current_user, notices.NOTICE_ROLES))).order_by(Compound.name)).all()
    form = NoticeForm()
    form.compound_id.choices = choices((c.id, c.name) for c in compounds)
    form.building_ids.choices = choices((b.id, f"{c.name} {b.name}") for c in compounds for b in
                                        sorted(db.session.scalars(select(Building).where(Building.compound_id == c.id)),
                                               key=lambda b: natural_key(b.name)))
    if form.validate_on_submit():
        try:
            ids = [int(x) for x in (form.work_order_ids.data or "").replace("，", ",").split(",") if x.strip()]
        except ValueError:
            form.work_order_ids.errors.append(_("Give work order numbers separated by commas."))
        else:
            try:
                notice = notices.create_notice(
                    db.session, current_user, compound_id=form.compound_id.data, kind=form.kind.data,
                    title=form.title.data, body=form.body.data or "",
                    starts_at=form.starts_at.data.replace(tzinfo=clock.SHANGHAI),
                    ends_at=form.ends_at.data.replace(tzinfo=clock.SHANGHAI),
                    building_ids=form.building_ids.data or (), work_order_ids=ids)
            except DomainError as error:
                _form_error(form, error)
            else:
                return redirect(url_for("workorders.notice_detail", notice_id=notice.id))
    return render_template("workorders/notice_new.html", form=form)


@bp.route("/notices/<int:notice_id>", methods=["GET", "POST"])
@login_required
def notice_detail(notice_id: int):
    notice = notices.get_notice(db.session, current_user, notice_id)
    staff = bool(scope.roles_on(db.session, current_user, notice.compound_id) & scope.STAFF_ROLES)
    form = ReadForm()
    if not staff and form.validate_on_submit():
        notices.mark_read(db.session, current_user, notice_id)
        flash(_("Marked as read."))
        return redirect(url_for("workorders.notice_detail", notice_id=notice_id))
    return render_template("workorders/notice.html", notice=notice, staff=staff, form=form,
                           has_read=notices.has_read(db.session, current_user, notice_id),
                           readers=notices.readers(db.session, current_user, notice_id) if staff else [])

