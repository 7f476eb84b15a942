"""The owners' assembly: linking a login to its owner record, the meeting rules a compound adopts,
motions (draft, open) and the register frozen when a motion opens.
Functions validate, change, flush and return; the request or task commits.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from pm_platform.committees import rules as law
from pm_platform.committees.common import MAX_UPLOAD, _lock, _require_manager
from pm_platform.committees.models import (
    Candidate, MeetingRuleSet, Motion, MotionAttachment, Proxy, RegisterUnit, RegisterVoter,
)
from pm_platform.core import audit, clock
from pm_platform.core.errors import Conflict, NotFound, ValidationError
from pm_platform.core.models import User
from pm_platform.places import scope
from pm_platform.places.models import Owner, Ownership, RoleGrant, Unit
from pm_platform.places.service import grant_role, identity_hash


# --- accounts -------------------------------------------------------------------

def verify_ownership(session: Session, user: User, id_number: str, certificate_no: str) -> Owner:
    """Link a login to its owner record: the ID number and one of the owner's property
    certificate numbers must both match the register (compared as keyed hashes)."""
    if not (id_number or "").strip() or not (certificate_no or "").strip():
        raise ValidationError("give both the ID number and the property certificate number", "id_number")
    owner = session.scalar(select(Owner).where(Owner.id_number_hash == identity_hash(id_number)))
    matched = owner is not None and session.scalar(select(Ownership.id).where(
        Ownership.owner_id == owner.id, Ownership.certificate_hash == identity_hash(certificate_no)))
    if not matched:
        # one message for both cases: do not reveal whether an ID number is on the register
        raise ValidationError("no owner on the register matches this ID number and certificate number",
                              "certificate_no", code="no_match")
    if owner.user_id not in (None, user.id):
        raise Conflict("this owner record is already linked to another account; ask the committee", "id_number")
    linked = session.scalar(select(Owner.id).where(Owner.user_id == user.id, Owner.id != owner.id))
    if linked:
        raise Conflict("your account is already linked to another owner record", "id_number")
    owner.user_id = user.id
    compound_ids = set(session.scalars(select(Unit.compound_id).join(Ownership, Ownership.unit_id == Unit.id)
                                       .where(Ownership.owner_id == owner.id)))
    held = set(session.scalars(select(RoleGrant.scope_id).where(
        RoleGrant.user_id == user.id, RoleGrant.role == "owner", RoleGrant.scope_kind == "compound")))
    for compound_id in sorted(compound_ids - held):
        grant_role(session, user, "owner", "compound", compound_id)
    session.flush()
    audit.record(session, user, "owner.verify", "owner", owner.id, {"user_id": user.id})
    return owner


def owner_of(session: Session, user: User) -> Owner | None:
    return session.scalar(select(Owner).where(Owner.user_id == user.id))


# --- meeting rules ----------------------------------------------------------------

def rule_set_in_force(session: Session, compound_id: int) -> MeetingRuleSet | None:
    return session.scalar(select(MeetingRuleSet).where(MeetingRuleSet.compound_id == compound_id)
                          .order_by(MeetingRuleSet.version.desc()).limit(1))


def adopt_rule_set(session: Session, actor: User, compound_id: int, *, participation=(2, 3),
                   ordinary=(1, 2, True), special=(3, 4, False), nonvoter_clause: bool = False,
                   proxy_limit: int = 5, objection_days: int = 7) -> MeetingRuleSet:
    """A new version of the compound's meeting rules; thresholds looser than the law are refused."""
    _require_manager(session, actor, compound_id)
    try:
        parts = [participation, ordinary, special]
        if any(not all(isinstance(v, int) and not isinstance(v, bool) for v in part[:2]) or
               not all(isinstance(v, bool) for v in part[2:]) for part in parts):
            raise TypeError("write each threshold as [numerator, denominator] or [numerator, denominator, strict]")
        proposed = law.RuleSet(law.Threshold(*participation), law.Threshold(*ordinary), law.Threshold(*special),
                               nonvoter_clause)
    except (TypeError, ValueError) as exc:
        raise ValidationError("a threshold must be a fraction between 0 and 1: {reason}", "thresholds",
                              reason=exc) from exc
    if looser := proposed.looser_than_law():
        raise ValidationError("meeting rules may be stricter than Civil Code Art. 278, never looser: {thresholds}",
                              looser[0], thresholds=", ".join(looser))
    if proxy_limit < 1 or objection_days < 0:
        raise ValidationError("the proxy limit must be at least 1 and the objection period not negative", "proxy_limit")
    last = rule_set_in_force(session, compound_id)
    rule_set = MeetingRuleSet(
        compound_id=compound_id, version=(last.version + 1) if last else 1,
        participation_num=proposed.participation.num, participation_den=proposed.participation.den,
        ordinary_num=proposed.ordinary.num, ordinary_den=proposed.ordinary.den, ordinary_strict=proposed.ordinary.strict,
        special_num=proposed.special.num, special_den=proposed.special.den, special_strict=proposed.special.strict,
        nonvoter_clause=nonvoter_clause, proxy_limit=proxy_limit, objection_days=objection_days,
        created_by_id=actor.id)
    session.add(rule_set)
    session.flush()
    audit.record(session, actor, "rules.adopt", "meeting_rule_set", rule_set.id,
                 {"compound_id": compound_id, "version": rule_set.version, "rules": asdict(proposed)})
    return rule_set


