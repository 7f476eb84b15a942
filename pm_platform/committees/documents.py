"""The owners' assembly: what the offices' documents show of a compound's governance, the evidence
pack of a motion, and the committee's desk (candidate units, the register's units).
"""
from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from pm_platform.committees.closing import objections, terms_of
from pm_platform.committees.common import TALLY_ROLES
from pm_platform.committees.models import (
    Ballot, CommitteeMember, Motion, MotionAttachment, MotionDocument, PaperBallot, Proxy, RegisterUnit,
    RegisterVoter,
)
from pm_platform.committees.motions import get_motion, list_motions, register_text, rules_of
from pm_platform.committees.tally import tally
from pm_platform.core import audit
from pm_platform.core.errors import Conflict, ValidationError
from pm_platform.core.files import safe_filename
from pm_platform.core.models import User
from pm_platform.core.naturalsort import unit_key
from pm_platform.places.models import Owner, Ownership, Unit


# --- for documents kept by the offices ------------------------------------------------------

def compound_governance(session: Session, user: User, compound_id: int) -> dict:
    """The compound's committee terms and the motions put to its assembly, as plain values for
    other domains' documents (the compound dossier): terms newest first, each with its members'
    names in rank order (most approving area first; the model names no chair), and motions newest
    first with their outcome. Drafts are left out: they were never put to the owners."""
    motions = [m for m in list_motions(session, user, compound_id) if m.status != "draft"]  # checks the scope
    terms = terms_of(session, compound_id)
    names: dict[int, list[str]] = {}
    for term_id, name in session.execute(
            select(CommitteeMember.term_id, Owner.name).join(Owner, Owner.id == CommitteeMember.owner_id)
            .where(CommitteeMember.term_id.in_([t.id for t in terms])).order_by(CommitteeMember.rank)):
        names.setdefault(term_id, []).append(name)
    return {"terms": [{"starts_on": t.starts_on, "ends_on": t.ends_on, "motion_id": t.motion_id,
                       "members": names.get(t.id, [])} for t in terms],
            "motions": [_motion_outcome(session, m) for m in motions]}


def _motion_outcome(session: Session, motion: Motion) -> dict:
    """A motion with its result at close: 'passed' or 'failed' with the participation and consent
    ratios the tally stored, or 'open' with no figures (the running count is the committee's)."""
    outcome = {"id": motion.id, "title": motion.title, "category": motion.category, "status": motion.status,
               "opens_at": motion.opens_at, "closes_at": motion.closes_at, "finalised_at": motion.finalised_at,
               "outcome": "open", "participation_bp": None, "consent_bp": None, "elected": None}
    if motion.status not in ("closed", "final"):
        return outcome
    result = tally(session, motion)
    ratios = result["ratios_bp"]
    outcome.update(outcome="passed" if result["passed"] else "failed",
                   participation_bp={"area": ratios["participation_area"], "owners": ratios["participation_head"]})
    if motion.is_election:  # consent is per candidate: the outcome is who was elected
        outcome["elected"] = [e["name"] for e in result["elected"]]
    else:
        outcome["consent_bp"] = {"area": ratios["approval_area"], "owners": ratios["approval_head"]}
    return outcome


# --- evidence pack ---------------------------------------------------------------------

