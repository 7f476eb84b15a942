"""Pages of the owners' assembly: motions, voting, the live count, the public tally."""
from __future__ import annotations

import datetime as dt
from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from pm_platform.committees import service
from pm_platform.committees.forms import MotionForm, PaperBallotForm, ProxyForm, VerifyForm, VoteForm, unit_choices
from pm_platform.committees.models import CommitteeTerm, Motion, MotionAttachment, PaperBallot, Proxy
from pm_platform.core import clock
from pm_platform.core.errors import DomainError
from pm_platform.core.files import safe_filename
from pm_platform.core.forms import attach_error, submit_form
from pm_platform.core.web import public_page
from pm_platform.extensions import db
from pm_platform.places import scope
from pm_platform.places.models import Compound

bp = Blueprint("committees", __name__)
NAV = [("committees.index", _l("Owners' assembly"), scope.ALL_ROLES)]


def _local_to_utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=clock.SHANGHAI).astimezone(dt.timezone.utc)


@bp.get("/assembly")
@login_required
def index():
    visible = scope.compound_ids(db.session, current_user)
    motions = db.session.scalars(select(Motion).where(Motion.compound_id.in_(visible))
                                 .order_by(Motion.id.desc()).limit(200)).all()
    compounds = db.session.scalars(select(Compound).where(Compound.id.in_(visible)).order_by(Compound.id)).all()
    manageable = [c for c in compounds if service.can_manage(db.session, current_user, c.id)]
    names = {c.id: c.name for c in compounds}
    ending = db.session.scalars(select(CommitteeTerm).where(
        CommitteeTerm.compound_id.in_(visible), CommitteeTerm.reminded_at.is_not(None),
        CommitteeTerm.ends_on >= clock.local_today()).order_by(CommitteeTerm.ends_on)).all()
    return render_template("committees/index.html", motions=motions, manageable=manageable, names=names, ending=ending,
                           verified=service.owner_of(db.session, current_user) is not None)


@bp.route("/me/ownership", methods=["GET", "POST"])
@login_required
def verify():
    form = VerifyForm()
    if form.validate_on_submit():
        try:
            owner = service.verify_ownership(db.session, current_user, form.id_number.data, form.certificate_no.data)
            flash(_("Your account is now linked to the owner %(name)s.", name=owner.name))
            return redirect(url_for("committees.index"))
        except DomainError as exc:
            db.session.rollback()
            form.certificate_no.errors.append(exc.localized)
    return render_template("committees/verify.html", form=form)


@bp.route("/compounds/<int:compound_id>/motions/new", methods=["GET", "POST"])
@login_required
def new_motion(compound_id: int):
    compound = scope.get_compound(db.session, current_user, compound_id)
    if not service.can_manage(db.session, current_user, compound_id):
        abort(403)
    form = MotionForm()
    form.candidates.choices = unit_choices(service.candidate_units(db.session, compound_id), placeholder=False)
    if form.validate_on_submit():
        files = [(f.filename, f.read()) for f in form.attachments.data or [] if getattr(f, "filename", "")]
        try:
            candidates = service.candidates_by_unit(db.session, compound_id, form.candidates.data or [])
            motion = service.create_motion(
                db.session, current_user, compound_id, title=form.title.data, body=form.body.data,
                category=form.category.data, opens_at=_local_to_utc(form.opens_at.data),
                closes_at=_local_to_utc(form.closes_at.data), attachments=files,
                seats=int(form.seats.data) if form.seats.data else None, candidate_owner_ids=candidates)
            return redirect(url_for("committees.motion", motion_id=motion.id))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
    return render_template("committees/new_motion.html", form=form, compound=compound)


@bp.get("/motions/<int:motion_id>")
@login_required
def motion(motion_id: int):
    return _motion_page(service.get_motion(db.session, current_user, motion_id))


def _paper_form(item: Motion) -> PaperBallotForm:
    form = PaperBallotForm(prefix="paper")
    form.unit_id.choices = unit_choices(service.register_units(db.session, item))
    return form


