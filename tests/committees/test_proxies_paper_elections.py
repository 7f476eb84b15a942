"""Proxies, paper ballots with two-person confirmation, committee elections and term reminders."""
import datetime as dt

import pytest
from sqlalchemy import select

from pm_platform.committees import service
from pm_platform.committees.models import Ballot, CommitteeTerm
from pm_platform.core import clock
from pm_platform.core.errors import Conflict, PermissionDenied, ValidationError
from pm_platform.core.models import AuditEntry
from tests import factories


def counted(session, motion):
    return {(b.voter_id, b.channel, b.choice) for b in session.scalars(select(Ballot).where(Ballot.motion_id == motion.id))}


def test_proxy_votes_once_accepted_and_the_owners_own_ballot_overrides_it(session, assembly):
    motion = assembly.opened(session)
    holder = factories.user(session, "owner", "compound", assembly.compound.id, username="neighbour")
    proxy = service.submit_proxy(session, assembly.users["carol"], motion.id, "neighbour", "委托书.pdf", b"%PDF signed")
    with pytest.raises(PermissionDenied, match="not been accepted"):
        service.cast_ballot(session, holder, motion.id, choice="agree", proxy_id=proxy.id)
    with pytest.raises(PermissionDenied):   # an owner cannot accept proxies
        service.review_proxy(session, assembly.users["alice"], proxy.id, True)
    service.review_proxy(session, assembly.committee, proxy.id, True)
    by_proxy = service.cast_ballot(session, holder, motion.id, choice="agree", proxy_id=proxy.id)
    assert by_proxy.channel == "proxy"
    own = service.cast_ballot(session, assembly.users["carol"], motion.id, choice="disagree")
    assert own.channel == "online" and own.choice == "disagree"
    with pytest.raises(Conflict, match="own ballot counts"):
        service.cast_ballot(session, holder, motion.id, choice="agree", proxy_id=proxy.id)
    assert len(counted(session, motion)) == 1


def test_a_proxy_holder_from_outside_the_compound_sees_and_votes_only_that_motion(session, assembly, world):
    motion = assembly.opened(session)
    other = assembly.opened(session)
    relative = factories.user(session, "owner", "compound", world.compounds[1].id, username="relative")
    with pytest.raises(service.NotFound):
        service.get_motion(session, relative, motion.id)
    proxy = service.submit_proxy(session, assembly.users["bob"], motion.id, "relative", "letter.pdf", b"%PDF")
    service.review_proxy(session, assembly.committee, proxy.id, True)
    assert service.cast_ballot(session, relative, motion.id, choice="agree", proxy_id=proxy.id).channel == "proxy"
    with pytest.raises(service.NotFound):
        service.get_motion(session, relative, other.id)


def test_a_proxy_holder_is_limited_to_five(session, assembly):
    motion = assembly.opened(session)
    extra_users = []
    for n in range(5):
        unit = factories.unit(session, assembly.compound, room=f"90{n}")
        user = factories.user(session, "owner", "compound", assembly.compound.id)
        factories.owner(session, unit, user_account=user)
        extra_users.append(user)
    holder = factories.user(session, "owner", "compound", assembly.compound.id, username="collector")
    motion = assembly.opened(session)   # a register with the new owners on it
    for user in extra_users:
        service.submit_proxy(session, user, motion.id, "collector", "letter.jpg", b"jpeg")
    with pytest.raises(Conflict, match="limit is 5"):
        service.submit_proxy(session, assembly.users["alice"], motion.id, "collector", "letter.jpg", b"jpeg")


def test_paper_ballot_needs_a_second_member_and_online_wins(session, assembly):
    motion = assembly.opened(session)
    paper = service.enter_paper_ballot(session, assembly.committee, motion.id, assembly.units["a1"], "agree",
                                       "scan.jpg", b"scan")
    with pytest.raises(PermissionDenied, match="second committee member"):
        service.confirm_paper_ballot(session, assembly.committee, paper.id)
    _, ballot = service.confirm_paper_ballot(session, assembly.committee2, paper.id)
    assert ballot.channel == "paper" and ballot.choice == "agree"
    with pytest.raises(Conflict, match="already confirmed"):
        service.confirm_paper_ballot(session, assembly.committee2, paper.id)
    # Alice then votes online: the online ballot counts
    service.cast_ballot(session, assembly.users["alice"], motion.id, choice="disagree")
    # Bob voted online first, then a paper ballot for him is confirmed: still the online one
    service.cast_ballot(session, assembly.users["bob"], motion.id, choice="abstain")
    paper_bob = service.enter_paper_ballot(session, assembly.committee2, motion.id, assembly.units["b"], "agree",
                                           "bob.jpg", b"scan")
    assert service.confirm_paper_ballot(session, assembly.committee, paper_bob.id)[1] is None
    channels = {(channel, choice) for _, channel, choice in counted(session, motion)}
    assert channels == {("online", "disagree"), ("online", "abstain")}
    with pytest.raises(ValidationError, match="scan"):
        service.enter_paper_ballot(session, assembly.committee, motion.id, assembly.units["c"], "agree", "x", b"")
    tally = service.tally(session, motion)
    assert set(tally["subtotals"]) == {"online"}


