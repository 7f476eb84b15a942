"""Scoring's inputs as the domains' own figure objects: `figures.set(compound_id, **values)`
decides what the fee, inspection, work-order and disclosure figures say for a compound (zeros
otherwise), so a card can be computed by hand without a year of bills and orders."""
from __future__ import annotations

import pytest

from pm_platform.fees.service import CollectionFigures
from pm_platform.inspections.service import InspectionFigures
from pm_platform.scoring import inputs
from pm_platform.workorders.figures import WorkOrderFigures

ZERO = {
    "billed_fen": 0, "paid_fen": 0,
    "due_items": 0, "on_time": 0, "late": 0, "missed": 0, "flagged": 0, "open_defects": 0,
    "resolutions_due": 0, "resolved_on_time": 0, "satisfied": 0, "basically_satisfied": 0, "rated": 0,
    "follow_ups": 0, "closed_not_fixed": 0, "rebounds": 0,
    "disclosure": None,
}


INSPECTION = ("due_items", "on_time", "late", "missed", "flagged", "open_defects")
WORKORDERS = ("resolutions_due", "resolved_on_time", "satisfied", "basically_satisfied", "rated", "follow_ups",
              "closed_not_fixed", "rebounds")


class Figures:
    def __init__(self):
        self.values: dict[int, dict] = {}

    def set(self, compound_id: int, **values) -> None:
        unknown = set(values) - set(ZERO)
        assert not unknown, unknown
        self.values[compound_id] = {**ZERO, **values}

    def __call__(self, session, compound_ids, month):
        got = {cid: self.values.get(cid, ZERO) for cid in compound_ids}
        return {
            "fees": {cid: CollectionFigures(v["billed_fen"], v["paid_fen"]) for cid, v in got.items()},
            "inspections": {cid: InspectionFigures(**{k: v[k] for k in INSPECTION}) for cid, v in got.items()},
            "workorders": {cid: WorkOrderFigures(**{k: v[k] for k in WORKORDERS}) for cid, v in got.items()},
            "disclosure": {cid: v["disclosure"] for cid, v in got.items()},
        }


@pytest.fixture
def figures(monkeypatch):
    fake = Figures()
    monkeypatch.setattr(inputs, "domain_figures", fake)
    return fake