def evidence_pack(session: Session, actor: User, motion_id: int) -> bytes:
    """A zip of everything behind a result: the motion, the register (with the exact text
    whose hash was published), ballots, proxies with their letters, paper ballots with their
    scans, the audit-log slice and the announcements. Nothing is ever deleted, so it can be
    produced for as long as an owner may sue to revoke the decision (one year) and after."""
    import csv
    import io
    import zipfile

    from pm_platform.core.models import AuditEntry

    motion = get_motion(session, actor, motion_id, roles=TALLY_ROLES)
    if motion.status == "draft":
        raise Conflict("the motion has not opened; there is no evidence yet", "status")

    def table(header, rows) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
        return out.getvalue()

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
        pack.writestr("motion.json", json.dumps({
            "id": motion.id, "compound_id": motion.compound_id, "title": motion.title, "body": motion.body,
            "category": motion.category, "seats": motion.seats, "status": motion.status,
            "opens_at": str(motion.opens_at), "closes_at": str(motion.closes_at), "opened_at": str(motion.opened_at),
            "closed_at": str(motion.closed_at), "objection_ends_at": str(motion.objection_ends_at),
            "register_hash": motion.register_hash, "A": motion.total_area_cm2, "N": motion.total_owners,
            "rule": rules_of(motion).describe(motion.category), "candidates": [
                {"id": c.id, "owner_id": c.owner_id, "name": c.name} for c in motion.candidates],
            "result": json.loads(motion.result) if motion.result else None,
        }, ensure_ascii=False, indent=2))
        pack.writestr("register.txt", register_text(session, motion.id))
        pack.writestr("ballots.csv", table(
            ["receipt", "voter_no", "area_cm2", "choice", "candidates", "channel", "cast_at"],
            [(b.receipt, v.voter_no, v.area_cm2, b.choice or "", " ".join(str(c.candidate_id) for c in b.candidates),
              b.channel, b.cast_at) for b, v in session.execute(
                select(Ballot, RegisterVoter).join(RegisterVoter, RegisterVoter.id == Ballot.voter_id)
                .where(Ballot.motion_id == motion.id).order_by(RegisterVoter.voter_no))]))
        proxies = session.execute(select(Proxy, RegisterVoter.voter_no).join(RegisterVoter, RegisterVoter.id == Proxy.voter_id)
                                  .where(Proxy.motion_id == motion.id).order_by(Proxy.id)).all()
        pack.writestr("proxies.csv", table(["id", "voter_no", "holder_id", "status", "reviewed_by_id", "letter"],
                                           [(p.id, no, p.holder_id, p.status, p.reviewed_by_id or "",
                                             f"proxies/{p.id}-{safe_filename(p.letter_name)}") for p, no in proxies]))
        for proxy, _ in proxies:
            pack.writestr(f"proxies/{proxy.id}-{safe_filename(proxy.letter_name)}", proxy.letter)
        papers = session.execute(select(PaperBallot, RegisterVoter.voter_no)
                                 .join(RegisterVoter, RegisterVoter.id == PaperBallot.voter_id)
                                 .where(PaperBallot.motion_id == motion.id).order_by(PaperBallot.id)).all()
        pack.writestr("paper_ballots.csv", table(
            ["id", "voter_no", "choice", "status", "entered_by_id", "confirmed_by_id", "scan"],
            [(p.id, no, p.choice, p.status, p.entered_by_id, p.confirmed_by_id or "", f"paper/{p.id}-{safe_filename(p.scan_name)}")
             for p, no in papers]))
        for paper, _ in papers:
            pack.writestr(f"paper/{paper.id}-{safe_filename(paper.scan_name)}", paper.scan)
        entries = session.scalars(select(AuditEntry).where(AuditEntry.entity == "motion",
                                                           AuditEntry.entity_id == str(motion.id)).order_by(AuditEntry.id))
        pack.writestr("audit.jsonl", "".join(json.dumps(
            {"id": e.id, "created_at": str(e.created_at), "actor_id": e.actor_id, "action": e.action,
             "payload": json.loads(e.payload), "prev_hash": e.prev_hash, "hash": e.hash}, ensure_ascii=False) + "\n"
            for e in entries))
        pack.writestr("objections.csv", table(["id", "voter_id", "user_id", "created_at", "text"],
                                              [(o.id, o.voter_id, o.user_id, o.created_at, o.text)
                                               for o in objections(session, motion)]))
        for document in session.scalars(select(MotionDocument).where(MotionDocument.motion_id == motion.id)):
            pack.writestr(f"announcements/{document.kind}.pdf", document.content)
        for attachment in session.scalars(select(MotionAttachment).where(MotionAttachment.motion_id == motion.id)):
            pack.writestr(f"attachments/{attachment.id}-{safe_filename(attachment.filename)}", attachment.content)
    audit.record(session, actor, "motion.evidence_pack", "motion", motion.id, {})
    return buffer.getvalue()


# --- the committee's desk ----------------------------------------------------------------

def candidate_units(session: Session, compound_id: int) -> list[tuple[int, str, str]]:
    """The compound's units whose owner may stand for the committee (not the developer's), for a
    picker, as register_units gives them."""
    owned = (select(Ownership.unit_id).join(Owner, Owner.id == Ownership.owner_id)
             .where(Owner.owner_type != "developer"))
    return _picker(session.scalars(select(Unit).where(Unit.compound_id == compound_id, Unit.id.in_(owned))
                                   .options(joinedload(Unit.building))).all())


def candidates_by_unit(session: Session, compound_id: int, unit_ids: list[int]) -> list[int]:
    """Owner ids for candidates picked by their unit (the unit's named voter)."""
    owner_ids = []
    for unit_id in unit_ids:
        owner_id = session.scalar(
            select(Ownership.owner_id).join(Unit, Unit.id == Ownership.unit_id)
            .where(Unit.compound_id == compound_id, Unit.id == unit_id)
            .order_by(Ownership.is_voter.desc(), Ownership.owner_id).limit(1))
        if owner_id is None:
            unit = session.get(Unit, unit_id)
            raise ValidationError("{label}: no owner of such a unit in this compound", "candidates",
                                  label=unit.label if unit is not None and unit.compound_id == compound_id else unit_id)
        owner_ids.append(owner_id)
    return owner_ids


def register_units(session: Session, motion: Motion) -> list[tuple[int, str, str]]:
    """The units on a motion's frozen register for a picker, as (unit id, label, building), in natural
    order of building, entrance and room; labelled as the platform writes a unit (1栋1单元101)."""
    return _picker(session.scalars(select(Unit).join(RegisterUnit, RegisterUnit.unit_id == Unit.id)
                                   .where(RegisterUnit.motion_id == motion.id).options(joinedload(Unit.building))).all())


def _picker(units: list[Unit]) -> list[tuple[int, str, str]]:
    units = sorted(units, key=lambda u: (unit_key(u.building.name, u.entrance, u.room), u.id))
    return [(unit.id, unit.label, unit.building.name) for unit in units]


def desk(session: Session, motion: Motion) -> dict:
    """What the committee has to handle on a motion: proxies and paper ballots with their units."""
    def unit_label(voter_id: int) -> str:
        unit = session.scalar(select(Unit).join(RegisterUnit, RegisterUnit.unit_id == Unit.id)
                              .where(RegisterUnit.voter_id == voter_id).options(joinedload(Unit.building))
                              .order_by(Unit.id).limit(1))
        return unit.label if unit else ""

    proxies = session.scalars(select(Proxy).where(Proxy.motion_id == motion.id).order_by(Proxy.id)).all()
    papers = session.scalars(select(PaperBallot).where(PaperBallot.motion_id == motion.id)
                             .order_by(PaperBallot.status.desc(), PaperBallot.id.desc()).limit(200)).all()
    return {"proxies": [(p, unit_label(p.voter_id)) for p in proxies],
            "papers": [(p, unit_label(p.voter_id)) for p in papers]}
