"""Score pages: boards for the district, street and community offices with drill-down to the
records, a firm's own board, spot checks on a phone, lists, rewards, scheme and PDFs."""
from __future__ import annotations

import datetime as dt
from io import BytesIO

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pm_platform.core import clock, outbox, pdf, sheets
from pm_platform.core.errors import DomainError, NotFound, ValidationError
from pm_platform.core.money import div_round_half_up, format_yuan, parse_yuan
from pm_platform.extensions import db
from pm_platform.places import scope
from pm_platform.places.models import AdminArea, Compound, PropertyFirm
from pm_platform.places.service import current_firm
from pm_platform.scoring import boards, charts, dossier, inputs, ranking, rewards, service
from pm_platform.scoring.forms import ITEM_LABELS, FundForm, IncidentForm, RevisionForm, SpotCheckForm, scheme_form
from pm_platform.scoring.models import SPOT_ITEMS, SafetyIncident, Scorecard, SpotCheck, SpotCheckItem, SpotCheckPhoto
from pm_platform.scoring.schemas import points_text
from pm_platform.workorders import labels as workorder_labels

bp = Blueprint("scoring", __name__, url_prefix="/scores")
NAV = [("scoring.home", _l("Scores"), scope.STAFF_ROLES)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LINE_LABELS = {
    "fee_collection": _l("Fee collection rate"), "inspection_completion": _l("Inspections completed on time"),
    "workorders_on_time": _l("Work orders resolved within deadline"), "satisfaction": _l("Residents' satisfaction"),
    "spot_checks": _l("Community office spot checks"), "disclosure_on_time": _l("Common-fund disclosure on time"),
    "really_fixed": _l("Follow-up: really fixed"), "rebound": _l("Rebounds"),
    "closed_not_fixed": _l("Closed but not fixed"), "safety_incident": _l("Major safety incidents"),
}
WATCH_LABELS = {"overdue_orders": _l("Overdue work orders"), "missed_inspections": _l("Missed inspections"),
                "arrears_fen": _l("Arrears (yuan)"), "rebounds": _l("Rebounds"), "open_defects": _l("Open defects")}
STEP_LABELS = {"notice": _l("Notice (通报)"), "interview": _l("Interview (约谈)"),
               "rectification": _l("Rectification deadline"), "report": _l("Reported to the district")}
# the records behind a card line keep their domain's status codes; a person reads words
RECORD_STATUS = {
    "fees": {"unpaid": _l("Unpaid"), "partial": _l("Partly paid"), "paid": _l("Paid"), "waived": _l("Waived")},
    "inspections": {"due": _l("not yet"), "on_time": _l("done on time"), "late": _l("done late"),
                    "missed": _l("missed")},
    "workorders": workorder_labels.STATUS,
}
KIND_LABELS = {"district": _l("District"), "street": _l("Street office"), "community": _l("Community office"),
               "compound": _l("Compound")}


@bp.app_template_filter("points")
def points_filter(value):
    return "—" if value is None else points_text(value)


@bp.app_template_filter("rate")
def rate_filter(line) -> str:
    """numerator ÷ denominator of a card line as a percentage with one decimal (half-up)."""
    if line is None or not line.denominator:
        return "—"
    tenths = div_round_half_up(line.numerator * 1000, line.denominator)
    return f"{tenths // 10}.{tenths % 10}%"


def line_figures(line) -> str:
    """What a card line was computed from, in words with units: yuan for fees (stored in fen),
    items, orders, ratings, points or visits for the others, a count for a deduction."""
    n, d = line.numerator, line.denominator
    if line.kind != "indicator":
        return _("Count: %(n)s", n=n)
    if not d:
        return _("not measured")
    match line.key:
        case "fee_collection":
            return _("%(paid)s yuan paid of %(billed)s yuan billed", paid=format_yuan(n), billed=format_yuan(d))
        case "inspection_completion":
            return _("%(n)s of %(d)s inspection items done on time", n=n, d=d)
        case "workorders_on_time":
            return _("%(n)s of %(d)s work orders resolved within the deadline", n=n, d=d)
        case "satisfaction":  # tenths: satisfied count 1, basically satisfied 0.9
            return _("%(n)s satisfied of %(d)s rated work orders (basically satisfied counts 0.9)",
                     n=f"{n // 10}.{n % 10}", d=d // 10)
        case "spot_checks":
            return _("%(n)s of %(d)s spot-check points", n=n, d=d)
        case "disclosure_on_time":
            if n:
                return _("The common-fund accounts were disclosed on time")
            return _("The common-fund accounts were not disclosed on time")
        case "really_fixed":
            return _("%(n)s of %(d)s follow-up visits found the repair held", n=n, d=d)
    return f"{n} / {d}"


def shown_records(key: str, records: list[dict]) -> list[dict]:
    """The records behind a line as a person reads them: statuses and categories in words,
    times in Shanghai time (the same helper as the local_time filter), dates as they are."""
    source = inputs.RECORD_SOURCES.get(key)
    statuses = RECORD_STATUS.get(source, {})
    rows = []
    for record in records:
        label = record["label"]
        if source == "workorders" and record.get("category"):
            label = f"#{record['id']} {workorder_labels.CATEGORY.get(record['category'], record['category'])}"
        at = record["at"]
        rows.append({"id": record["id"], "label": label, "status": statuses.get(record["status"], record["status"]),
                     "at": clock.format_local(at) if isinstance(at, dt.datetime) else (at or "")})
    return rows


@bp.context_processor
def labels():
    return {"LINE_LABELS": LINE_LABELS, "WATCH_LABELS": WATCH_LABELS, "STEP_LABELS": STEP_LABELS,
            "KIND_LABELS": KIND_LABELS, "ITEM_LABELS": ITEM_LABELS, "sparkline": charts.sparkline,
            "line_figures": line_figures}


def _month() -> str:
    """?month=YYYY-MM, else the latest month with a card the user may see, else last month."""
    if request.args.get("month"):
        return clock.parse_period(request.args["month"], "month")
    latest = db.session.scalar(select(func.max(Scorecard.month)).where(
        Scorecard.compound_id.in_(scope.compound_ids(db.session, current_user, scope.STAFF_ROLES))))
    return latest or service.previous_month()


def _pdf(template: str, name: str, **context) -> Response:
    return send_file(BytesIO(pdf.render_pdf(template, context)), mimetype="application/pdf",
                     as_attachment=False, download_name=name)


@bp.get("/")
@login_required
def home():
    """Each user lands on the widest board their grants give."""
    grants = scope.grants_of(db.session, current_user)
    for role, kind in (("admin", None), ("bureau", "district"), ("street", "street"), ("community", "community")):
        for grant in grants:
            if grant.role == role:
                area_id = grant.id if kind else db.session.scalar(
                    select(AdminArea.id).where(AdminArea.kind == "district").order_by(AdminArea.id))
                if area_id is None:
                    break
                return redirect(url_for("scoring.board", kind=kind or "district", area_id=area_id))
    for grant in grants:
        if grant.kind == "firm":
            return redirect(url_for("scoring.firm", firm_id=grant.id))
        if grant.kind == "compound" and grant.role == "committee":
            return redirect(url_for("scoring.compound", compound_id=grant.id))
    abort(404)


@bp.get("/<any(district, street, community):kind>/<int:area_id>")
@login_required
def board(kind: str, area_id: int):
    month = _month()
    data = boards.area_board(db.session, current_user, kind, area_id, month)
    if not data.rows:  # the area exists, but none of it is the user's
        raise NotFound("{kind} {area} not found", kind=kind, area=area_id)
    roles = scope.roles_of(db.session, current_user)
    covers = lambda roles_wanted: scope.covers_area(db.session, current_user, data.area, roles_wanted)  # noqa: E731
    context = dict(board=data, month=month, chart=charts.trend_svg(data.trend, label=_("12-month trend")),
                   published=kind == "street" and service.is_published(db.session, area_id, month),
                   can_publish=kind == "street" and covers(service.PUBLISH_ROLES),
                   can_manage=kind == "district" and covers({"admin", "bureau"}),
                   has_lists=kind in ("street", "district") and ranking.may_view_lists(db.session, current_user, area_id),
                   roles=roles)
    if request.args.get("format") == "pdf":
        return _pdf("scoring/pdf/board.html", f"board-{kind}-{area_id}-{month}.pdf", **context)
    return render_template("scoring/board.html", **context)


@bp.post("/street/<int:street_id>/publish")
@login_required
def publish(street_id: int):
    month = clock.parse_period(request.form.get("month", ""), "month")
    service.publish_month(db.session, current_user, street_id, month)
    flash(_("%(month)s is published; its cards are frozen.", month=month))
    return redirect(url_for("scoring.board", kind="street", area_id=street_id, month=month))


@bp.post("/district/<int:district_id>/compute")
@login_required
def compute(district_id: int):
    """Recompute a month's cards now (in the background): the bureau after late data."""
    service.get_area(db.session, current_user, district_id, "district", {"admin", "bureau"})
    month = clock.parse_period(request.form.get("month", ""), "month")
    outbox.enqueue(db.session, "scoring.compute_month", month, district_id)
    flash(_("The cards for %(month)s are being computed.", month=month))
    return redirect(url_for("scoring.board", kind="district", area_id=district_id, month=month))


@bp.get("/compound/<int:compound_id>")
@login_required
def compound(compound_id: int):
    item = scope.get_compound(db.session, current_user, compound_id, scope.STAFF_ROLES)
    month = _month()
    card = db.session.scalars(select(Scorecard).where(Scorecard.compound_id == compound_id, Scorecard.month == month,
                                                      Scorecard.is_current)).first()
    roles = scope.roles_on(db.session, current_user, compound_id)
    published = service.is_published(db.session, item.street_id, month)
    trend = service.compound_trend(db.session, compound_id, month)
    checks = db.session.scalars(select(SpotCheck).where(SpotCheck.compound_id == compound_id, SpotCheck.month == month)
                                .order_by(SpotCheck.checked_on.desc())
                                .options(selectinload(SpotCheck.items).selectinload(SpotCheckItem.photos))).all()
    incidents = db.session.scalars(select(SafetyIncident).where(SafetyIncident.compound_id == compound_id)
                                   .order_by(SafetyIncident.occurred_on.desc()).limit(10)).all()
    return render_template(
        "scoring/compound.html", compound=item, month=month, card=card, published=published,
        history=service.card_history(db.session, card) if card else [], firm=current_firm(db.session, compound_id),
        chart=charts.trend_svg(trend, label=_("12-month trend")), checks=checks, incidents=incidents,
        can_spot_check=bool(roles & service.SPOT_CHECK_ROLES), can_report=bool(roles & service.INCIDENT_ROLES),
        can_revise=bool(card and published and roles & service.REVISE_ROLES),
        revision_form=RevisionForm(), incident_form=IncidentForm())


@bp.get("/card/<int:card_id>/<key>")
@login_required
def line_records(card_id: int, key: str):
    card = service.get_card(db.session, current_user, card_id)
    line = next((line for line in card.lines if line.key == key), None)
    if line is None:
        raise NotFound("no line {line} on this card", line=key)
    records = inputs.records_for(db.session, card.compound_id, card.month, key)
    checks = db.session.scalars(select(SpotCheck).where(SpotCheck.id.in_([r["id"] for r in records]))).all() \
        if key == "spot_checks" else []
    return render_template("scoring/records.html", card=card, line=line, records=shown_records(key, records),
                           checks=checks, compound=db.session.get(Compound, card.compound_id),
                           has_times=any(isinstance(r["at"], dt.datetime) for r in records))


@bp.route("/compound/<int:compound_id>/spot-check", methods=["GET", "POST"])
@login_required
def spot_check(compound_id: int):
    item = scope.get_compound(db.session, current_user, compound_id, service.SPOT_CHECK_ROLES)
    form = SpotCheckForm()
    if request.method == "GET":
        form.checked_on.data = clock.local_today()
    if form.validate_on_submit():
        items = {}
        for key in SPOT_ITEMS:
            sub = form[key]
            photos = [(f.mimetype, f.read()) for f in sub.photos.data or [] if getattr(f, "filename", "")]
            items[key] = {"score": sub.score.data, "note": sub.note.data, "photos": photos}
        try:
            check = service.record_spot_check(db.session, current_user, compound_id, form.checked_on.data, items,
                                              form.note.data, form.open_work_orders.data)
            flash(_("Spot check saved: %(score)s of %(max)s.", score=check.score, max=check.max_score))
            return redirect(url_for("scoring.compound", compound_id=compound_id, month=check.month))
        except ValidationError as exc:
            db.session.rollback()
            form.checked_on.errors.append(exc.localized)
    return render_template("scoring/spot_check.html", compound=item, form=form, items=SPOT_ITEMS)


@bp.get("/photos/<int:photo_id>")
@login_required
def photo(photo_id: int):
    found = db.session.get(SpotCheckPhoto, photo_id)
    if found is None:
        raise NotFound("photo not found")
    check = db.session.get(SpotCheckItem, found.item_id).spot_check
    scope.get_compound(db.session, current_user, check.compound_id, scope.STAFF_ROLES)
    return send_file(BytesIO(found.data), mimetype=found.content_type)


@bp.post("/compound/<int:compound_id>/revise")
@login_required
def revise(compound_id: int):
    month = clock.parse_period(request.form.get("month", ""), "month")
    form = RevisionForm()
    if not form.validate_on_submit():
        raise ValidationError("Say why the card is corrected.", "reason")
    card = service.revise_card(db.session, current_user, compound_id, month, form.reason.data)
    flash(_("Revision %(n)s saved.", n=card.revision))
    return redirect(url_for("scoring.compound", compound_id=compound_id, month=month))


@bp.post("/compound/<int:compound_id>/incident")
@login_required
def incident(compound_id: int):
    form = IncidentForm()
    if not form.validate_on_submit():
        raise ValidationError("Give the date and what happened.", "description")
    service.record_incident(db.session, current_user, compound_id, form.occurred_on.data, form.description.data)
    flash(_("The incident is recorded; it counts on the month's card."))
    return redirect(url_for("scoring.compound", compound_id=compound_id))


@bp.get("/compound/<int:compound_id>/dossier.pdf")
@login_required
def compound_dossier(compound_id: int):
    context = dossier.compound_dossier(db.session, current_user, compound_id, _month())
    context["chart"] = charts.trend_svg(context["trend"], label=_("12-month trend"))
    return _pdf("scoring/pdf/dossier.html", f"dossier-{compound_id}.pdf", **context)


@bp.get("/firm/<int:firm_id>")
@login_required
def firm(firm_id: int):
    month = _month()
    data = boards.firm_board(db.session, current_user, firm_id, month)  # carries the month
    return render_template("scoring/firm.html", **data)


@bp.route("/lists/<int:area_id>", methods=["GET", "POST"])
@login_required
def lists(area_id: int):
    month = _month()
    area = ranking.lists_area(db.session, current_user, area_id)
    if request.method == "POST":
        ranking.publish_lists(db.session, current_user, area_id, month)
        flash(_("The red and black lists for %(month)s are published.", month=month))
        return redirect(url_for("scoring.lists", area_id=area_id, month=month))
    data = boards.redblack(db.session, current_user, month, f"{area.kind}:{area.id}")
    warnings = ranking.warnings_for(db.session, current_user, district_id=area.id) if area.kind == "district" else []
    firm_names = dict(db.session.execute(select(PropertyFirm.id, PropertyFirm.name)).all()) if warnings else {}
    context = dict(data=data, month=month, warnings=warnings, firm_names=firm_names,
                   can_publish=scope.covers_area(db.session, current_user, area, ranking.PUBLISH_ROLES[area.kind]))
    if request.args.get("format") == "pdf":
        if not data["published"]:
            raise NotFound("The lists for this month are not published yet.")
        return _pdf("scoring/pdf/redblack.html", f"redblack-{area.id}-{month}.pdf", **context)
    return render_template("scoring/lists.html", **context)


@bp.route("/rewards/<int:district_id>", methods=["GET", "POST"])
@login_required
def rewards_page(district_id: int):
    district = service.get_area(db.session, current_user, district_id, "district", rewards.FUND_ROLES | {"street"})
    half = request.args.get("half") or f"{clock.local_today().year}-H{1 if clock.local_today().month <= 6 else 2}"
    rewards.half_months(half)
    form = FundForm()
    if form.validate_on_submit():
        try:
            rewards.set_fund(db.session, current_user, district_id, half, parse_yuan(form.amount.data))
            flash(_("The fund is set."))
            return redirect(url_for("scoring.rewards_page", district_id=district_id, half=half))
        except DomainError as exc:
            db.session.rollback()
            form.amount.errors.append(exc.localized)
    try:
        allocation, names = rewards.allocation(db.session, current_user, district_id, half)
    except NotFound:
        allocation, names = None, {}
    context = dict(district=district, half=half, allocation=allocation, names=names, form=form)
    fmt = request.args.get("format")
    if fmt and allocation is None:
        raise NotFound("No fund is set for this half-year.")
    if fmt == "pdf":
        return _pdf("scoring/pdf/rewards.html", f"rewards-{district_id}-{half}.pdf", **context)
    if fmt == "xlsx":
        return send_file(BytesIO(rewards_sheet(allocation, names)), mimetype=XLSX, as_attachment=True,
                         download_name=f"rewards-{half}-以奖代补.xlsx")
    return render_template("scoring/rewards.html", **context)


def rewards_sheet(allocation, names) -> bytes:
    columns = [("小区", "compound"), ("建筑面积(m²)", "area_m2"), ("半年平均分", "average"), ("基数(元)", "base_yuan"),
               ("比例%", "percent"), ("应得(元)", "due_yuan"), ("核定(元)", "paid_yuan")]
    rows = [(names[line.compound_id], f"{line.area_cm2 // 100}.{line.area_cm2 % 100:02d}", points_text(line.average) or "",
             format_yuan(line.base_fen), line.percent, format_yuan(line.due_fen), format_yuan(line.paid_fen))
            for line in allocation.lines]
    rows.append(("合计 / total", "", "", "", "", format_yuan(allocation.due_fen), format_yuan(allocation.paid_fen)))
    return sheets.write_xlsx("以奖代补", columns, rows)


@bp.route("/scheme/<int:district_id>", methods=["GET", "POST"])
@login_required
def scheme(district_id: int):
    district = service.get_area(db.session, current_user, district_id, "district", service.SCHEME_ROLES)
    month = request.args.get("month") or clock.period_of(clock.local_today())
    scheme_id, definition = service.scheme_for(db.session, district_id, month)
    form = scheme_form(definition, request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.effective_month.data = month
    if form.validate_on_submit():
        new = {"indicators": [dict(key=i["key"], **{f: form[f"i_{i['key']}"][f].data for f in ("weight", "floor", "target")})
                              for i in definition["indicators"]],
               "deductions": [dict(key=d["key"], per=form[f"d_{d['key']}"].per.data, cap=form[f"d_{d['key']}"].cap.data)
                              for d in definition["deductions"]]}
        try:
            service.save_scheme(db.session, current_user, district_id, form.effective_month.data, new)
            flash(_("The scheme applies from %(month)s.", month=form.effective_month.data))
            return redirect(url_for("scoring.scheme", district_id=district_id, month=form.effective_month.data))
        except DomainError as exc:
            db.session.rollback()
            form.effective_month.errors.append(exc.localized)
    return render_template("scoring/scheme.html", district=district, form=form, definition=definition,
                           scheme_id=scheme_id, month=month)
