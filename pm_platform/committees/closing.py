"""The owners' assembly: closing a motion, objections, finalising it and its announcement, and the
committee's terms (reminders before a term ends).
Functions validate, change, flush and return; the request or task commits.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from pm_platform.committees.ballots import voter_for
from pm_platform.committees.common import _lock
from pm_platform.committees.models import CommitteeMember, CommitteeTerm, Motion, MotionDocument, Objection
from pm_platform.committees.motions import get_motion, owner_of
from pm_platform.committees.tally import compute_tally
from pm_platform.core import audit, clock
from pm_platform.core.errors import Conflict, PermissionDenied, ValidationError
from pm_platform.core.models import User


TERM_YEARS = 5                       # 业主委员会每届任期不超过五年
TERM_REMINDER_MONTHS = 3


# --- closing, objections, the announcement -----------------------------------------------

def close_motion(session: Session, motion_id: int, actor: User | None = None) -> Motion | None:
    """Close a motion whose window has ended: count, store the preliminary result and start
    the objection period. Safe to run twice (a closed motion is left as it is)."""
    motion = _lock(session, Motion, motion_id)
    if motion is None or motion.status != "open" or clock.as_utc(motion.closes_at) > clock.now_utc():
        return None
    motion.status, motion.closed_at = "closed", clock.now_utc()
    result = compute_tally(session, motion)
    result["status"] = "closed"
    motion.result = json.dumps(result, ensure_ascii=False, sort_keys=True)
    motion.objection_ends_at = motion.closed_at + dt.timedelta(days=motion.objection_days)
    session.flush()
    audit.record(session, actor, "motion.close", "motion", motion.id,
                 {"passed": result["passed"], "A_P": result["A_P"], "N_P": result["N_P"],
                  "objection_ends_at": motion.objection_ends_at})
    return motion


def close_due_motions(session: Session) -> list[int]:
    due = session.scalars(select(Motion.id).where(Motion.status == "open", Motion.closes_at <= clock.now_utc())).all()
    return [m for m in due if close_motion(session, m)]


def raise_objection(session: Session, actor: User, motion_id: int, text: str) -> Objection:
    """An owner on the register objects to the preliminary result during the objection period.
    Objections are printed on the final announcement and kept in the evidence pack."""
    motion = get_motion(session, actor, motion_id)
    owner = owner_of(session, actor)
    voter = voter_for(session, motion, owner) if owner and motion.status != "draft" else None
    if voter is None:
        raise PermissionDenied("only an owner on this motion's register may object")
    if motion.status != "closed" or clock.as_utc(motion.objection_ends_at) <= clock.now_utc():
        raise Conflict("objections are taken only during the objection period after the preliminary result", "motion")
    text = (text or "").strip()
    if not text or len(text) > 5000:
        raise ValidationError("write the objection (up to 5000 characters)", "text")
    objection = Objection(motion_id=motion.id, voter_id=voter.id, user_id=actor.id, text=text)
    session.add(objection)
    session.flush()
    audit.record(session, actor, "objection.raise", "motion", motion.id, {"objection_id": objection.id, "text": text})
    return objection


def objections(session: Session, motion: Motion) -> list[Objection]:
    return list(session.scalars(select(Objection).where(Objection.motion_id == motion.id).order_by(Objection.id)))


def finalise_motion(session: Session, motion_id: int, actor: User | None = None) -> Motion | None:
    """After the objection period: the final result, its PDF notice, and for an election the
    committee's term. Safe to run twice."""
    motion = _lock(session, Motion, motion_id)
    if motion is None or motion.status != "closed" or clock.as_utc(motion.objection_ends_at) > clock.now_utc():
        return None
    motion.status, motion.finalised_at = "final", clock.now_utc()
    result = json.loads(motion.result)
    result["status"] = "final"
    motion.result = json.dumps(result, ensure_ascii=False, sort_keys=True)
    pdf = announcement_pdf(session, motion, result)
    session.add(MotionDocument(motion_id=motion.id, kind="final_notice", content=pdf,
                               sha256=hashlib.sha256(pdf).hexdigest()))
    if motion.is_election and result["elected"]:
        start = clock.local_today()
        term = CommitteeTerm(compound_id=motion.compound_id, motion_id=motion.id, starts_on=start,
                             ends_on=clock.add_months(start, 12 * TERM_YEARS))
        session.add(term)
        session.flush()
        owners = {c.id: c.owner_id for c in motion.candidates}
        for rank, elected in enumerate(result["elected"], 1):
            session.add(CommitteeMember(term_id=term.id, owner_id=owners[elected["id"]], rank=rank))
    session.flush()
    audit.record(session, actor, "motion.finalise", "motion", motion.id,
                 {"passed": result["passed"], "notice_sha256": hashlib.sha256(pdf).hexdigest()})
    return motion


def finalise_due_motions(session: Session) -> list[int]:
    due = session.scalars(select(Motion.id).where(Motion.status == "closed",
                                                  Motion.objection_ends_at <= clock.now_utc())).all()
    return [m for m in due if finalise_motion(session, m)]


def announcement_pdf(session: Session, motion: Motion, result: dict) -> bytes:
    from pm_platform.core.pdf import render_pdf
    from pm_platform.places.models import Compound

    compound = session.get(Compound, motion.compound_id)
    return render_pdf("committees/notice_pdf.html", {
        "motion": {"id": motion.id, "title": motion.title, "body": motion.body, "category": motion.category,
                   "opens_at": clock.format_local(motion.opens_at), "closes_at": clock.format_local(motion.closes_at),
                   "closed_at": clock.format_local(motion.closed_at),
                   "objection_ends_at": clock.format_local(motion.objection_ends_at)},
        "compound": compound.name, "result": result, "issued_on": clock.local_today().isoformat(),
        "objections": len(objections(session, motion))})


def announcement(session: Session, motion: Motion) -> MotionDocument | None:
    return session.scalar(select(MotionDocument).where(MotionDocument.motion_id == motion.id,
                                                       MotionDocument.kind == "final_notice"))


# --- committee terms ---------------------------------------------------------------------

def remind_terms_ending(session: Session) -> list[int]:
    """Mark terms ending within three months (once each) and log the reminder."""
    horizon = clock.add_months(clock.local_today(), TERM_REMINDER_MONTHS)
    terms = session.scalars(select(CommitteeTerm).where(CommitteeTerm.reminded_at.is_(None),
                                                        CommitteeTerm.ends_on <= horizon)).all()
    for term in terms:
        term.reminded_at = clock.now_utc()
        audit.record(session, None, "committee.term_ending", "compound", term.compound_id,
                     {"term_id": term.id, "ends_on": term.ends_on})
    session.flush()
    return [t.id for t in terms]


def terms_of(session: Session, compound_id: int) -> list[CommitteeTerm]:
    return list(session.scalars(select(CommitteeTerm).where(CommitteeTerm.compound_id == compound_id)
                                .order_by(CommitteeTerm.starts_on.desc())))