def _motion_page(item: Motion, paper_form: PaperBallotForm | None = None, proxy_form: ProxyForm | None = None):
    """The motion's page; `paper_form` or `proxy_form` is a refused form shown again with its error."""
    roles = scope.roles_on(db.session, current_user, item.compound_id)
    manage = service.can_manage(db.session, current_user, item.compound_id)
    live = None
    if item.status == "open" and roles & service.TALLY_ROLES:
        live = service.tally(db.session, item)
    result = service.tally(db.session, item) if item.status in ("closed", "final") else None
    owner = service.owner_of(db.session, current_user)
    voter = service.voter_for(db.session, item, owner) if owner and item.status != "draft" else None
    vote_form = None
    if voter is not None and item.status == "open":
        vote_form = VoteForm()  # an election ballot lists the candidates as checkboxes instead
    attachments = db.session.execute(select(MotionAttachment.id, MotionAttachment.filename)
                                     .where(MotionAttachment.motion_id == item.id)).all()
    desk = service.desk(db.session, item) if manage and item.status != "draft" else None
    if desk is not None and paper_form is None and item.status == "open" and not item.is_election:
        paper_form = _paper_form(item)
    return render_template(
        "committees/motion.html", motion=item, compound=db.session.get(Compound, item.compound_id),
        manage=manage,
        may_see_evidence=bool(roles & service.TALLY_ROLES), live=live, result=result, voter=voter,
        vote_form=vote_form, my_ballot=service.my_ballot(db.session, current_user, item),
        proxy_form=proxy_form or (ProxyForm() if voter is not None and item.status == "open" else None),
        held=service.proxies_held(db.session, current_user, item), attachments=attachments,
        desk=desk, paper_form=paper_form,
        objections=service.objections(db.session, item) if manage or roles & scope.OFFICE_ROLES else None,
        rule=service.rules_of(item), notice=service.announcement(db.session, item))


@bp.post("/motions/<int:motion_id>/open")
@login_required
def open_motion(motion_id: int):
    service.open_motion(db.session, current_user, motion_id)
    flash(_("Voting is open; the owner register is frozen."))
    return redirect(url_for("committees.motion", motion_id=motion_id))


@bp.post("/motions/<int:motion_id>/vote")
@login_required
def vote(motion_id: int):
    item = service.get_motion(db.session, current_user, motion_id)
    proxy_id = request.form.get("proxy_id", type=int)
    if item.is_election:
        chosen = [int(c) for c in request.form.getlist("candidates") if c.isdigit()]
        ballot = service.cast_ballot(db.session, current_user, motion_id, candidates=chosen, proxy_id=proxy_id)
    else:
        ballot = service.cast_ballot(db.session, current_user, motion_id, choice=request.form.get("choice"),
                                     proxy_id=proxy_id)
    receipt = ballot.receipt
    flash(_("Your ballot is counted. Receipt code: %(receipt)s", receipt=receipt))
    return redirect(url_for("committees.motion", motion_id=motion_id))


@bp.post("/motions/<int:motion_id>/proxy")
@login_required
def appoint_proxy(motion_id: int):
    item = service.get_motion(db.session, current_user, motion_id)
    form = ProxyForm()
    if submit_form(form, lambda: service.submit_proxy(db.session, current_user, motion_id, form.holder.data,
                                                      form.letter.data.filename, form.letter.data.read())):
        flash(_("Your proxy is waiting for the committee to check the letter."))
        return redirect(url_for("committees.motion", motion_id=motion_id))
    return _motion_page(item, proxy_form=form)   # the refusal beside its field, the name kept


@bp.post("/motions/<int:motion_id>/objections")
@login_required
def object_to(motion_id: int):
    service.raise_objection(db.session, current_user, motion_id, request.form.get("text", ""))
    flash(_("Your objection is recorded; the committee will answer it before the final announcement."))
    return redirect(url_for("committees.motion", motion_id=motion_id))


@bp.post("/proxies/<int:proxy_id>/review")
@login_required
def review_proxy(proxy_id: int):
    proxy = service.review_proxy(db.session, current_user, proxy_id, request.form.get("accept") == "1")
    return redirect(url_for("committees.motion", motion_id=proxy.motion_id))


