"""Checklists by facility kind: the shipped defaults, a firm's own versions, and grading answers.

An item is {key, label, type, min, max, unit, required, severity, category}:
- pass_fail: the inspector ticks pass or fail;
- number: a reading; outside [min, max] the item fails (e.g. extinguisher pressure 1.0–1.4 MPa);
- text: a note, never failing;
- photo: a photo must come with the record (without it the record is refused).
`severity` (high|normal|low) sets the work order's priority, hence its deadline; `category`
is the work order category a failure files under.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from pm_platform.core import audit, clock
from pm_platform.core.errors import PermissionDenied, ValidationError
from pm_platform.core.models import User
from pm_platform.inspections.models import KINDS, Checklist
from pm_platform.places import scope
from pm_platform.places.service import current_firm

ITEM_TYPES = ("pass_fail", "number", "text", "photo")
SEVERITIES = ("high", "normal", "low")
PRIORITY_BY_SEVERITY = {"high": "urgent", "normal": "normal", "low": "complex"}
DEFAULT_RADIUS_M = 50
HIGH_RISK_KINDS = frozenset({"hydrant", "elevator"})
MAX_ITEMS = 40
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

KIND_LABELS = {
    "extinguisher": _l("Fire extinguisher"), "hydrant": _l("Fire hydrant"), "pump": _l("Water pump"),
    "elevator": _l("Elevator"), "gate": _l("Gate barrier"), "camera": _l("Camera"),
    "ev_charger": _l("EV charger"), "roof": _l("Roof"), "drain": _l("Drain"),
}


def _pf(key, label, severity="normal", category="facility"):
    return {"key": key, "label": label, "type": "pass_fail", "required": True, "severity": severity,
            "category": category}


def _num(key, label, low, high, unit, severity="normal", category="facility"):
    return {"key": key, "label": label, "type": "number", "min": low, "max": high, "unit": unit,
            "required": True, "severity": severity, "category": category}


def _photo(key, label):
    return {"key": key, "label": label, "type": "photo", "required": True, "severity": "low", "category": "facility"}


def _text(key, label):
    return {"key": key, "label": label, "type": "text", "required": False, "severity": "low", "category": "facility"}


# Shipped defaults (labels in Chinese: they are printed and read on site).
DEFAULT_ITEMS: dict[str, list[dict]] = {
    "extinguisher": [
        _num("pressure", "压力表读数", 1.0, 1.4, "MPa", "high", "fire_safety"),
        _pf("seal", "铅封、保险销完好", "normal", "fire_safety"),
        _pf("body", "瓶体无锈蚀变形、喷管完好", "normal", "fire_safety"),
        _pf("in_date", "在有效期内", "high", "fire_safety"),
        _photo("photo", "现场照片"),
    ],
    "hydrant": [
        _num("pressure", "栓口静压", 0.1, 0.5, "MPa", "high", "fire_safety"),
        _pf("hose", "水带、水枪齐全完好", "high", "fire_safety"),
        _pf("access", "消火栓箱无遮挡、易开启", "normal", "fire_safety"),
        _photo("photo", "现场照片"),
    ],
    "pump": [
        _num("outlet_pressure", "出口压力", 0.2, 0.8, "MPa", "high", "water"),
        _pf("noise", "运行无异响、无渗漏", "normal", "water"),
        _pf("control", "控制柜指示正常", "normal", "water"),
        _photo("photo", "现场照片"),
    ],
    "elevator": [
        _pf("certificate", "使用标志在有效期内", "high", "lift"),
        _pf("alarm", "轿厢紧急呼叫可接通", "high", "lift"),
        _pf("leveling", "平层准确、门开关正常", "normal", "lift"),
        _pf("lighting", "轿厢照明通风正常", "low", "lift"),
        _photo("photo", "现场照片"),
    ],
    "gate": [
        _pf("barrier", "道闸起落正常", "normal", "parking"),
        _pf("recognition", "车牌识别正常", "normal", "parking"),
        _pf("safety", "防砸功能有效", "high", "parking"),
    ],
    "camera": [
        _pf("image", "画面清晰、无遮挡", "normal", "security"),
        _pf("recording", "录像存储正常", "normal", "security"),
    ],
    "ev_charger": [
        _pf("charging", "可正常充电", "normal", "ev_charging"),
        _pf("cable", "充电枪线缆无破损", "high", "ev_charging"),
        _pf("grounding", "接地、漏电保护正常", "high", "ev_charging"),
        _photo("photo", "现场照片"),
    ],
    "roof": [
        _pf("waterproofing", "防水层无破损、起鼓", "normal", "roof_leak"),
        _pf("outlets", "落水口通畅", "normal", "roof_leak"),
        _text("note", "其他情况"),
    ],
    "drain": [
        _pf("flow", "排水通畅、无积水", "normal", "drain"),
        _pf("cover", "井盖完好、无位移", "high", "drain"),
    ],
}


@dataclass(frozen=True)
class EffectiveChecklist:
    kind: str
    items: list[dict]
    radius_m: int
    is_high_risk: bool
    firm_id: int | None  # None: the shipped default


def default_checklist(kind: str) -> EffectiveChecklist:
    return EffectiveChecklist(kind, DEFAULT_ITEMS[kind], DEFAULT_RADIUS_M, kind in HIGH_RISK_KINDS, None)


def checklist_for(session: Session, compound_id: int, kind: str) -> EffectiveChecklist:
    """The checklist the firm serving the compound uses for this kind (else the default)."""
    firm = current_firm(session, compound_id)
    return firm_checklist(session, firm.id, kind) if firm else default_checklist(kind)


def firm_checklist(session: Session, firm_id: int, kind: str) -> EffectiveChecklist:
    own = session.scalar(select(Checklist).where(Checklist.firm_id == firm_id, Checklist.kind == kind))
    if own is None:
        return default_checklist(kind)
    return EffectiveChecklist(kind, own.items, own.radius_m, own.is_high_risk, firm_id)


def managed_firm_ids(session: Session, user: User) -> list[int]:
    return [g.id for g in scope.grants_of(session, user) if g.role == "firm_manager" and g.kind == "firm"]


def validate_items(raw_items: list[dict]) -> list[dict]:
    """Normalise and check a checklist's items; raise ValidationError naming the bad one."""
    if not raw_items:
        raise ValidationError("a checklist needs at least one item", "items")
    if len(raw_items) > MAX_ITEMS:
        raise ValidationError("at most {limit} items", "items", limit=MAX_ITEMS)
    items, keys = [], set()
    for n, raw in enumerate(raw_items, start=1):
        label = str(raw.get("label") or "").strip()
        if not label or len(label) > 200:
            raise ValidationError("item {n}: the label must be 1–200 characters", "items", n=n)
        key = str(raw.get("key") or "").strip() or f"item_{n}"
        if not _KEY.match(key) or key in keys:
            raise ValidationError("item {n}: key {key!r} must be unique lowercase letters, digits or _", "items",
                                  n=n, key=key)
        keys.add(key)
        kind = raw.get("type")
        if kind not in ITEM_TYPES:
            raise ValidationError("item {n}: type must be one of {choices}", "items",
                                  n=n, choices=", ".join(ITEM_TYPES))
        severity = raw.get("severity") or "normal"
        if severity not in SEVERITIES:
            raise ValidationError("item {n}: severity must be high, normal or low", "items", n=n)
        item = {"key": key, "label": label, "type": kind, "required": bool(raw.get("required", True)),
                "severity": severity, "category": str(raw.get("category") or "facility")[:30]}
        if kind == "number":
            low, high = _number(raw.get("min"), n, "min"), _number(raw.get("max"), n, "max")
            if low is None and high is None:
                raise ValidationError("item {n}: a reading needs a minimum, a maximum or both", "items", n=n)
            if low is not None and high is not None and low > high:
                raise ValidationError("item {n}: the minimum is above the maximum", "items", n=n)
            item.update(min=low, max=high, unit=str(raw.get("unit") or "")[:20])
        items.append(item)
    return items


