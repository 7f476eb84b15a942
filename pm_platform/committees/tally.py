"""The owners' assembly: the tally of a motion, election results, the public receipt list by
area band, and the public view of a motion.
"""
from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pm_platform.committees import rules as law
from pm_platform.committees.models import Ballot, BallotCandidate, Motion, RegisterVoter
from pm_platform.committees.motions import rules_of
from pm_platform.core.errors import Conflict, NotFound
from pm_platform.core.money import div_round_half_up


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
