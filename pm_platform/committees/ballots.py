"""The owners' assembly: ballots cast online, proxies (submitted and reviewed) and paper ballots
(entered and confirmed), and what an owner or the committee has waiting.
Functions validate, change, flush and return; the request or task commits.
"""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pm_platform.committees.common import MAX_UPLOAD, _lock, _require_manager, can_manage
from pm_platform.committees.models import (
    CHANNEL_RANK, CHOICES, Ballot, BallotCandidate, Motion, PaperBallot, Proxy, RegisterUnit, RegisterVoter,
)
from pm_platform.committees.motions import get_motion, owner_of
from pm_platform.core import audit, clock
from pm_platform.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from pm_platform.core.models import User
from pm_platform.places import scope
from pm_platform.places.models import Owner


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
