"""Motions, the frozen register, ballots, receipts, closing and the final result, through the service."""
import datetime as dt
import hashlib
import json

import pytest
from sqlalchemy import select

from pm_platform.committees import service
from pm_platform.committees.models import Ballot, MotionDocument, RegisterVoter
from pm_platform.core import audit
from pm_platform.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from pm_platform.core.models import AuditEntry
from tests import factories


def voters(session, motion):
    rows = session.scalars(select(RegisterVoter).where(RegisterVoter.motion_id == motion.id)).all()
    return {(v.owner_id, v.is_developer): (v.area_cm2, v.unit_count) for v in rows}


def test_opening_freezes_the_register_with_the_headcount_rules(session, assembly):
    motion = assembly.opened(session)
    o = assembly.owners
    assert (motion.total_area_cm2, motion.total_owners) == (43000, 4)
    assert voters(session, motion) == {
        (o["developer"].id, True): (14000, 3),   # its two units and the unsold one: one person
        (o["alice"].id, False): (15000, 2),      # two units: one person, summed area
        (o["bob"].id, False): (8000, 1),         # co-owned with Dan: Bob is the named voter
        (o["carol"].id, False): (6000, 1),
    }
    assert motion.register_hash == hashlib.sha256(service.register_text(session, motion.id).encode()).hexdigest()


def test_the_register_stays_frozen_when_the_roster_changes(session, assembly):
    motion = assembly.opened(session)
    before = motion.register_hash
    newcomer = factories.owner(session, factories.unit(session, assembly.compound, room="601", area_cm2=9000))
    session.commit()
    assert motion.total_owners == 4
    assert hashlib.sha256(service.register_text(session, motion.id).encode()).hexdigest() == before
    later = assembly.opened(session)
    assert later.total_owners == 5 and later.register_hash != before
    assert newcomer.id in {v.owner_id for v in session.scalars(select(RegisterVoter).where(RegisterVoter.motion_id == later.id))}


def test_voting_again_replaces_the_ballot_with_a_new_receipt_and_audits_both(session, assembly):
    motion = assembly.opened(session)
    first = service.cast_ballot(session, assembly.users["alice"], motion.id, choice="agree")
    first_receipt = first.receipt
    second = service.cast_ballot(session, assembly.users["alice"], motion.id, choice="disagree")
    session.commit()
    rows = session.scalars(select(Ballot).where(Ballot.motion_id == motion.id)).all()
    assert len(rows) == 1 and rows[0].choice == "disagree" and second.receipt != first_receipt
    listed = {r["receipt"] for r in service.receipts(session, motion)}
    assert listed == {second.receipt}
    trail = session.scalars(select(AuditEntry).where(AuditEntry.entity == "motion", AuditEntry.entity_id == str(motion.id),
                                                     AuditEntry.action.like("ballot.%")).order_by(AuditEntry.id)).all()
    assert [e.action for e in trail] == ["ballot.cast", "ballot.replace"]
    assert json.loads(trail[1].payload)["replaced"]["receipt"] == first_receipt
    assert audit.verify_chain(session).ok


def test_refused_ballots(session, assembly, world, travel):
    motion = assembly.motion(session)
    session.commit()
    with pytest.raises(Conflict, match="not opened"):
        service.cast_ballot(session, assembly.users["alice"], motion.id, choice="agree")
    service.open_motion(session, assembly.committee, motion.id)
    with pytest.raises(ValidationError, match="choice"):
        service.cast_ballot(session, assembly.users["alice"], motion.id, choice="maybe")
    with pytest.raises(PermissionDenied, match="named voter"):   # Dan co-owns Bob's unit
        service.cast_ballot(session, assembly.users["dan"], motion.id, choice="agree")
    unverified = factories.user(session, "owner", "compound", assembly.compound.id)
    with pytest.raises(PermissionDenied, match="verify your account"):
        service.cast_ballot(session, unverified, motion.id, choice="agree")
    with pytest.raises(PermissionDenied):     # the committee member is not an owner here
        service.cast_ballot(session, assembly.committee, motion.id, choice="agree")
    other = world.user(session, "owner", index=1)   # an owner of another compound cannot even see it
    with pytest.raises(NotFound):
        service.cast_ballot(session, other, motion.id, choice="agree")
    travel(dt.timedelta(days=4))
    with pytest.raises(Conflict, match="closed"):
        service.cast_ballot(session, assembly.users["alice"], motion.id, choice="agree")


