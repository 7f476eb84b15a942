"""Monthly cards: computed from the inputs, rerun to the same result, frozen by publishing,
corrected by visible revisions, and seen only within one's own scope."""
import datetime as dt

import pytest
from sqlalchemy import select

from pm_platform.core.errors import Conflict, NotFound, ValidationError
from pm_platform.core.models import AuditEntry
from pm_platform.scoring import arithmetic, service
from pm_platform.scoring.models import Scorecard

MONTH = "2026-10"
SPOT = {"cleaning": 10, "greenery": 10, "fire_lanes": 8, "parking": 8, "notice_board": 7, "facilities": 7}  # 50/60


def spot_check(session, user, compound_id, scores=SPOT, day=dt.date(2026, 10, 15)):
    return service.record_spot_check(session, user, compound_id, day, {k: {"score": v} for k, v in scores.items()})


def hand_computed_inputs(figures, compound_id):
    figures.set(compound_id, billed_fen=10000, paid_fen=8500, due_items=50, on_time=45, resolutions_due=20,
                resolved_on_time=19, satisfied=6, basically_satisfied=2, rated=10, follow_ups=4,
                closed_not_fixed=1, rebounds=12, disclosure=True)


def current_card(session, compound_id, month=MONTH):
    return session.scalars(select(Scorecard).where(Scorecard.compound_id == compound_id, Scorecard.month == month,
                                                   Scorecard.is_current)).one()


def test_the_monthly_card_is_the_hand_computed_one_and_a_rerun_changes_nothing(session, world, figures):
    first, second = world.compounds
    community = world.user(session, "community")
    hand_computed_inputs(figures, first.id)
    spot_check(session, community, first.id)
    figures.set(second.id, billed_fen=100, paid_fen=90, due_items=10, on_time=10, resolutions_due=3, resolved_on_time=3,
                rated=2, satisfied=2)

    assert service.compute_month(session, MONTH) >= 2
    card = current_card(session, first.id)
    lines = {line.key: (line.numerator, line.denominator, line.points) for line in card.lines}
    assert lines["fee_collection"] == (8500, 10000, 1429)
    assert lines["spot_checks"] == (50, 60, 1167)
    assert lines["satisfaction"] == (78, 100, 771)
    assert lines["really_fixed"] == (3, 4, 188)
    assert lines["rebound"] == (12, None, -1000)
    assert (card.total, card.grade, card.revision) == (5688, "D", 1)
    assert card.firm_id == world.firm.id and card.area_cm2 == 3 * 8937

    other = current_card(session, second.id)
    assert other.firm_id is None  # no firm serves it: its card counts for no firm
    # fee 90 % → 17.14; inspections, orders and satisfaction full; no spot check, disclosure or
    # follow-up, so 70 points applied: (17.14 + 20 + 15 + 15) / 70 × 100 = 95.914 → 95.91
    assert other.total == 9591 and other.grade == "A"

    before = [(c.id, c.total, [(l.key, l.numerator, l.denominator, l.points) for l in c.lines])
              for c in (card, other)]
    service.compute_month(session, MONTH)
    after = [(c.id, c.total, [(l.key, l.numerator, l.denominator, l.points) for l in c.lines])
             for c in (current_card(session, first.id), current_card(session, second.id))]
    assert after == before


def test_publishing_freezes_the_month_and_a_correction_is_a_new_visible_revision(session, world, figures):
    first = world.compounds[0]
    street, community = world.user(session, "street"), world.user(session, "community")
    hand_computed_inputs(figures, first.id)
    spot_check(session, community, first.id)
    service.compute_month(session, MONTH, world.district.id)
    service.publish_month(session, street, first.street_id, MONTH)
    with pytest.raises(Conflict):
        service.publish_month(session, street, first.street_id, MONTH)

    figures.set(first.id, billed_fen=10000, paid_fen=10000, due_items=50, on_time=45, resolutions_due=20,
                resolved_on_time=19, satisfied=6, basically_satisfied=2, rated=10, follow_ups=4,
                closed_not_fixed=1, rebounds=12, disclosure=True)  # late payments arrive for October
    service.compute_month(session, MONTH, world.district.id)
    frozen = current_card(session, first.id)
    assert (frozen.revision, frozen.total) == (1, 5688)  # untouched

    with pytest.raises(ValidationError):
        service.revise_card(session, street, first.id, MONTH, "  ")
    revised = service.revise_card(session, street, first.id, MONTH, "late October payments posted")
    # fee collection now 100 %: 20 instead of 14.29 → 56.88 + 5.71 = 62.59
    assert (revised.revision, revised.total, revised.grade, revised.is_current) == (2, 6259, "C", True)
    history = service.card_history(session, revised)
    assert [(c.revision, c.total, c.is_current) for c in history] == [(1, 5688, False), (2, 6259, True)]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "scoring.revised")).one()
    assert '"previous_total":5688' in entry.payload and "late October payments" in entry.payload

    with pytest.raises(Conflict):  # nothing changed since the revision
        service.revise_card(session, street, first.id, MONTH, "again")
    with pytest.raises(Conflict):  # an unpublished month is recomputed, not revised
        service.revise_card(session, street, first.id, "2026-09", "why")