def rule_set_history(session: Session, user: User, compound_id: int) -> list[MeetingRuleSet]:
    scope.get_compound(session, user, compound_id)
    return list(session.scalars(select(MeetingRuleSet).where(MeetingRuleSet.compound_id == compound_id)
                                .order_by(MeetingRuleSet.version)))


def rules_of(motion: Motion) -> law.RuleSet:
    return motion.rule_set.rules() if motion.rule_set else law.RuleSet()


# --- motions ------------------------------------------------------------------------

def get_motion(session: Session, user: User, motion_id: int, roles=scope.ALL_ROLES) -> Motion:
    motion = session.get(Motion, motion_id)
    if motion is None:
        raise NotFound("motion {motion_id} not found", motion_id=motion_id)
    try:
        scope.get_compound(session, user, motion.compound_id, roles)
    except NotFound:
        # a proxy holder may live elsewhere: the motion they were authorised for is theirs to see
        if roles != scope.ALL_ROLES or not session.scalar(select(Proxy.id).where(
                Proxy.motion_id == motion.id, Proxy.holder_id == user.id, Proxy.status != "rejected")):
            raise NotFound("motion {motion_id} not found", motion_id=motion_id) from None
    return motion


def list_motions(session: Session, user: User, compound_id: int) -> list[Motion]:
    scope.get_compound(session, user, compound_id)
    return list(session.scalars(select(Motion).where(Motion.compound_id == compound_id).order_by(Motion.id.desc())))


def create_motion(session: Session, actor: User, compound_id: int, *, title: str, body: str, category: str,
                  opens_at: dt.datetime, closes_at: dt.datetime, notice_on: dt.date | None = None,
                  seats: int | None = None, candidate_owner_ids: list[int] | None = None,
                  attachments: list[tuple[str, bytes]] = ()) -> Motion:
    _require_manager(session, actor, compound_id)
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ValidationError("the title must be 1–200 characters", "title")
    if category not in law.CATEGORIES:
        raise ValidationError("category must be one of {choices}", "category", choices=", ".join(law.CATEGORIES))
    opens_at, closes_at = clock.as_utc(opens_at), clock.as_utc(closes_at)
    if closes_at <= opens_at:
        raise ValidationError("the voting window must close after it opens", "closes_at")
    if closes_at <= clock.now_utc():
        raise ValidationError("the voting window has already ended", "closes_at")
    election = seats is not None or candidate_owner_ids
    if election:
        if category != "committee_election":
            raise ValidationError("seats and candidates belong to a committee election", "category")
        if seats is None or not (5 <= seats <= 11) or seats % 2 == 0:
            raise ValidationError("a committee has 5 to 11 seats, an odd number", "seats")
        if not candidate_owner_ids:
            raise ValidationError("name at least one candidate", "candidates")
    rule_set = rule_set_in_force(session, compound_id)
    motion = Motion(compound_id=compound_id, title=title, body=(body or "").strip(), category=category, seats=seats,
                    notice_on=notice_on, opens_at=opens_at, closes_at=closes_at, created_by_id=actor.id,
                    proxy_limit=rule_set.proxy_limit if rule_set else 5,
                    objection_days=rule_set.objection_days if rule_set else 7)
    session.add(motion)
    session.flush()
    for owner_id in dict.fromkeys(candidate_owner_ids or []):
        owner = session.scalar(select(Owner).join(Ownership).join(Unit, Unit.id == Ownership.unit_id)
                               .where(Owner.id == owner_id, Unit.compound_id == compound_id))
        if owner is None or owner.owner_type == "developer":
            raise ValidationError("candidate {owner_id} is not an owner in this compound", "candidates",
                                  owner_id=owner_id)
        session.add(Candidate(motion_id=motion.id, owner_id=owner.id, name=owner.name))
    for filename, content in attachments:
        if len(content) > MAX_UPLOAD:
            raise ValidationError("{filename}: attachments are limited to 10 MB", "attachments", filename=filename)
        session.add(MotionAttachment(motion_id=motion.id, filename=filename[:200], content=content))
    session.flush()
    audit.record(session, actor, "motion.create", "motion", motion.id,
                 {"title": title, "category": category, "opens_at": opens_at, "closes_at": closes_at, "seats": seats})
    return motion


