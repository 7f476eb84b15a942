"""Shared builders for work-order tests."""
from __future__ import annotations

import io

from PIL import Image

from pm_platform.workorders import service


def jpeg(width: int = 64, height: int = 48, color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "JPEG")
    return out.getvalue()


def report(session, world, resident, category="water", unit=True, **extra):
    compound = world.compounds[0]
    kwargs = dict(compound_id=compound.id, source="resident", category=category, description="厨房水管漏水")
    if unit:
        kwargs["unit_id"] = world.units[compound.id][0].id
    kwargs.update(extra)
    return service.create_work_order(session, resident, **kwargs)


def walk_to_resolved(session, order, manager, repairer):
    service.transition_work_order(session, manager, order.id, "accepted")
    service.transition_work_order(session, manager, order.id, "assigned", assignee_id=repairer.id)
    service.transition_work_order(session, repairer, order.id, "in_progress")
    service.transition_work_order(session, repairer, order.id, "resolved", note="换了阀门", photos=[jpeg()])
    return order