def test_publishing_needs_every_card_and_the_street_role(session, world, figures):
    first = world.compounds[0]
    with pytest.raises(Conflict):
        service.publish_month(session, world.user(session, "street"), first.street_id, MONTH)
    service.compute_month(session, MONTH)
    with pytest.raises(NotFound):  # the other street's office cannot publish this street
        service.publish_month(session, world.user(session, "street", 1), first.street_id, MONTH)
    with pytest.raises(NotFound):
        service.publish_month(session, world.user(session, "community"), first.street_id, MONTH)


def test_a_districts_own_scheme_applies_from_its_month(session, world, figures):
    first = world.compounds[0]
    bureau = world.user(session, "bureau")
    figures.set(first.id, billed_fen=100, paid_fen=80, due_items=10, on_time=10)
    scheme = {"indicators": [dict(i, floor=0, target=100) if i["key"] == "fee_collection" else i
                             for i in arithmetic.DEFAULT_SCHEME["indicators"]],
              "deductions": arithmetic.DEFAULT_SCHEME["deductions"]}
    service.save_scheme(session, bureau, world.district.id, MONTH, scheme)
    service.compute_month(session, "2026-09")
    service.compute_month(session, MONTH)
    # default: 80 % → 20 × 20/35 = 11.43; district scheme 0–100 %: 16.00; each over 40 applicable
    assert current_card(session, first.id, "2026-09").total == arithmetic.round_hundredths(
        arithmetic.Fraction(1143 + 2000, 40))
    assert current_card(session, first.id).total == 9000  # (16 + 20) / 40

    with pytest.raises(ValidationError):
        service.save_scheme(session, bureau, world.district.id, "2026-12", {"indicators": [], "deductions": []})
    with pytest.raises(NotFound):
        service.save_scheme(session, world.user(session, "street"), world.district.id, "2026-12", scheme)
    service.publish_month(session, world.user(session, "street"), first.street_id, MONTH)
    with pytest.raises(Conflict):  # frozen cards keep the scheme they were computed with
        service.save_scheme(session, bureau, world.district.id, MONTH, scheme)


def test_spot_checks_need_every_item_and_the_community_role(session, world):
    first = world.compounds[0]
    community = world.user(session, "community")
    with pytest.raises(ValidationError):
        spot_check(session, community, first.id, {"cleaning": 10})
    with pytest.raises(ValidationError):
        spot_check(session, community, first.id, {**SPOT, "cleaning": 11})
    with pytest.raises(ValidationError):
        spot_check(session, community, first.id, day=dt.date.today() + dt.timedelta(days=2))
    from pm_platform.core.errors import PermissionDenied
    with pytest.raises(PermissionDenied):
        spot_check(session, world.user(session, "firm_manager"), first.id)
    with pytest.raises(NotFound):
        spot_check(session, world.user(session, "community", 1), first.id)
    check = spot_check(session, community, first.id)
    assert (check.score, check.max_score, check.month) == (50, 60, "2026-10")


def test_the_monthly_task_and_command_compute_last_month_and_leave_published_months(app, session, world, figures):
    from tasks.scoring import compute_month as task

    first = world.compounds[0]
    figures.set(first.id, billed_fen=100, paid_fen=100)
    assert task.run(MONTH) >= 2
    service.publish_month(session, world.user(session, "street"), first.street_id, MONTH)
    session.commit()
    figures.set(first.id, billed_fen=100, paid_fen=0)
    result = app.test_cli_runner().invoke(args=["scoring", "compute", MONTH])
    assert result.exit_code == 0 and "cards written" in result.output
    assert current_card(session, first.id).total == 10000  # frozen: the later figures changed nothing
    bad = app.test_cli_runner().invoke(args=["scoring", "compute", "2026-13"])
    assert bad.exit_code != 0 and "2026-11" in bad.output
