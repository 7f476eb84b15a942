"""The start page: each role sees what it should do next, only within its own scope, and an
empty block says what will appear there."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from pm_platform.committees.models import Proxy
from pm_platform.core import clock
from pm_platform.fees import service as fees
from pm_platform.inspections import service as inspections
from pm_platform.lockers import service as lockers
from pm_platform.lockers.models import Parcel
from pm_platform.places.models import RoleGrant
from pm_platform.revenue import service as revenue
from pm_platform.workorders import notices
from pm_platform.workorders import service as workorders
from tests import factories
from tests.inspections.helpers import facility, plan, shanghai

NOW = shanghai(2026, 11, 23, 9, 0)   # a Monday morning in Shanghai


@pytest.fixture(autouse=True)
def pinned(monkeypatch):
    """The platform clock stands at NOW; pinned(moment) moves it."""
    def _pin(moment: dt.datetime) -> dt.datetime:
        monkeypatch.setattr(clock, "now_utc", lambda: moment)
        return moment
    _pin(NOW)
    return _pin


def home(client, login, user) -> str:
    login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def block(html: str, block_id: str) -> str:
    """The text of one card of the page (by its id), tags removed."""
    found = re.search(rf'<div class="card" id="{block_id}">(.*?)\n</div>', html, re.S)
    assert found, f"no block {block_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


def bill_world(session, world):
    manager = world.user(session, "firm_manager")
    for c in world.compounds[:1]:
        fees.create_fee_item(session, manager, c.id, name="物业服务费", kind="fixed", rate_fen=12345,
                             from_period="2026-11")
    session.commit()
    fees.bill_compound(session, world.compounds[0].id, "2026-11")
    session.commit()
    return manager


# --- the owner --------------------------------------------------------------------------------

def test_owner_sees_their_bill_in_yuan_with_a_pay_button(session, world, client, login):
    bill_world(session, world)
    owner = world.user(session, "owner")
    unit = world.units[world.compounds[0].id][0]
    html = home(client, login, owner)
    bills = block(html, "owner-bills")
    assert "123.45" in bills and "物业服务费" in bills and "2026-11" in bills
    assert f'action="/fees/units/{unit.id}/pay"' in html
    assert "在线缴费 123.45 元" in bills
    # the button works: it opens the provider's checkout for what is owed
    paid = client.post(f"/fees/units/{unit.id}/pay")
    assert paid.status_code == 302 and "/payments/sandbox/" in paid.headers["Location"]


def test_owner_does_not_see_another_owners_bill(session, world, client, login):
    bill_world(session, world)
    neighbour_unit = world.units[world.compounds[0].id][1]
    neighbour = factories.user(session, "owner", "compound", world.compounds[0].id)
    factories.owner(session, neighbour_unit, name="邻居", user_account=neighbour)
    session.commit()
    fees.record_payment(session, world.user(session, "firm_manager"), world.units[world.compounds[0].id][0].id,
                        12345, "cash")
    session.commit()
    html = home(client, login, neighbour)
    assert "123.45" in block(html, "owner-bills")      # the neighbour's own bill
    assert f"/fees/units/{world.units[world.compounds[0].id][0].id}/pay" not in html
    # the owner of the first unit has paid: nothing due, and the empty state says why
    first = world.user(session, "owner")
    html = home(client, login, first)
    assert "123.45" not in html
    assert "暂无待缴账单。物业公司开出账单后会显示在这里。" in block(html, "owner-bills")


def test_owner_empty_states_say_what_will_appear(session, world, client, login):
    html = home(client, login, world.user(session, "owner", index=1))
    assert "暂无待缴账单。物业公司开出账单后会显示在这里。" in block(html, "owner-bills")
    assert "暂无进行中的投票" in block(html, "owner-votes")
    assert "暂无未读通知" in block(html, "owner-notices")
    assert "暂无未办结的报修" in block(html, "owner-reports")
    assert "暂无待取快递" in block(html, "owner-parcels")
    assert "尚未关联房屋" not in html


def test_an_owner_account_with_no_home_is_told_how_to_link_it(session, world, client, login):
    stranger = factories.user(session, "owner", "compound", world.compounds[0].id)
    html = home(client, login, stranger)
    assert "您的账号尚未关联房屋" in html and 'href="/me/ownership"' in html


def test_owner_sees_notices_until_read_reports_and_parcels(session, world, client, login):
    compound = world.compounds[0]
    owner = world.user(session, "owner")
    manager = world.user(session, "firm_manager")
    notice = notices.create_notice(session, manager, compound_id=compound.id, kind="water_outage", title="3栋停水检修",
                                   starts_at=NOW, ends_at=NOW + dt.timedelta(hours=6))
    other = notices.create_notice(session, world.user(session, "community", index=1), compound_id=world.compounds[1].id,
                                  kind="other", title="别的小区的通知", starts_at=NOW, ends_at=NOW + dt.timedelta(hours=6))
    order = workorders.create_work_order(session, owner, compound_id=compound.id, source="resident",
                                         category="lighting", description="楼道灯不亮",
                                         unit_id=world.units[compound.id][0].id)
    contract = lockers.create_contract(session, manager, compound.id, "丰巢", monthly_rent_fen=50000,
                                       commission_fen=10, free_hours=24, starts_on=dt.date(2026, 1, 1))
    site = lockers.create_site(session, manager, contract.id, "3栋快递柜")
    session.add_all([
        Parcel(site_id=site.id, parcel_code="SF1001", unit_id=world.units[compound.id][0].id,
               deposited_at=NOW - dt.timedelta(hours=30)),
        Parcel(site_id=site.id, parcel_code="SF2002", unit_id=world.units[compound.id][1].id,
               deposited_at=NOW - dt.timedelta(hours=1)),
        Parcel(site_id=site.id, parcel_code="SF3003", unit_id=world.units[compound.id][0].id,
               deposited_at=NOW - dt.timedelta(hours=50), picked_up_at=NOW - dt.timedelta(hours=2)),
    ])
    session.commit()
    html = home(client, login, owner)
    assert "3栋停水检修" in block(html, "owner-notices") and other.title not in html
    reports = block(html, "owner-reports")
    assert f"#{order.id}" in reports and "照明" in reports
    parcels = block(html, "owner-parcels")
    assert "SF1001" in parcels and "已超过免费保管时间" in parcels
    assert "SF2002" not in parcels and "SF3003" not in parcels   # a neighbour's; one already picked up
    client.post(f"/notices/{notice.id}", data={})
    assert "3栋停水检修" not in block(home(client, login, owner), "owner-notices")


def test_owner_sees_an_open_vote_until_they_have_voted(session, world, client, login):
    from pm_platform.committees import service as committees

    compound = world.compounds[0]
    owner = world.user(session, "owner")
    committee = world.user(session, "committee")
    motion = committees.create_motion(session, committee, compound.id, title="更换电梯", body="", category="covenant",
                                      opens_at=NOW - dt.timedelta(hours=1), closes_at=NOW + dt.timedelta(days=3))
    committees.open_motion(session, committee, motion.id)
    session.commit()
    votes = block(home(client, login, owner), "owner-votes")
    assert "更换电梯" in votes and "尚未投票" in votes
    committees.cast_ballot(session, owner, motion.id, choice="agree")
    session.commit()
    assert "您已投票" in block(home(client, login, owner), "owner-votes")
    # an owner of the other compound has no vote here
    assert "更换电梯" not in home(client, login, world.user(session, "owner", index=1))


# --- the inspector ------------------------------------------------------------------------------

def test_inspector_sees_todays_round_and_assigned_repairs(session, world, client, login):
    compound = world.compounds[0]
    manager = world.user(session, "firm_manager")
    inspector = world.user(session, "firm_staff")
    pump = facility(session, manager, compound, kind="extinguisher", name="1栋灭火器")
    plan(session, manager, compound, [pump], [inspector], name="早班消防巡检", start=dt.time(8), end=dt.time(10))
    inspections.create_rounds_ahead(session, NOW)
    order = workorders.create_work_order(session, manager, compound_id=compound.id, source="staff", category="water",
                                         description="水泵漏水")
    workorders.transition_work_order(session, manager, order.id, "accepted")
    workorders.transition_work_order(session, manager, order.id, "assigned", assignee_id=inspector.id)
    session.commit()
    html = home(client, login, inspector)
    rounds = block(html, "inspector-rounds")
    assert "早班消防巡检" in rounds and "08:00–10:00" in rounds and "已完成 0 / 1" in rounds
    assert f"#{order.id}" in block(html, "inspector-repairs")
    # someone else of the firm, on no plan and assigned nothing, sees the guidance instead
    html = home(client, login, world.user(session, "firm_staff"))
    assert "今天没有您的巡检任务" in block(html, "inspector-rounds")
    assert "暂无派给您的维修" in block(html, "inspector-repairs")


# --- the firm manager ---------------------------------------------------------------------------

def test_manager_sees_overdue_orders_missed_rounds_and_collection_of_their_firm_only(
        session, world, client, login, pinned):
    manager = bill_world(session, world)
    ours, theirs = world.compounds
    other_manager = factories.firm_manager_for(session, theirs)
    inspector = world.user(session, "firm_staff")
    late = workorders.create_work_order(session, manager, compound_id=ours.id, source="staff", category="road",
                                        description="路面塌陷", priority="urgent")
    elsewhere = workorders.create_work_order(session, other_manager, compound_id=theirs.id, source="staff",
                                             category="road", description="别处的路", priority="urgent")
    extinguisher = facility(session, manager, ours, name="2栋灭火器")
    plan(session, manager, ours, [extinguisher], [inspector], name="夜间巡检", start=dt.time(1), end=dt.time(3))
    inspections.create_rounds_ahead(session, shanghai(2026, 11, 23, 0, 30))
    session.commit()
    fees.record_payment(session, manager, world.units[ours.id][0].id, 12345, "cash")
    session.commit()
    pinned(NOW + dt.timedelta(days=2))
    inspections.mark_missed(session)
    session.commit()
    html = home(client, login, manager)
    overdue = block(html, "manager-overdue")
    assert f"#{late.id}" in overdue and f"#{elsewhere.id}" not in overdue
    assert "夜间巡检" in block(html, "manager-missed") and "漏检 1 项" in block(html, "manager-missed")
    collection = block(html, "manager-collection")
    assert "33.3%" in collection and "本月应缴 370.35 元，已缴 123.45 元" in collection
    assert "暂无待处理的停车异常" in block(html, "manager-anomalies")
    # the other firm's manager sees their own order, and no bills of ours
    html = home(client, login, other_manager)
    assert f"#{elsewhere.id}" in block(html, "manager-overdue") and f"#{late.id}" not in html
    assert "本月尚无到期账单" in block(html, "manager-collection")


# --- the committee ------------------------------------------------------------------------------

def test_committee_sees_motions_proxies_and_disclosures_to_review(session, world, client, login):
    from pm_platform.committees import service as committees

    compound = world.compounds[0]
    committee = world.user(session, "committee")
    owner = world.user(session, "owner")
    holder = factories.user(session, "owner", "compound", compound.id)
    draft = committees.create_motion(session, committee, compound.id, title="续聘物业", body="", category="covenant",
                                     opens_at=NOW + dt.timedelta(days=1), closes_at=NOW + dt.timedelta(days=5))
    open_ = committees.create_motion(session, committee, compound.id, title="增设充电桩", body="", category="covenant",
                                     opens_at=NOW - dt.timedelta(hours=1), closes_at=NOW + dt.timedelta(days=3))
    committees.open_motion(session, committee, open_.id)
    committees.submit_proxy(session, owner, open_.id, holder.username, "letter.pdf", b"%PDF-1.4 letter")
    revenue.prepare_disclosure(session, compound.id, "2026-Q3")
    session.commit()
    html = home(client, login, committee)
    motions = block(html, "committee-motions")
    assert "续聘物业" in motions and "草稿：尚未开始投票" in motions and "增设充电桩" in motions
    review = block(html, "committee-review")
    assert "1 份委托书" in review and "共有资金公示 2026-Q3" in review and "草稿：应于" in review
    assert session.query(Proxy).count() == 1 and draft.status == "draft"
    # the other compound's committee sees none of it
    html = home(client, login, world.user(session, "committee", index=1))
    assert "增设充电桩" not in html and "暂无筹备中或投票中的表决事项" in html and "暂无待审核事项" in html


# --- the offices -------------------------------------------------------------------------------

def test_community_office_sees_what_needs_attention_in_its_area(session, world, client, login, pinned):
    ours, theirs = world.compounds
    manager = world.user(session, "firm_manager")
    late = workorders.create_work_order(session, manager, compound_id=ours.id, source="staff", category="drain",
                                        description="下水道堵塞", priority="urgent")
    elsewhere = workorders.create_work_order(session, world.user(session, "community", index=1), compound_id=theirs.id,
                                             source="staff", category="drain", description="别处的下水道",
                                             priority="urgent")
    session.commit()
    pinned(NOW + dt.timedelta(days=3))
    community = world.user(session, "community")
    html = home(client, login, community)
    orders = block(html, "office-orders")
    assert f"#{late.id}" in orders and f"#{elsewhere.id}" not in orders
    assert f'href="/scores/community/{ours.community_id}"' in html
    assert "待审批的费用减免" in block(html, "office-other")
    # the street office of the other street sees only its own order
    html = home(client, login, world.user(session, "street", index=1))
    assert f"#{elsewhere.id}" in block(html, "office-orders") and f"#{late.id}" not in html


def test_an_office_with_nothing_overdue_is_told_what_would_appear(session, world, client, login):
    html = home(client, login, world.user(session, "bureau"))
    assert "暂无超期工单" in block(html, "office-orders")
    assert "近 7 天没有漏检" in block(html, "office-missed")
    assert "暂无评分" in block(html, "office-scores") or f'href="/scores/district/{world.district.id}"' in html


# --- the administrator, several roles, no role ------------------------------------------------

def test_admin_sees_counts_and_links(session, world, client, login):
    html = home(client, login, world.user(session, "admin"))
    assert 'id="admin"' in html and 'href="/compounds"' in html and 'id="office"' in html


def test_a_person_with_two_roles_sees_both_sections(session, world, client, login):
    owner = world.user(session, "owner")
    session.add(RoleGrant(user_id=owner.id, role="committee", scope_kind="compound",
                                    scope_id=world.compounds[0].id))
    session.commit()
    html = home(client, login, owner)
    assert 'id="owner"' in html and 'id="committee"' in html and 'id="manager"' not in html


def test_no_role_gets_guidance_and_anonymous_visitors_sign_in(session, world, client, login):
    from pm_platform.core.models import User

    nobody = User(username="nobody", display_name="nobody", password_hash="x")
    session.add(nobody)
    session.commit()
    assert client.get("/").status_code == 302
    assert "您的账号还没有角色" in home(client, login, nobody)


def test_manager_sees_parking_anomalies_of_their_lots_only(session, world, client, login):
    from pm_platform.parking import service as parking
    from pm_platform.places.service import create_device

    manager = world.user(session, "firm_manager")
    lot = parking.create_lot(session, manager, world.compounds[0].id, "东门停车场", 50,
                             {"template": "standard", "free_minutes": 15, "first_minutes": 60, "first_price_fen": 500,
                              "unit_minutes": 30, "unit_price_fen": 200, "cap_fen": 3000})
    _device, key = create_device(session, None, "gate", world.compounds[0].id)
    session.commit()
    exit_only = client.post("/api/v1/parking/gate-events", headers={"Authorization": f"Bearer {key}"},
                            json={"event_id": "x1", "lot_id": lot.id, "plate": "京A12345", "direction": "out",
                                  "at": (NOW - dt.timedelta(minutes=1)).isoformat()})
    assert exit_only.json["outcome"] == "anomaly"
    anomalies = block(home(client, login, manager), "manager-anomalies")
    assert "东门停车场" in anomalies and "1 条待处理" in anomalies
    other = factories.firm_manager_for(session, world.compounds[1])
    assert "暂无待处理的停车异常" in block(home(client, login, other), "manager-anomalies")