def test_a_motion_opens_only_by_the_committee_or_the_office_where_there_is_none(session, assembly, world):
    now = service.clock.now_utc()
    window = {"opens_at": now, "closes_at": now + dt.timedelta(days=1)}
    with pytest.raises(PermissionDenied, match="committee"):
        service.create_motion(session, assembly.users["alice"], assembly.compound.id, title="t", body="",
                              category="covenant", **window)
    community = world.user(session, "community")
    with pytest.raises(PermissionDenied, match="committee"):   # this compound has a committee
        service.create_motion(session, community, assembly.compound.id, title="t", body="", category="covenant", **window)
    # compound 0 of the world has no committee: the community office runs its assembly
    motion = service.create_motion(session, community, world.compounds[0].id, title="选聘物业", body="",
                                   category="firm_hiring", opens_at=now, closes_at=now + dt.timedelta(days=1))
    assert motion.status == "draft"
    with pytest.raises(ValidationError, match="category"):
        service.create_motion(session, community, world.compounds[0].id, title="x", body="", category="anything",
                              opens_at=now, closes_at=now + dt.timedelta(days=1))


def test_close_counts_and_final_announcement_after_the_objection_period(session, assembly, travel):
    motion = assembly.opened(session)
    for name, choice in [("alice", "agree"), ("developer", "agree"), ("bob", "abstain")]:
        service.cast_ballot(session, assembly.users[name], motion.id, choice=choice)
    session.commit()
    live = service.tally(session, motion)
    assert (live["A_P"], live["N_P"], live["A_yes"], live["N_yes"]) == (37000, 3, 29000, 2)
    assert service.close_due_motions(session) == []   # the window has not ended
    travel(dt.timedelta(days=3, minutes=1))
    assert service.close_due_motions(session) == [motion.id]
    assert service.close_due_motions(session) == []   # running it again changes nothing
    result = service.tally(session, motion)
    # 370/430 ≥ ⅔ and 3/4 ≥ ⅔; approval 290/370 > ½ and 2/3 > ½
    assert result["participation_met"] and result["approval_met"] and result["passed"]
    assert result["rule"].startswith("participation ≥ 2/3")
    assert {r["choice"] for r in service.receipts(session, motion)} == {"agree", "abstain"}
    with pytest.raises(Conflict):
        service.cast_ballot(session, assembly.users["carol"], motion.id, choice="disagree")
    assert service.finalise_due_motions(session) == []   # objection period of 7 days
    travel(dt.timedelta(days=7))
    assert service.finalise_due_motions(session) == [motion.id]
    notice = session.scalar(select(MotionDocument).where(MotionDocument.motion_id == motion.id))
    assert notice.content.startswith(b"%PDF") and motion.status == "final"


def test_headcount_fails_while_area_is_met(session, assembly, travel):
    # alice + developer hold 290 of 430 m² (≥ ⅔) but are 2 of 4 owners (< ⅔)
    motion = assembly.opened(session)
    service.cast_ballot(session, assembly.users["alice"], motion.id, choice="agree")
    service.cast_ballot(session, assembly.users["developer"], motion.id, choice="agree")
    travel(dt.timedelta(days=4))
    service.close_due_motions(session)
    result = service.tally(session, motion)
    assert result["participation_area_met"] and not result["participation_head_met"]
    assert not result["passed"] and result["with_nonvoters"] is None