@bp.get("/proxies/<int:proxy_id>/letter")
@login_required
def proxy_letter(proxy_id: int):
    proxy = db.session.get(Proxy, proxy_id)
    if proxy is None:
        abort(404)
    motion = service.get_motion(db.session, current_user, proxy.motion_id)
    if not service.can_manage(db.session, current_user, motion.compound_id):
        abort(403)
    return send_file(BytesIO(proxy.letter), download_name=safe_filename(proxy.letter_name), as_attachment=True)


@bp.post("/motions/<int:motion_id>/paper")
@login_required
def enter_paper(motion_id: int):
    item = service.get_motion(db.session, current_user, motion_id)
    if not service.can_manage(db.session, current_user, item.compound_id):
        abort(403)
    form = _paper_form(item)
    if submit_form(form, lambda: service.enter_paper_ballot(
            db.session, current_user, motion_id, form.unit_id.data, form.choice.data, form.scan.data.filename,
            form.scan.data.read())):
        flash(_("Paper ballot entered; a second committee member must confirm it."))
        return redirect(url_for("committees.motion", motion_id=motion_id))
    return _motion_page(item, paper_form=form)   # the refusal beside its field, the unit and choice kept


@bp.post("/paper-ballots/<int:paper_id>/confirm")
@login_required
def confirm_paper(paper_id: int):
    paper, ballot = service.confirm_paper_ballot(db.session, current_user, paper_id)
    motion_id = paper.motion_id
    flash(_("Confirmed and counted.") if ballot else _("Confirmed; the owner's online ballot counts instead."))
    return redirect(url_for("committees.motion", motion_id=motion_id))


@bp.get("/paper-ballots/<int:paper_id>/scan")
@login_required
def paper_scan(paper_id: int):
    paper = db.session.get(PaperBallot, paper_id)
    if paper is None:
        abort(404)
    motion = service.get_motion(db.session, current_user, paper.motion_id)
    if not service.can_manage(db.session, current_user, motion.compound_id):
        abort(403)
    return send_file(BytesIO(paper.scan), download_name=safe_filename(paper.scan_name), as_attachment=True)


@bp.get("/motions/<int:motion_id>/attachments/<int:attachment_id>")
@login_required
def attachment(motion_id: int, attachment_id: int):
    service.get_motion(db.session, current_user, motion_id)
    item = db.session.get(MotionAttachment, attachment_id)
    if item is None or item.motion_id != motion_id:
        abort(404)
    return send_file(BytesIO(item.content), download_name=safe_filename(item.filename), as_attachment=True)


@bp.get("/motions/<int:motion_id>/public")
@public_page
def public(motion_id: int):
    """The public tally page: no sign-in, no names, no unit numbers."""
    item = service.public_motion(db.session, motion_id)
    rows = service.receipts(db.session, item)
    result = service.tally(db.session, item) if item.status in ("closed", "final") else None
    return render_template("committees/public.html", motion=item, receipts=rows, result=result,
                           compound=db.session.get(Compound, item.compound_id),
                           names={c.id: c.name for c in item.candidates},
                           area_range=(sum(r["area_band_cm2"][0] for r in rows), sum(r["area_band_cm2"][1] for r in rows)),
                           notice=service.announcement(db.session, item))


@bp.get("/motions/<int:motion_id>/notice.pdf")
@public_page
def notice(motion_id: int):
    document = service.announcement(db.session, service.public_motion(db.session, motion_id))
    if document is None:
        abort(404)
    return send_file(BytesIO(document.content), mimetype="application/pdf",
                     download_name=f"motion-{motion_id}-notice.pdf")


@bp.get("/motions/<int:motion_id>/evidence.zip")
@login_required
def evidence(motion_id: int):
    data = service.evidence_pack(db.session, current_user, motion_id)
    return send_file(BytesIO(data), mimetype="application/zip", as_attachment=True,
                     download_name=f"motion-{motion_id}-evidence.zip")
