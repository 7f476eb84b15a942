"""The owners' assembly: verification, meeting rules, motions, the frozen register,
ballots, proxies, paper ballots, the tally, closing and the final announcement."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import asdict

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from pm_platform.committees import rules as law
from pm_platform.committees.models import (
    CHANNEL_RANK, CHOICES, Ballot, BallotCandidate, Candidate, CommitteeMember, CommitteeTerm,
    MeetingRuleSet, Motion, MotionAttachment, MotionDocument, Objection, PaperBallot, Proxy, RegisterUnit,
    RegisterVoter,
)
from pm_platform.core import audit, clock
from pm_platform.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from pm_platform.core.files import safe_filename
from pm_platform.core.models import User
from pm_platform.core.money import div_round_half_up
from pm_platform.core.naturalsort import unit_key
from pm_platform.places import scope
from pm_platform.places.models import Owner, Ownership, RoleGrant, Unit
from pm_platform.places.service import grant_role, identity_hash

# The committee and the offices above it follow the count live; firms never do.
TALLY_ROLES = scope.OFFICE_ROLES | {"committee"}
TERM_YEARS = 5                       # 业主委员会每届任期不超过五年
TERM_REMINDER_MONTHS = 3
MAX_UPLOAD = 10 * 1024 * 1024


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


# --- who manages ------------------------------------------------------------------

def _has_committee(session: Session, compound_id: int) -> bool:
    return bool(session.scalar(select(RoleGrant.id).where(
        RoleGrant.role == "committee", RoleGrant.scope_kind == "compound", RoleGrant.scope_id == compound_id)))


def can_manage(session: Session, user: User, compound_id: int) -> bool:
    """The committee runs the assembly; the community office does where there is no committee."""
    held = scope.roles_on(session, user, compound_id)
    if held & {"committee", "admin"}:
        return True
    return bool(held & {"community"}) and not _has_committee(session, compound_id)


def _require_manager(session: Session, user: User, compound_id: int) -> None:
    scope.get_compound(session, user, compound_id)
    if not can_manage(session, user, compound_id):
        raise PermissionDenied("only the owners' committee (or the community office where there is none) may do this")


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


def _lock(session: Session, model, row_id: int, read: bool = False):
    return session.scalar(select(model).where(model.id == row_id).with_for_update(read=read)
                          .execution_options(populate_existing=True))


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


# --- ballots ------------------------------------------------------------------------

def _window_open(motion: Motion) -> None:
    now = clock.now_utc()
    if motion.status == "draft" or now < clock.as_utc(motion.opens_at):
        raise Conflict("voting on this motion has not opened yet", "motion")
    if motion.status != "open" or now >= clock.as_utc(motion.closes_at):
        raise Conflict("voting on this motion has closed", "motion")


def voter_for(session: Session, motion: Motion, owner: Owner) -> RegisterVoter | None:
    return session.scalar(select(RegisterVoter).join(RegisterUnit, RegisterUnit.voter_id == RegisterVoter.id)
                          .where(RegisterUnit.motion_id == motion.id, RegisterUnit.owner_id == owner.id).limit(1))


def _new_receipt() -> str:
    raw = secrets.token_hex(6).upper()
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _check_choice(session: Session, motion: Motion, choice: str | None, candidate_ids) -> list[int]:
    if motion.is_election:
        if choice is not None or candidate_ids is None:
            raise ValidationError("this is an election: send the list of candidates you approve", "candidates")
        chosen = list(dict.fromkeys(candidate_ids))
        valid = {c.id for c in motion.candidates}
        if unknown := [c for c in chosen if c not in valid]:
            raise ValidationError("no such candidate on this motion: {candidate}", "candidates", candidate=unknown[0])
        if len(chosen) > motion.seats:
            raise ValidationError("approve at most {seats} candidates", "candidates", seats=motion.seats)
        return chosen
    if candidate_ids is not None or choice not in CHOICES:
        raise ValidationError("choice must be one of agree, disagree, abstain", "choice")
    return []


def cast_ballot(session: Session, actor: User, motion_id: int, *, choice: str | None = None,
                candidates: list[int] | None = None, proxy_id: int | None = None) -> Ballot:
    """An owner's online ballot (or their accepted proxy's). Voting again while the window
    is open replaces the ballot and issues a new receipt; every change is audited."""
    motion = get_motion(session, actor, motion_id, roles=scope.ALL_ROLES)
    _window_open(motion)
    if proxy_id is None:
        owner = owner_of(session, actor)
        if owner is None:
            raise PermissionDenied("verify your account as an owner (ID number and property certificate) before voting")
        voter = voter_for(session, motion, owner)
        if voter is None:
            raise PermissionDenied("you are not a voter on this motion's register (co-owners vote through their named voter)")
        channel = "online"
    else:
        proxy = session.get(Proxy, proxy_id)
        if proxy is None or proxy.motion_id != motion.id or proxy.holder_id != actor.id:
            raise NotFound("proxy {proxy_id} not found", "proxy_id", proxy_id=proxy_id)
        if proxy.status != "accepted":
            raise PermissionDenied("this proxy has not been accepted by the committee", "proxy_id")
        voter, channel = session.get(RegisterVoter, proxy.voter_id), "proxy"
    chosen = _check_choice(session, motion, choice, candidates)
    # FOR SHARE on the motion (closing waits for ballots in flight), FOR UPDATE on the voter
    # (one voter's ballots queue up, so concurrent ballots leave exactly one row).
    motion = _lock(session, Motion, motion.id, read=True)
    _window_open(motion)
    _lock(session, RegisterVoter, voter.id)
    return _put_ballot(session, actor, motion, voter, channel, choice, chosen)


def _put_ballot(session: Session, actor: User | None, motion: Motion, voter: RegisterVoter, channel: str,
                choice: str | None, chosen: list[int]) -> Ballot:
    ballot = session.scalar(select(Ballot).where(Ballot.motion_id == motion.id, Ballot.voter_id == voter.id)
                            .execution_options(populate_existing=True))
    if ballot is not None and CHANNEL_RANK[ballot.channel] > CHANNEL_RANK[channel]:
        if channel == "proxy":
            raise Conflict("the owner has voted online themselves; their own ballot counts", "voter")
        raise Conflict("this owner has voted online; the online ballot counts", "voter")
    previous = None if ballot is None else {"receipt": ballot.receipt, "choice": ballot.choice,
                                            "channel": ballot.channel,
                                            "candidates": sorted(c.candidate_id for c in ballot.candidates)}
    now = clock.now_utc()
    if ballot is None:
        ballot = Ballot(motion_id=motion.id, voter_id=voter.id)
        try:
            with session.begin_nested():  # SQLite has no row locks: a racing insert lands here
                _fill(ballot, actor, channel, choice, chosen, now)
                session.add(ballot)
        except IntegrityError:
            return _put_ballot(session, actor, motion, voter, channel, choice, chosen)
    else:
        _fill(ballot, actor, channel, choice, chosen, now)
    session.flush()
    audit.record(session, actor, "ballot.replace" if previous else "ballot.cast", "motion", motion.id,
                 {"voter_no": voter.voter_no, "channel": channel, "choice": choice, "candidates": chosen,
                  "receipt": ballot.receipt, "replaced": previous})
    return ballot


def _fill(ballot: Ballot, actor, channel, choice, chosen, now) -> None:
    ballot.channel, ballot.choice, ballot.receipt = channel, choice, _new_receipt()
    ballot.cast_by_id, ballot.cast_at = (actor.id if actor else None), now
    ballot.candidates = [BallotCandidate(candidate_id=c) for c in chosen]


def my_ballot(session: Session, user: User, motion: Motion) -> Ballot | None:
    owner = owner_of(session, user)
    voter = voter_for(session, motion, owner) if owner and motion.status != "draft" else None
    if voter is None:
        return None
    return session.scalar(select(Ballot).where(Ballot.motion_id == motion.id, Ballot.voter_id == voter.id))


def votes_waiting(session: Session, user: User) -> list[dict]:
    """Open motions in the owner's compounds on whose register they stand, with whether they
    have voted yet (for the owner's start page), closing soonest first."""
    owner = owner_of(session, user)
    if owner is None:
        return []
    motions = session.scalars(select(Motion).where(
        Motion.status == "open", Motion.compound_id.in_(scope.compound_ids(session, user, {"owner"})))
        .order_by(Motion.closes_at, Motion.id)).all()
    waiting = []
    for motion in motions:
        voter = voter_for(session, motion, owner)
        if voter is not None:
            voted = session.scalar(select(Ballot.id).where(Ballot.motion_id == motion.id, Ballot.voter_id == voter.id))
            waiting.append({"id": motion.id, "title": motion.title, "opens_at": motion.opens_at,
                            "closes_at": motion.closes_at, "has_voted": voted is not None})
    return waiting


def committee_queue(session: Session, user: User) -> list[dict]:
    """Draft and open motions of the compounds the user runs the assembly for, each with the
    proxies and paper ballots still waiting for review (for the committee's start page)."""
    compounds = [cid for cid in session.scalars(scope.compound_ids(session, user, {"committee", "community", "admin"}))
                 if can_manage(session, user, cid)]
    motions = session.scalars(select(Motion).where(Motion.compound_id.in_(compounds),
                                                   Motion.status.in_(("draft", "open")))
                              .order_by(Motion.status.desc(), Motion.closes_at, Motion.id).limit(100)).all()
    pending = lambda model: dict(session.execute(  # noqa: E731
        select(model.motion_id, func.count()).where(model.motion_id.in_([m.id for m in motions]),
                                                     model.status == "pending").group_by(model.motion_id)).all())
    proxies, papers = pending(Proxy), pending(PaperBallot)
    return [{"id": m.id, "title": m.title, "status": m.status, "compound_id": m.compound_id,
             "opens_at": m.opens_at, "closes_at": m.closes_at,
             "pending_proxies": proxies.get(m.id, 0), "pending_papers": papers.get(m.id, 0)} for m in motions]


# --- proxies ------------------------------------------------------------------------

def submit_proxy(session: Session, actor: User, motion_id: int, holder_username: str, letter_name: str,
                 letter: bytes) -> Proxy:
    """An owner authorises another person (by their account name) for one motion."""
    motion = get_motion(session, actor, motion_id)
    owner = owner_of(session, actor)
    voter = voter_for(session, motion, owner) if owner else None
    if voter is None:
        raise PermissionDenied("only a voter on this motion's register may appoint a proxy")
    _window_open(motion)
    if not letter:
        raise ValidationError("attach the signed authorisation letter", "letter")
    if len(letter) > MAX_UPLOAD:
        raise ValidationError("the letter is limited to 10 MB", "letter")
    holder = session.scalar(select(User).where(User.username == (holder_username or "").strip()))
    if holder is None:
        raise ValidationError("no account with that user name", "holder")   # a mistyped name: said beside it
    if holder.id == actor.id:
        raise ValidationError("you cannot appoint yourself", "holder")
    _check_proxy_limit(session, motion, holder.id)
    proxy = session.scalar(select(Proxy).where(Proxy.motion_id == motion.id, Proxy.voter_id == voter.id))
    if proxy is not None and proxy.status != "rejected":
        raise Conflict("you have already appointed a proxy for this motion", "holder")
    if proxy is None:
        proxy = Proxy(motion_id=motion.id, voter_id=voter.id)
        session.add(proxy)
    proxy.holder_id, proxy.letter_name, proxy.letter = holder.id, letter_name[:200], letter
    proxy.status, proxy.reviewed_by_id, proxy.reviewed_at = "pending", None, None
    session.flush()
    audit.record(session, actor, "proxy.submit", "motion", motion.id,
                 {"proxy_id": proxy.id, "voter_no": voter.voter_no, "holder_id": holder.id,
                  "letter_sha256": hashlib.sha256(letter).hexdigest()})
    return proxy


def _check_proxy_limit(session: Session, motion: Motion, holder_id: int) -> None:
    held = session.scalar(select(func.count()).select_from(Proxy).where(
        Proxy.motion_id == motion.id, Proxy.holder_id == holder_id, Proxy.status != "rejected"))
    if held >= motion.proxy_limit:
        raise Conflict("this person already holds {held} proxies for this motion; the limit is {limit}",
                       "holder", held=held, limit=motion.proxy_limit)


def review_proxy(session: Session, actor: User, proxy_id: int, accept: bool) -> Proxy:
    proxy = session.get(Proxy, proxy_id)
    if proxy is None:
        raise NotFound("proxy {proxy_id} not found", proxy_id=proxy_id)
    motion = get_motion(session, actor, proxy.motion_id)
    _require_manager(session, actor, motion.compound_id)
    if proxy.status != "pending":
        raise Conflict("this proxy was already {status}", "status", status=proxy.status)
    proxy.status = "accepted" if accept else "rejected"
    proxy.reviewed_by_id, proxy.reviewed_at = actor.id, clock.now_utc()
    session.flush()
    audit.record(session, actor, "proxy.accept" if accept else "proxy.reject", "motion", motion.id,
                 {"proxy_id": proxy.id, "status": proxy.status})
    return proxy


def proxies_held(session: Session, user: User, motion: Motion) -> list[tuple[Proxy, RegisterVoter]]:
    return list(session.execute(select(Proxy, RegisterVoter).join(RegisterVoter, RegisterVoter.id == Proxy.voter_id)
                                .where(Proxy.motion_id == motion.id, Proxy.holder_id == user.id)))


# --- paper ballots --------------------------------------------------------------------

def enter_paper_ballot(session: Session, actor: User, motion_id: int, unit_id: int, choice: str,
                       scan_name: str, scan: bytes) -> PaperBallot:
    """A committee member types in a paper ballot (identified by a unit of the voter) with its scan."""
    motion = get_motion(session, actor, motion_id)
    _require_manager(session, actor, motion.compound_id)
    _window_open(motion)
    if motion.is_election:
        raise ValidationError("paper ballots for elections are counted by hand; enter them online per candidate", "motion")
    if choice not in CHOICES:
        raise ValidationError("choice must be one of agree, disagree, abstain", "choice")
    if not scan:
        raise ValidationError("attach the scan of the paper ballot", "scan")
    if len(scan) > MAX_UPLOAD:
        raise ValidationError("the scan is limited to 10 MB", "scan")
    voter_id = session.scalar(select(RegisterUnit.voter_id).where(RegisterUnit.motion_id == motion.id,
                                                                   RegisterUnit.unit_id == unit_id))
    if voter_id is None:
        raise NotFound("that unit is not on this motion's register", "unit_id")
    if session.scalar(select(PaperBallot.id).where(PaperBallot.motion_id == motion.id, PaperBallot.voter_id == voter_id)):
        raise Conflict("a paper ballot for this owner has already been entered", "unit_id")
    paper = PaperBallot(motion_id=motion.id, voter_id=voter_id, choice=choice, scan_name=scan_name[:200],
                        scan=scan, entered_by_id=actor.id)
    session.add(paper)
    session.flush()
    audit.record(session, actor, "paper.enter", "motion", motion.id,
                 {"paper_id": paper.id, "voter_id": voter_id, "choice": choice,
                  "scan_sha256": hashlib.sha256(scan).hexdigest()})
    return paper


def confirm_paper_ballot(session: Session, actor: User, paper_id: int) -> tuple[PaperBallot, Ballot | None]:
    """A second member confirms; the ballot then counts unless the owner voted online
    (returns the counted ballot, or None when an online ballot wins)."""
    paper = session.get(PaperBallot, paper_id)
    if paper is None:
        raise NotFound("paper ballot {paper_id} not found", paper_id=paper_id)
    motion = get_motion(session, actor, paper.motion_id)
    _require_manager(session, actor, motion.compound_id)
    if paper.status != "pending":
        raise Conflict("this paper ballot is already confirmed", "status")
    if paper.entered_by_id == actor.id:
        raise PermissionDenied("a second committee member must confirm what you entered")
    motion = _lock(session, Motion, motion.id, read=True)
    _window_open(motion)
    voter = _lock(session, RegisterVoter, paper.voter_id)
    paper.status, paper.confirmed_by_id, paper.confirmed_at = "confirmed", actor.id, clock.now_utc()
    session.flush()
    audit.record(session, actor, "paper.confirm", "motion", motion.id, {"paper_id": paper.id})
    existing = session.scalar(select(Ballot.channel).where(Ballot.motion_id == motion.id, Ballot.voter_id == voter.id))
    if existing is not None and CHANNEL_RANK[existing] > CHANNEL_RANK["paper"]:
        return paper, None
    return paper, _put_ballot(session, actor, motion, voter, "paper", paper.choice, [])


# --- the tally ------------------------------------------------------------------------

def tally(session: Session, motion: Motion) -> dict:
    """The count and what it decides: one grouped aggregate over the ballots, then Art. 278.

    Totals A, N are the frozen register's; ratios are shown in basis points for people, but
    every decision is made by `rules` on the integers."""
    if motion.status == "draft":
        raise Conflict("the motion has not opened; there is nothing to count", "status")
    if motion.status in ("closed", "final") and motion.result:
        return json.loads(motion.result)
    return compute_tally(session, motion)


def compute_tally(session: Session, motion: Motion) -> dict:
    rows = session.execute(
        select(Ballot.channel, Ballot.choice, func.count(), func.sum(RegisterVoter.area_cm2))
        .join(RegisterVoter, RegisterVoter.id == Ballot.voter_id)
        .where(Ballot.motion_id == motion.id).group_by(Ballot.channel, Ballot.choice)
    ).all()
    by_choice: dict[str | None, list[int]] = {}
    subtotals: dict[str, dict] = {}
    for channel, choice, heads, area in rows:
        area = int(area or 0)
        total = by_choice.setdefault(choice, [0, 0])
        total[0] += area
        total[1] += heads
        sub = subtotals.setdefault(channel, {"A_P": 0, "N_P": 0})
        sub["A_P"] += area
        sub["N_P"] += heads
        if choice:
            sub[f"A_{choice}"], sub[f"N_{choice}"] = area, heads
    A_P = sum(v[0] for v in by_choice.values())
    N_P = sum(v[1] for v in by_choice.values())
    agree, disagree = by_choice.get("agree", [0, 0]), by_choice.get("disagree", [0, 0])
    counts = law.Counts(A=motion.total_area_cm2, N=motion.total_owners, A_P=A_P, N_P=N_P,
                        A_yes=agree[0], N_yes=agree[1], A_no=disagree[0], N_no=disagree[1])
    rule_set = rules_of(motion)
    result = {"motion_id": motion.id, "status": motion.status, "register_hash": motion.register_hash,
              "rule": rule_set.describe(motion.category),
              "thresholds": {"participation": rule_set.participation.describe(),
                             "approval": rule_set.approval_for(motion.category).describe()},
              "rule_set_version": motion.rule_set.version if motion.rule_set else None,
              "subtotals": subtotals, "A_abstain": by_choice.get("abstain", [0, 0])[0],
              "N_abstain": by_choice.get("abstain", [0, 0])[1]}
    if motion.is_election:
        result.update(_election_result(session, motion, rule_set, counts))
    else:
        result.update(_decision_dict(law.decide(rule_set, motion.category, counts)))
        result["with_nonvoters"] = None
        if rule_set.nonvoter_clause:
            flagged = _decision_dict(law.decide(rule_set, motion.category, law.with_nonvoters(counts)))
            result["with_nonvoters"] = {**flagged, "flagged": True,
                                        "note": "non-voters added to the majority side under the meeting rules' clause"}
    return result


def _ratio_bp(part: int, whole: int) -> int | None:
    return div_round_half_up(part * 10000, whole) if whole else None


def _decision_dict(decision: law.Decision) -> dict:
    c = decision.counts
    return {"A": c.A, "N": c.N, "A_P": c.A_P, "N_P": c.N_P, "A_yes": c.A_yes, "N_yes": c.N_yes,
            "A_no": c.A_no, "N_no": c.N_no,
            "participation_area_met": decision.participation_area_met,
            "participation_head_met": decision.participation_head_met,
            "approval_area_met": decision.approval_area_met, "approval_head_met": decision.approval_head_met,
            "participation_met": decision.participation_met, "approval_met": decision.approval_met,
            "passed": decision.passed,
            "ratios_bp": {"participation_area": _ratio_bp(c.A_P, c.A), "participation_head": _ratio_bp(c.N_P, c.N),
                          "approval_area": _ratio_bp(c.A_yes, c.A_P), "approval_head": _ratio_bp(c.N_yes, c.N_P)}}


def _election_result(session: Session, motion: Motion, rule_set: law.RuleSet, counts: law.Counts) -> dict:
    per_candidate = {cid: (int(area or 0), heads) for cid, heads, area in session.execute(
        select(BallotCandidate.candidate_id, func.count(), func.sum(RegisterVoter.area_cm2))
        .join(Ballot, Ballot.id == BallotCandidate.ballot_id)
        .join(RegisterVoter, RegisterVoter.id == Ballot.voter_id)
        .where(Ballot.motion_id == motion.id).group_by(BallotCandidate.candidate_id))}
    field = [law.Candidate(c.id, *per_candidate.get(c.id, (0, 0))) for c in motion.candidates]
    elected, unfilled = law.elect(rule_set, motion.seats, counts, field)
    base = _decision_dict(law.decide(rule_set, motion.category, counts))
    base.update(A_yes=None, N_yes=None, approval_met=unfilled == 0, passed=base["participation_met"] and bool(elected))
    names = {c.id: c.name for c in motion.candidates}
    base["candidates"] = sorted(
        ({"id": c.key, "name": names[c.key], "A_yes": c.A_yes, "N_yes": c.N_yes, "elected": c.key in elected,
          "approval_bp": {"area": _ratio_bp(c.A_yes, counts.A_P), "head": _ratio_bp(c.N_yes, counts.N_P)}}
         for c in field), key=lambda r: (-r["A_yes"], -r["N_yes"], r["id"]))
    base["elected"] = [{"id": cid, "name": names[cid]} for cid in elected]
    base["seats"], base["unfilled_seats"], base["with_nonvoters"] = motion.seats, unfilled, None
    return base


RECEIPT_BAND_VOTERS = 10  # each area band on the public receipt list holds at least this many voters


def area_bands(areas_cm2: list[int], minimum: int = RECEIPT_BAND_VOTERS) -> list[tuple[int, int]]:
    """The register's areas cut into bands of at least `minimum` voters, as (lowest, highest).
    Equal areas are never split, and a short tail joins the band before it. In the demo 735 of
    848 units had an area of their own, so a ballot listed with its exact area named its unit;
    listed with its band it could be any of at least `minimum` voters' ballot.

        >>> area_bands([5000, 6000, 6000, 7000, 9000], minimum=2)
        [(5000, 6000), (7000, 9000)]
    """
    ordered = sorted(areas_cm2)
    bands: list[list[int]] = []
    for area in ordered:
        if bands and (len(bands[-1]) < minimum or area == bands[-1][-1]):
            bands[-1].append(area)
        else:
            bands.append([area])
    if len(bands) > 1 and len(bands[-1]) < minimum:
        bands[-2].extend(bands.pop())
    return [(band[0], band[-1]) for band in bands]


def receipts(session: Session, motion: Motion) -> list[dict]:
    """Every counted ballot by receipt code, with its area band and choice (no names, no units,
    no exact area: see area_bands). While voting is open the choices stay hidden so no running
    count leaks out. Anyone can re-count heads and bound the areas by the bands; the exact areas
    are re-added from the frozen register (its hash is published) in the evidence pack."""
    if motion.status == "draft":
        return []
    reveal = motion.status in ("closed", "final")
    bands = area_bands(list(session.scalars(select(RegisterVoter.area_cm2).where(RegisterVoter.motion_id == motion.id))))

    def band_of(area: int) -> list[int]:
        return next([low, high] for low, high in bands if low <= area <= high)

    rows = session.execute(
        select(Ballot.receipt, RegisterVoter.area_cm2, Ballot.choice, Ballot.id)
        .join(RegisterVoter, RegisterVoter.id == Ballot.voter_id)
        .where(Ballot.motion_id == motion.id).order_by(Ballot.receipt)).all()
    chosen: dict[int, list[int]] = {}
    if reveal and motion.is_election:
        for ballot_id, candidate_id in session.execute(
                select(BallotCandidate.ballot_id, BallotCandidate.candidate_id)
                .join(Ballot, Ballot.id == BallotCandidate.ballot_id).where(Ballot.motion_id == motion.id)):
            chosen.setdefault(ballot_id, []).append(candidate_id)
    return [{"receipt": receipt, "area_band_cm2": band_of(area),
             "choice": choice if reveal else None,
             "candidates": sorted(chosen.get(ballot_id, [])) if reveal and motion.is_election else None}
            for receipt, area, choice, ballot_id in rows]


def public_motion(session: Session, motion_id: int) -> Motion:
    """A motion as the public tally page shows it: any motion that has opened."""
    motion = session.get(Motion, motion_id)
    if motion is None or motion.status == "draft":
        raise NotFound("motion {motion_id} not found", motion_id=motion_id)
    return motion


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