def test_nonvoter_clause_result_is_shown_beside_the_plain_one(session, assembly, travel):
    service.adopt_rule_set(session, assembly.committee, assembly.compound.id, nonvoter_clause=True)
    motion = assembly.opened(session)
    service.cast_ballot(session, assembly.users["alice"], motion.id, choice="agree")
    service.cast_ballot(session, assembly.users["carol"], motion.id, choice="agree")
    travel(dt.timedelta(days=4))
    service.close_due_motions(session)
    result = service.tally(session, motion)
    # plain: 210 of 430 m² and 2 of 4 owners took part, short of ⅔
    assert not result["participation_met"] and not result["passed"]
    flagged = result["with_nonvoters"]
    assert flagged["flagged"] and flagged["passed"]
    assert (flagged["A_P"], flagged["N_P"], flagged["A_yes"], flagged["N_yes"]) == (43000, 4, 43000, 4)


def test_rule_sets_are_versioned_and_a_motion_keeps_the_one_in_force_when_it_opened(session, assembly):
    first = service.adopt_rule_set(session, assembly.committee, assembly.compound.id, participation=(3, 4))
    motion = assembly.opened(session)
    second = service.adopt_rule_set(session, assembly.committee, assembly.compound.id, participation=(4, 5))
    assert (first.version, second.version) == (1, 2)
    assert motion.rule_set_id == first.id and "3/4" in service.tally(session, motion)["rule"]
    with pytest.raises(ValidationError, match="never looser"):
        service.adopt_rule_set(session, assembly.committee, assembly.compound.id, ordinary=(1, 2, False))


def test_ownership_verification_links_the_account_and_grants_the_owner_role(session, assembly, api, client):
    number = factories.id_number()
    owner = factories.owner(session, factories.unit(session, assembly.compound, room="701"), name="Eve",
                            id_no=number, certificate_no="京(2020)不动产权第0001号")
    eve = factories.user(session, "street", "street", assembly.compound.street_id)  # no owner role yet
    session.commit()
    with pytest.raises(ValidationError, match="no owner"):
        service.verify_ownership(session, eve, number, "wrong")
    service.verify_ownership(session, eve, number, " 京(2020)不动产权第0001号 ")
    session.commit()
    assert owner.user_id == eve.id
    assert "owner" in service.scope.roles_on(session, eve, assembly.compound.id)
    intruder = factories.user(session, "owner", "compound", assembly.compound.id)
    with pytest.raises(Conflict, match="already linked"):
        service.verify_ownership(session, intruder, number, "京(2020)不动产权第0001号")


def test_governance_for_documents_leaves_out_drafts_hides_the_running_count_and_keeps_to_scope(session, assembly, world):
    assembly.motion(session, title="草案:增设充电桩")
    voting = assembly.opened(session, title="续聘物业")
    service.cast_ballot(session, assembly.users["alice"], voting.id, choice="agree")
    governance = service.compound_governance(session, world.user(session, "street"), assembly.compound.id)
    assert governance["terms"] == []
    [only] = governance["motions"]
    assert (only["title"], only["status"], only["outcome"]) == ("续聘物业", "open", "open")
    assert only["participation_bp"] is None and only["consent_bp"] is None
    with pytest.raises(NotFound):   # the other street office's
        service.compound_governance(session, world.user(session, "street", 1), assembly.compound.id)


def test_area_bands_hold_at_least_ten_voters_and_never_split_an_area():
    from pm_platform.committees.service import area_bands
    areas = [8937 + 37 * i for i in range(95)] + [6000] * 3 + [25000]
    bands = area_bands(areas)
    assert bands[0][0] == 6000 and bands[-1][1] == 25000
    for low, high in bands:
        assert sum(low <= a <= high for a in areas) >= 10
    assert all(bands[i][1] < bands[i + 1][0] for i in range(len(bands) - 1))  # no area in two bands
    assert area_bands([5000, 6000, 6000, 7000, 9000], minimum=2) == [(5000, 6000), (7000, 9000)]
    assert area_bands([5000, 5000, 5000], minimum=2) == [(5000, 5000)]
