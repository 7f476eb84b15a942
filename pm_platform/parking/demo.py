"""Demo parking: a lot in each of the first compounds, registered cars, a pass, and today's
traffic through a gate (some exits paid through the sandbox, one exit with no entry)."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from pm_platform.core import clock
from pm_platform.core.auth import get_user_by_name
from pm_platform.fees import payments
from pm_platform.parking import gate, service
from pm_platform.parking.models import ParkingLot
from pm_platform.places.models import Compound, Unit
from pm_platform.places.service import create_device

LOT_COMPOUNDS = 3
VISITORS = {"full": 12, "small": 4}  # visitors' cars through each gate today
TARIFF = {"template": "standard", "free_minutes": 15, "first_minutes": 60, "first_price_fen": 500,
          "unit_minutes": 30, "unit_price_fen": 200, "cap_fen": 3000}


def build_demo(session: Session, rng: random.Random, size: str = "full") -> str:
    if session.scalar(select(ParkingLot.id).limit(1)):
        return "already present"
    admin = get_user_by_name(session, "admin")
    now = clock.now_utc().replace(microsecond=0)
    compounds = session.scalars(select(Compound).order_by(Compound.id).limit(LOT_COMPOUNDS)).all()
    events = 0
    for number, compound in enumerate(compounds, start=1):
        lot = service.create_lot(session, admin, compound.id, "东门停车场", 120, TARIFF)
        service.set_pass_price(session, admin, lot.id, 30000)
        units = session.scalars(select(Unit).where(Unit.compound_id == compound.id).order_by(Unit.id).limit(3)).all()
        service.add_space(session, admin, lot.id, "A-001", "owned", units[0].id)
        service.register_vehicle(session, admin, compound.id, f"京A{number}0001", "own_space", units[0].id)
        monthly = service.register_vehicle(session, admin, compound.id, f"京A{number}0002", "monthly", units[1].id)
        today = clock.local_today()
        service.sell_pass(session, admin, monthly.id, lot.id, today.replace(day=1), today + dt.timedelta(days=20), 30000)
        service.set_plate_list(session, admin, compound.id, f"京B{number}9999", "black", "欠费未缴")
        device, _key = create_device(session, None, "gate", compound.id, "东门道闸")
        for visitor in range(VISITORS[size]):
            plate = f"京N{number}{visitor:04d}"
            entered = now - dt.timedelta(minutes=rng.randint(30, 600))
            gate.record_gate_event(session, device, event_id=f"demo-{plate}-in", lot_id=lot.id, plate=plate,
                                   direction="in", at=entered)
            events += 1
            if visitor % 3:   # two in three have left; most of them paid
                answer = gate.record_gate_event(session, device, event_id=f"demo-{plate}-out", lot_id=lot.id,
                                                plate=plate, direction="out", at=now - dt.timedelta(minutes=5))
                events += 1
                if answer.order_no and visitor % 4:
                    payments.complete_sandbox_payment(session, answer.order_no)
        gate.record_gate_event(session, device, event_id="demo-orphan-out", lot_id=lot.id, plate=f"京C{number}2345",
                               direction="out", at=now - dt.timedelta(minutes=2))
        events += 1
    return f"{len(compounds)} lots, {events} gate events"