def _number(value, n: int, which: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValidationError("item {n}: {which} must be a number, not {value!r}", "items",
                              n=n, which=which, value=value) from None


def save_checklist(session: Session, actor: User, firm_id: int, kind: str, items: list[dict],
                   radius_m: int, is_high_risk: bool) -> Checklist:
    """A firm manager replaces their firm's checklist for a kind."""
    if firm_id not in managed_firm_ids(session, actor):
        raise PermissionDenied("only the firm's manager edits its checklists")
    if kind not in KINDS:
        raise ValidationError("kind must be one of {choices}", "kind", choices=", ".join(KINDS))
    if not 5 <= radius_m <= 1000:
        raise ValidationError("the allowed radius must be 5–1000 m", "radius_m")
    items = validate_items(items)
    checklist = session.scalar(select(Checklist).where(Checklist.firm_id == firm_id, Checklist.kind == kind))
    if checklist is None:
        checklist = Checklist(firm_id=firm_id, kind=kind)
        session.add(checklist)
    checklist.items, checklist.radius_m, checklist.is_high_risk = items, radius_m, is_high_risk
    checklist.updated_by_id, checklist.updated_at = actor.id, clock.now_utc()
    session.flush()
    audit.record(session, actor, "inspection.checklist.save", "inspection_checklist", checklist.id,
                 {"firm_id": firm_id, "kind": kind, "radius_m": radius_m, "high_risk": is_high_risk, "items": items})
    return checklist


def grade(items: list[dict], answers: list[dict], photo_keys: set[str]) -> list[dict]:
    """Each item with the answer given and whether it passed; raise on a missing or bad answer."""
    given = {}
    for answer in answers or []:
        if not isinstance(answer, dict) or "item" not in answer:
            raise ValidationError("each answer must be {\"item\": key, \"value\": ...}", "answers")
        given[str(answer["item"])] = answer.get("value")
    unknown = set(given) - {item["key"] for item in items}
    if unknown:
        raise ValidationError("unknown checklist item(s): {items}", "answers", items=", ".join(sorted(unknown)))
    graded = []
    for item in items:
        value = given.get(item["key"])
        row = {k: item.get(k) for k in ("key", "label", "type", "min", "max", "unit", "severity", "category")}
        if item["type"] == "photo":
            if item.get("required") and item["key"] not in photo_keys:
                raise ValidationError("“{label}”: a photo is required", item["key"], label=item["label"])
            row.update(value=item["key"] in photo_keys, passed=True)
        elif item["type"] == "pass_fail":
            passed = _pass_fail(value, item)
            row.update(value=passed, passed=passed)
        elif item["type"] == "number":
            reading = _reading(value, item)
            low, high = item.get("min"), item.get("max")
            row.update(value=reading, passed=(low is None or reading >= low) and (high is None or reading <= high))
        else:
            text = "" if value is None else str(value).strip()[:1000]
            if item.get("required") and not text:
                raise ValidationError("“{label}” is required", item["key"], label=item["label"])
            row.update(value=text, passed=True)
        graded.append(row)
    return graded


def _pass_fail(value, item: dict) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if value is not None else ""
    if text in ("pass", "true", "1", "yes", "ok"):
        return True
    if text in ("fail", "false", "0", "no"):
        return False
    raise ValidationError("“{label}”: answer pass or fail", item["key"], label=item["label"])


def _reading(value, item: dict) -> float:
    if isinstance(value, bool) or value is None or str(value).strip() == "":
        raise ValidationError("“{label}”: enter the reading as a number", item["key"], label=item["label"])
    try:
        reading = float(str(value).strip())
    except ValueError:
        reading = math.nan
    if not math.isfinite(reading):
        raise ValidationError("“{label}”: {value!r} is not a number", item["key"], label=item["label"], value=value)
    return reading
