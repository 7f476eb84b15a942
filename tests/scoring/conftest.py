"""Scoring's inputs as plain figure objects: `figures.set(compound_id, **values)` decides what
the fee, inspection, work-order and disclosure figures say for a compound (zeros otherwise)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from pm_platform.scoring import inputs

ZERO = {
    "billed_fen": 0, "paid_fen": 0,
    "due_items": 0, "on_time": 0, "late": 0, "missed": 0, "flagged": 0, "open_defects": 0,
    "resolved": 0, "resolved_on_time": 0, "satisfied": 0, "basically_satisfied": 0, "rated": 0,
    "followed_up": 0, "closed_not_fixed": 0, "rebounds": 0, "overdue": 0,
    "disclosure": None,
}


class Figures:
    def __init__(self):
        self.values: dict[int, dict] = {}

    def set(self, compound_id: int, **values) -> None:
        unknown = set(values) - set(ZERO)
        assert not unknown, unknown
        self.values[compound_id] = {**ZERO, **values}

    def __call__(self, session, compound_ids, month):
        got = {cid: SimpleNamespace(**self.values.get(cid, ZERO)) for cid in compound_ids}
        return {"fees": got, "inspections": got, "workorders": got,
                "disclosure": {cid: f.disclosure for cid, f in got.items()}}


@pytest.fixture
def figures(monkeypatch):
    fake = Figures()
    monkeypatch.setattr(inputs, "domain_figures", fake)
    return fake
