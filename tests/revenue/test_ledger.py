"""The common-fund ledger: entries, reversals, balance, and who may do what."""
import datetime as dt
import json

import pytest
from sqlalchemy import select

from pm_platform.core import clock
from pm_platform.core.audit import verify_chain
from pm_platform.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from pm_platform.core.models import AuditEntry
from pm_platform.revenue import service
from pm_platform.revenue.models import FundEntry

TODAY = clock.local_today()
LAST_QUARTER = service.previous_quarter(TODAY)
IN_LAST_QUARTER = service.quarter_bounds(LAST_QUARTER)[0] + dt.timedelta(days=10)
PDF = b"%PDF-1.4 resolution"


@pytest.fixture
def keeper(session, world):
    return world.user(session, "firm_manager")


def revenue(session, actor, compound_id, gross=100000, cost=20000, source="parking", day=IN_LAST_QUARTER, **kw):
    return service.post_revenue_entry(session, actor, compound_id=compound_id, source=source, gross_fen=gross,
                                      cost_fen=cost, cost_justification="保洁与设备电费" if cost else "",
                                      occurred_on=day, description=f"{source} income", **kw)


def spend(session, actor, compound_id, amount=30000, day=IN_LAST_QUARTER):
    return service.post_expenditure(session, actor, compound_id=compound_id, amount_fen=amount,
                                    description="更换单元门禁", decision_ref="业主大会决议 2026-03号", occurred_on=day,
                                    attachment_name="决议.pdf", attachment_type="application/pdf", attachment_data=PDF)


def test_revenue_net_is_gross_minus_cost_and_balance_is_the_sum(session, world, keeper):
    cid = world.compounds[0].id
    entry = revenue(session, keeper, cid)
    assert (entry.gross_fen, entry.cost_fen, entry.amount_fen) == (100000, 20000, 80000)
    spend(session, keeper, cid)
    revenue(session, keeper, cid, gross=5000, cost=0, source="recycling")
    assert service.balance(session, cid) == 80000 - 30000 + 5000
    assert service.balance(session, world.compounds[1].id) == 0


def test_reversal_never_edits_and_restores_the_balance(session, world, keeper):
    cid = world.compounds[0].id
    entry = revenue(session, keeper, cid)
    reversal = service.reverse_entry(session, keeper, entry.id, "录入错误")
    session.refresh(entry)
    assert entry.amount_fen == 80000 and entry.gross_fen == 100000   # the original is untouched
    assert (reversal.kind, reversal.amount_fen, reversal.reverses_id) == ("reversal", -80000, entry.id)
    assert service.balance(session, cid) == 0
    with pytest.raises(Conflict):
        service.reverse_entry(session, keeper, entry.id, "again")
    with pytest.raises(ValidationError):
        service.reverse_entry(session, keeper, reversal.id, "undo the undo")


def test_expenditure_needs_decision_and_attachment(session, world, keeper):
    cid = world.compounds[0].id
    base = dict(compound_id=cid, amount_fen=100, description="x", occurred_on=IN_LAST_QUARTER,
                attachment_name="a.pdf", attachment_type="application/pdf")
    with pytest.raises(ValidationError) as info:
        service.post_expenditure(session, keeper, decision_ref="", attachment_data=PDF, **base)
    assert info.value.field == "decision_ref"
    with pytest.raises(ValidationError) as info:
        service.post_expenditure(session, keeper, decision_ref="决议1", attachment_data=b"", **base)
    assert info.value.field == "attachment"
    entry = spend(session, keeper, cid)
    assert service.get_attachment(session, keeper, entry.id).data == PDF


@pytest.mark.parametrize("change, field", [
    ({"cost": 200000}, "cost_fen"), ({"gross": -1}, "gross_fen"), ({"source": "casino"}, "source"),
    ({"day": TODAY + dt.timedelta(days=1)}, "occurred_on"),
])
def test_bad_revenue_is_refused(session, world, keeper, change, field):
    with pytest.raises(ValidationError) as info:
        revenue(session, keeper, world.compounds[0].id, **change)
    assert info.value.field == field


def test_cost_needs_a_justification(session, world, keeper):
    with pytest.raises(ValidationError) as info:
        service.post_revenue_entry(session, keeper, compound_id=world.compounds[0].id, source="advertising",
                                   gross_fen=1000, cost_fen=100, occurred_on=IN_LAST_QUARTER, description="电梯广告")
    assert info.value.field == "cost_justification"


def test_external_ref_posts_once(session, world):
    cid = world.compounds[0].id
    first = revenue(session, None, cid, external_ref="lockers:7:2026-10")
    again = revenue(session, None, cid, gross=999, external_ref="lockers:7:2026-10")
    assert again.id == first.id
    assert service.balance(session, cid) == 80000


def test_entries_are_audited(session, world, keeper):
    entry = revenue(session, keeper, world.compounds[0].id)
    logged = session.scalar(select(AuditEntry).where(AuditEntry.entity == "fund_entry",
                                                     AuditEntry.entity_id == str(entry.id)))
    assert json.loads(logged.payload)["amount_fen"] == 80000
    assert verify_chain(session).ok


def test_who_may_post_and_read(session, world, keeper):
    cid = world.compounds[0].id
    revenue(session, keeper, cid)
    owner = world.user(session, "owner")
    with pytest.raises(PermissionDenied):
        revenue(session, owner, cid)
    assert [e.amount_fen for e in service.list_entries(session, owner, cid)] == [80000]
    with pytest.raises(NotFound):   # another compound's ledger does not exist for this owner
        service.list_entries(session, owner, world.compounds[1].id)
    with pytest.raises(NotFound):
        revenue(session, world.user(session, "committee", index=1), cid)


def test_database_refuses_an_unbalanced_revenue_row(session, world):
    from sqlalchemy.exc import IntegrityError
    row = FundEntry(compound_id=world.compounds[0].id, kind="revenue", source="other", occurred_on=TODAY,
                    description="x", gross_fen=100, cost_fen=10, amount_fen=100)
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.add(row)
            session.flush()