def open_motion(session: Session, actor: User, motion_id: int) -> Motion:
    """Open a motion for voting and freeze the owner register it counts."""
    motion = get_motion(session, actor, motion_id)
    _require_manager(session, actor, motion.compound_id)
    motion = _lock(session, Motion, motion_id)
    if motion.status != "draft":
        raise Conflict("the motion is already {status}", "status", status=motion.status)
    if clock.as_utc(motion.closes_at) <= clock.now_utc():
        raise Conflict("the voting window has already ended", "closes_at")
    rule_set = rule_set_in_force(session, motion.compound_id)
    motion.rule_set_id = rule_set.id if rule_set else None
    totals = freeze_register(session, motion)
    motion.total_area_cm2, motion.total_owners, motion.register_hash = totals
    if motion.total_owners == 0:
        raise Conflict("the compound has no units on its register", "register")
    motion.status, motion.opened_at = "open", clock.now_utc()
    session.flush()
    audit.record(session, actor, "motion.open", "motion", motion.id,
                 {"register_hash": motion.register_hash, "A": motion.total_area_cm2, "N": motion.total_owners,
                  "rule_set_id": motion.rule_set_id})
    return motion


def freeze_register(session: Session, motion: Motion) -> tuple[int, int, str]:
    """Copy the compound's units, areas and voters into the motion's register.

    Headcount (Art. 278 with the 2009 interpretation, Art. 9): each unit's named voter counts
    once however many units they own, with the sum of the areas; every unit of the developer
    (or with no owner on the roster, i.e. unsold) counts together as one person. Co-owners
    are represented by the ownership flagged as voter, else by the lowest owner id."""
    rows = session.execute(
        select(Unit.id, Unit.area_cm2, Ownership.owner_id, Owner.owner_type)
        .select_from(Unit).outerjoin(Ownership, Ownership.unit_id == Unit.id)
        .outerjoin(Owner, Owner.id == Ownership.owner_id)
        .where(Unit.compound_id == motion.compound_id)
        .order_by(Unit.id, Ownership.is_voter.desc(), Ownership.owner_id)
    ).all()
    units: dict[int, tuple[int, int | None, str | None]] = {}
    for unit_id, area, owner_id, owner_type in rows:
        units.setdefault(unit_id, (area, owner_id, owner_type))
    voters: dict[object, dict] = {}  # key: owner id, or "developer"
    for unit_id, (area, owner_id, owner_type) in units.items():
        developer = owner_id is None or owner_type == "developer"
        voter = voters.setdefault("developer" if developer else owner_id, {
            "owner_id": owner_id, "is_developer": developer, "area_cm2": 0, "unit_count": 0})
        if voter["owner_id"] is None:
            voter["owner_id"] = owner_id  # the pool is represented by the first developer owner row
        voter["area_cm2"] += area
        voter["unit_count"] += 1
    ordered = sorted(voters.items(), key=lambda kv: (kv[0] != "developer", kv[1]["owner_id"] or 0))
    voter_rows = [{"motion_id": motion.id, "voter_no": n, **v} for n, (_, v) in enumerate(ordered, 1)]
    if voter_rows:
        session.execute(RegisterVoter.__table__.insert(), voter_rows)  # Core: no ORM bookkeeping for 20k rows
    ids = dict(session.execute(select(RegisterVoter.voter_no, RegisterVoter.id)
                               .where(RegisterVoter.motion_id == motion.id)).all())
    number_of = {key: n for n, (key, _) in enumerate(ordered, 1)}
    unit_rows = []
    for unit_id, (area, owner_id, owner_type) in units.items():
        key = "developer" if owner_id is None or owner_type == "developer" else owner_id
        unit_rows.append({"motion_id": motion.id, "unit_id": unit_id, "voter_id": ids[number_of[key]],
                          "owner_id": owner_id, "area_cm2": area})
    if unit_rows:
        session.execute(RegisterUnit.__table__.insert(), unit_rows)
    total_area = sum(v["area_cm2"] for v in voter_rows)
    return total_area, len(voter_rows), hashlib.sha256(register_text(session, motion.id).encode()).hexdigest()


def register_text(session: Session, motion_id: int) -> str:
    """The canonical text of a frozen register; its SHA-256 is the published register hash.
    Lines: `V|voter no|owner id|developer 0/1|area|units` then `U|unit id|area|voter no`."""
    lines = [f"motion|{motion_id}"]
    for no, owner_id, developer, area, count in session.execute(
            select(RegisterVoter.voter_no, RegisterVoter.owner_id, RegisterVoter.is_developer,
                   RegisterVoter.area_cm2, RegisterVoter.unit_count)
            .where(RegisterVoter.motion_id == motion_id).order_by(RegisterVoter.voter_no)):
        lines.append(f"V|{no}|{owner_id or ''}|{int(developer)}|{area}|{count}")
    for unit_id, area, no in session.execute(
            select(RegisterUnit.unit_id, RegisterUnit.area_cm2, RegisterVoter.voter_no)
            .join(RegisterVoter, RegisterVoter.id == RegisterUnit.voter_id)
            .where(RegisterUnit.motion_id == motion_id).order_by(RegisterUnit.unit_id)):
        lines.append(f"U|{unit_id}|{area}|{no}")
    return "\n".join(lines) + "\n"