def test_paper_subtotals_show_beside_online(session, assembly):
    motion = assembly.opened(session)
    paper = service.enter_paper_ballot(session, assembly.committee, motion.id, assembly.units["c"], "agree", "c.jpg", b"s")
    service.confirm_paper_ballot(session, assembly.committee2, paper.id)
    service.cast_ballot(session, assembly.users["alice"], motion.id, choice="agree")
    subtotals = service.tally(session, motion)["subtotals"]
    assert subtotals["paper"]["A_P"] == 6000 and subtotals["online"]["A_P"] == 15000
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == str(motion.id))).all()
    assert {"paper.enter", "paper.confirm", "ballot.cast"} <= set(actions)


def election_motion(session, assembly, seats=5):
    owners = assembly.owners
    return assembly.opened(session, "committee_election", seats=seats,
                           candidate_owner_ids=[owners["alice"].id, owners["bob"].id, owners["carol"].id])


def test_election_candidates_must_be_owners_and_seats_odd_between_5_and_11(session, assembly, world):
    with pytest.raises(ValidationError, match="odd"):
        election_motion(session, assembly, seats=6)
    outsider = world.owners[world.compounds[1].id]
    with pytest.raises(ValidationError, match="not an owner"):
        assembly.motion(session, "committee_election", seats=5, candidate_owner_ids=[outsider.id])
    with pytest.raises(ValidationError, match="not an owner"):   # the developer cannot stand
        assembly.motion(session, "committee_election", seats=5, candidate_owner_ids=[assembly.owners["developer"].id])


def test_election_result_term_and_reminder(session, assembly, travel, login):
    motion = election_motion(session, assembly)
    alice, bob, carol = (c.id for c in motion.candidates)
    with pytest.raises(ValidationError, match="candidates"):
        service.cast_ballot(session, assembly.users["alice"], motion.id, choice="agree")
    with pytest.raises(ValidationError, match="no such candidate"):
        service.cast_ballot(session, assembly.users["alice"], motion.id, candidates=[999999])
    service.cast_ballot(session, assembly.users["alice"], motion.id, candidates=[alice, bob])
    service.cast_ballot(session, assembly.users["developer"], motion.id, candidates=[alice, carol])
    service.cast_ballot(session, assembly.users["carol"], motion.id, candidates=[alice, bob])
    travel(dt.timedelta(days=4))
    service.close_due_motions(session)
    result = service.tally(session, motion)
    # took part 350/430 m², 3/4 owners. Alice 350 m²/3; Bob 210 m²/2 (> ½ of 350 and of 3); Carol 140/1: no
    assert [c["name"] for c in result["elected"]] == ["Alice", "Bob"]
    assert result["unfilled_seats"] == 3 and result["passed"]
    travel(dt.timedelta(days=8))
    service.finalise_due_motions(session)
    term = session.scalar(select(CommitteeTerm).where(CommitteeTerm.motion_id == motion.id))
    assert [m.owner_id for m in term.members] == [assembly.owners["alice"].id, assembly.owners["bob"].id]
    assert term.ends_on == clock.add_months(term.starts_on, 60)
    travel(dt.timedelta(days=365 * 5 - 100))   # a little more than three months before the end
    assert service.remind_terms_ending(session) == []
    travel(dt.timedelta(days=40))              # now less than three months
    assert service.remind_terms_ending(session) == [term.id]
    assert service.remind_terms_ending(session) == []   # once
    session.commit()
    page = login(assembly.committee).get("/assembly").get_data(as_text=True)
    assert "term-ending" in page and str(term.ends_on) in page


def test_close_task_runs_through_celery(app, session, assembly, travel):
    from tasks.committees import close_due

    motion = assembly.opened(session)
    service.cast_ballot(session, assembly.users["alice"], motion.id, choice="agree")
    session.commit()
    travel(dt.timedelta(days=4))
    assert close_due.delay().get() == [motion.id]
    session.refresh(motion)
    assert motion.status == "closed" and motion.result
