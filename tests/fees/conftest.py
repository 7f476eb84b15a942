"""A compound with fee items and billed months, for the fee tests."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from pm_platform.fees import service
from tests.factories import World


@dataclass
class FeeWorld:
    world: World
    manager: object
    clerk: object
    property_fee: object      # 1.20 yuan per m² per month, residential
    garbage_fee: object       # 10.00 yuan per unit per month

    @property
    def compound(self):
        return self.world.compounds[0]

    @property
    def units(self):
        return self.world.units[self.compound.id]

    def bill(self, session, *periods):
        created = sum(service.bill_compound(session, self.compound.id, period) for period in periods)
        session.commit()
        return created


@pytest.fixture
def fees(session, world):
    manager = world.user(session, "firm_manager")
    clerk = world.user(session, "firm_staff")
    c = world.compounds[0]
    property_fee = service.create_fee_item(session, manager, c.id, name="物业服务费", kind="per_area", rate_fen=120,
                                           applies_to="residential", from_period="2026-01")
    garbage_fee = service.create_fee_item(session, manager, c.id, name="垃圾处理费", kind="fixed", rate_fen=1000,
                                          from_period="2026-01", due_day=20)
    session.commit()
    return FeeWorld(world, manager, clerk, property_fee, garbage_fee)
