"""Checklists by kind: shipped defaults, a firm manager's own version (items, ranges, radius,
high risk) used by the next scan; bad definitions refused."""
import pytest
from sqlalchemy import select

from pm_platform.core.errors import PermissionDenied, ValidationError
from pm_platform.core.models import AuditEntry
from pm_platform.inspections import checklists
from pm_platform.inspections.models import KINDS
from tests.inspections.helpers import LAT, facility, inspect


def test_every_kind_ships_a_default_and_high_risk_kinds_are_marked():
    for kind in KINDS:
        default = checklists.default_checklist(kind)
        assert default.items and default.radius_m == 50
        checklists.validate_items(default.items)  # the shipped defaults pass their own rules
    assert {k for k in KINDS if checklists.default_checklist(k).is_high_risk} == {"hydrant", "elevator"}
    pressure = checklists.default_checklist("extinguisher").items[0]
    assert (pressure["type"], pressure["min"], pressure["max"], pressure["unit"]) == ("number", 1.0, 1.4, "MPa")


def test_the_firm_manager_edits_a_checklist_and_the_next_scan_uses_it(session, world, client, login):
    manager, staff = world.user(session, "firm_manager"), world.user(session, "firm_staff")
    item = facility(session, manager, world.compounds[0], kind="gate", name="北门道闸")
    login(manager)
    response = client.post("/inspections/checklists/gate", data={
        "radius_m": "150", "rows": "3",
        "label_0": "抬杆时间", "type_0": "number", "min_0": "", "max_0": "3", "unit_0": "秒", "severity_0": "high",
        "required_0": "1", "category_0": "parking",
        "label_1": "备注", "type_1": "text", "severity_1": "low", "label_2": ""})
    assert response.status_code == 302
    own = checklists.checklist_for(session, item.compound_id, "gate")
    assert own.firm_id == world.firm.id and own.radius_m == 150 and [i["label"] for i in own.items] == ["抬杆时间", "备注"]
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "inspection.checklist.save")).one()

    # 110 m away is within the firm's 150 m; a 4-second barrier fails and opens an order.
    record, _ = inspect(session, staff, item, lat=LAT + 0.001, photos=[],
                        answers=[{"item": own.items[0]["key"], "value": "4"}])
    assert record.flags == [] and not record.passed

    bad = client.post("/inspections/checklists/gate", data={
        "radius_m": "50", "rows": "1", "label_0": "读数", "type_0": "number", "min_0": "5", "max_0": "1",
        "severity_0": "normal"})
    assert bad.status_code == 200 and "第 1 项:最小值大于最大值" in bad.get_data(as_text=True)


def test_only_a_firm_manager_edits_and_bad_items_are_refused(session, world):
    staff = world.user(session, "firm_staff")
    manager = world.user(session, "firm_manager")
    with pytest.raises(PermissionDenied):
        checklists.save_checklist(session, staff, world.firm.id, "gate", [{"label": "x", "type": "pass_fail"}], 50, False)
    with pytest.raises(ValidationError, match="type must be"):
        checklists.save_checklist(session, manager, world.firm.id, "gate", [{"label": "x", "type": "dial"}], 50, False)
    with pytest.raises(ValidationError, match="minimum, a maximum"):
        checklists.save_checklist(session, manager, world.firm.id, "gate", [{"label": "x", "type": "number"}], 50, False)
    with pytest.raises(ValidationError, match="radius"):
        checklists.save_checklist(session, manager, world.firm.id, "gate", [{"label": "x", "type": "text"}], 2, False)
