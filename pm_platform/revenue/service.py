"""The owners' common fund (Civil Code Art. 282): ledger entries, reversals, quarterly disclosure."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pm_platform.core import audit, clock, locks
from pm_platform.core.errors import Conflict, DomainError, NotFound, ValidationError
from pm_platform.core.models import User
from pm_platform.places import scope
from pm_platform.places.models import Compound
from pm_platform.revenue.models import SOURCES, Disclosure, FundAttachment, FundEntry

KEEPER_ROLES = frozenset({"admin", "firm_manager", "committee"})   # post entries, publish a disclosure
REVIEWER_ROLES = frozenset({"committee"})
STAFF_VIEW_ROLES = scope.STAFF_ROLES
MAX_ATTACHMENT = 5 * 1024 * 1024
DISCLOSURE_GRACE_DAYS = 15   # a quarter is disclosed by the 15th of the month after it ends
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


# --- quarters -----------------------------------------------------------------

def quarter_of(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def parse_quarter(text: str) -> str:
    if not isinstance(text, str) or not _QUARTER.match(text):
        raise ValidationError("quarter must look like 2026-Q3, not {text!r}", "quarter", text=text)
    return text


def quarter_bounds(quarter: str) -> tuple[dt.date, dt.date]:
    """First day of the quarter and first day of the next (local dates)."""
    year, number = _QUARTER.match(parse_quarter(quarter)).groups()
    year, month = int(year), 3 * (int(number) - 1) + 1
    start = dt.date(year, month, 1)
    return start, dt.date(year + (month + 3 > 12), (month + 2) % 12 + 1, 1)


def previous_quarter(day: dt.date) -> str:
    return quarter_of(quarter_bounds(quarter_of(day))[0] - dt.timedelta(days=1))


def due_on(quarter: str) -> dt.date:
    return quarter_bounds(quarter)[1] + dt.timedelta(days=DISCLOSURE_GRACE_DAYS - 1)


# --- the ledger -----------------------------------------------------------------------

def _keeper_check(session: Session, actor: User | None, compound_id: int) -> None:
    if actor is not None:
        scope.get_compound(session, actor, compound_id, roles=KEEPER_ROLES)
    elif session.get(Compound, compound_id) is None:
        raise NotFound("compound {compound} not found", compound=compound_id)


def _check_date(session: Session, compound_id: int, occurred_on: dt.date) -> None:
    if not isinstance(occurred_on, dt.date):
        raise ValidationError("date is required", "occurred_on")
    if occurred_on > clock.local_today():
        raise ValidationError("the date must not be in the future", "occurred_on")
    published = session.scalar(select(Disclosure.id).where(
        Disclosure.compound_id == compound_id, Disclosure.quarter == quarter_of(occurred_on),
        Disclosure.published_at.is_not(None)))
    if published:
        raise Conflict("{quarter} has been disclosed to owners; date the entry in an open quarter", "occurred_on",
                       quarter=quarter_of(occurred_on))


def _amount(value, field: str, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValidationError("{name} must be a whole number of fen, at least {minimum}", field, name=field,
                              minimum=minimum)
    return value


def _text(value: str, field: str, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError("{name} is required", field, name=field)
    if len(value) > limit:
        raise ValidationError("{name} must be at most {limit} characters", field, name=field, limit=limit)
    return value


def post_revenue_entry(session: Session, actor: User | None, *, compound_id: int, source: str, gross_fen: int,
                       cost_fen: int = 0, cost_justification: str = "", occurred_on: dt.date, description: str,
                       external_ref: str | None = None) -> FundEntry:
    """Income from a common part: gross, reasonable cost (with why) and the net to the fund.

    `external_ref` names a posting from another domain (e.g. a locker settlement): the same
    ref again returns the first entry. `actor` None is the system (a task)."""
    _keeper_check(session, actor, compound_id)
    if external_ref:
        existing = session.scalar(select(FundEntry).where(FundEntry.compound_id == compound_id,
                                                          FundEntry.external_ref == external_ref))
        if existing is not None:
            return existing
    if source not in SOURCES:
        raise ValidationError("source must be one of {choices}", "source", choices=", ".join(SOURCES))
    gross_fen, cost_fen = _amount(gross_fen, "gross_fen"), _amount(cost_fen, "cost_fen")
    if cost_fen > gross_fen:
        raise ValidationError("the cost must not exceed the gross income", "cost_fen")
    justification = _text(cost_justification, "cost_justification", 2000, required=cost_fen > 0)
    _check_date(session, compound_id, occurred_on)
    entry = FundEntry(compound_id=compound_id, kind="revenue", source=source, occurred_on=occurred_on,
                      description=_text(description, "description", 300), gross_fen=gross_fen, cost_fen=cost_fen,
                      cost_justification=justification, amount_fen=gross_fen - cost_fen,
                      external_ref=external_ref, created_by_id=actor.id if actor else None)
    session.add(entry)
    session.flush()
    _audit(session, actor, "revenue.entry_posted", entry)
    return entry


def post_expenditure(session: Session, actor: User, *, compound_id: int, amount_fen: int, description: str,
                     decision_ref: str, occurred_on: dt.date, attachment_name: str, attachment_type: str,
                     attachment_data: bytes) -> FundEntry:
    """Spending from the fund: it names the owners' decision or committee resolution that approved it
    and carries that document as an attachment."""
    _keeper_check(session, actor, compound_id)
    amount_fen = _amount(amount_fen, "amount_fen", 1)
    decision_ref = _text(decision_ref, "decision_ref", 200)
    if not attachment_data:
        raise ValidationError("attach the approving decision or resolution", "attachment")
    if len(attachment_data) > MAX_ATTACHMENT:
        raise ValidationError("the attachment must be at most 5 MB", "attachment")
    _check_date(session, compound_id, occurred_on)
    entry = FundEntry(compound_id=compound_id, kind="expenditure", occurred_on=occurred_on,
                      description=_text(description, "description", 300), amount_fen=-amount_fen,
                      decision_ref=decision_ref, created_by_id=actor.id)
    session.add(entry)
    session.flush()
    session.add(FundAttachment(entry_id=entry.id, filename=_text(attachment_name, "attachment", 200),
                               content_type=(attachment_type or "application/octet-stream")[:100],
                               sha256=hashlib.sha256(attachment_data).hexdigest(), data=attachment_data))
    session.flush()
    _audit(session, actor, "revenue.expenditure_posted", entry)
    return entry


def reverse_entry(session: Session, actor: User, entry_id: int, reason: str) -> FundEntry:
    """Undo an entry by a new one with the opposite amounts, dated today."""
    original = session.get(FundEntry, entry_id)
    if original is None:
        raise NotFound("ledger entry {entry} not found", entry=entry_id)
    _keeper_check(session, actor, original.compound_id)
    if original.kind == "reversal":
        raise ValidationError("a reversal cannot itself be reversed; post a new entry", "entry_id")
    if session.scalar(select(FundEntry.id).where(FundEntry.reverses_id == original.id)):
        raise Conflict("this entry has already been reversed", "entry_id")
    today = clock.local_today()
    _check_date(session, original.compound_id, today)
    entry = FundEntry(compound_id=original.compound_id, kind="reversal", source=original.source, occurred_on=today,
                      description=_text(reason, "reason", 300), gross_fen=-original.gross_fen,
                      cost_fen=-original.cost_fen, amount_fen=-original.amount_fen, reverses_id=original.id,
                      created_by_id=actor.id)
    session.add(entry)
    session.flush()
    _audit(session, actor, "revenue.entry_reversed", entry)
    return entry


def _audit(session: Session, actor: User | None, action: str, entry: FundEntry) -> None:
    audit.record(session, actor, action, "fund_entry", entry.id, {
        "compound_id": entry.compound_id, "kind": entry.kind, "source": entry.source,
        "gross_fen": entry.gross_fen, "cost_fen": entry.cost_fen, "amount_fen": entry.amount_fen,
        "occurred_on": entry.occurred_on, "reverses_id": entry.reverses_id, "decision_ref": entry.decision_ref,
    })


def balance(session: Session, compound_id: int, before: dt.date | None = None) -> int:
    """The fund's balance: always the sum of its entries (those dated before `before`, if given)."""
    query = select(func.coalesce(func.sum(FundEntry.amount_fen), 0)).where(FundEntry.compound_id == compound_id)
    if before is not None:
        query = query.where(FundEntry.occurred_on < before)
    return int(session.scalar(query))


def list_entries(session: Session, actor: User, compound_id: int) -> list[FundEntry]:
    """Every role over the compound may read its ledger (owners only their own compound's)."""
    scope.get_compound(session, actor, compound_id)
    return list(session.scalars(select(FundEntry).where(
        FundEntry.compound_id.in_(scope.compound_ids(session, actor)), FundEntry.compound_id == compound_id,
    ).order_by(FundEntry.occurred_on.desc(), FundEntry.id.desc())))


def get_attachment(session: Session, actor: User, entry_id: int) -> FundAttachment:
    attachment = session.scalar(select(FundAttachment).where(FundAttachment.entry_id == entry_id))
    if attachment is None:
        raise NotFound("no attachment")
    scope.get_compound(session, actor, attachment.entry.compound_id)
    return attachment


# --- disclosure ------------------------------------------------------------------------------

def quarter_figures(session: Session, compound_id: int, quarter: str) -> dict:
    """Income by source, costs, spending and balances of one quarter, to the fen. Each source's
    `costs` lists every reason given for its cost once, with the sum of the cost given for it."""
    start, end = quarter_bounds(quarter)
    entries = session.scalars(select(FundEntry).where(
        FundEntry.compound_id == compound_id, FundEntry.occurred_on >= start, FundEntry.occurred_on < end,
    ).order_by(FundEntry.occurred_on, FundEntry.id)).all()
    income = {source: {"source": source, "gross_fen": 0, "cost_fen": 0, "net_fen": 0} for source in SOURCES}
    costs: dict[str, dict[str, int]] = {source: {} for source in SOURCES}   # source → reason → fen
    spending = []
    for entry in entries:
        if entry.source is not None:   # revenue, or the reversal of revenue
            line = income[entry.source]
            line["gross_fen"] += entry.gross_fen
            line["cost_fen"] += entry.cost_fen
            line["net_fen"] += entry.amount_fen
            if entry.cost_fen:         # a reversal takes its cost back under the original's reason
                why = entry.cost_justification or (entry.reverses.cost_justification if entry.reverses else "")
                costs[entry.source][why] = costs[entry.source].get(why, 0) + entry.cost_fen
        else:                          # an expenditure, or its reversal
            spending.append({"id": entry.id, "occurred_on": entry.occurred_on.isoformat(),
                             "description": entry.description, "decision_ref": entry.decision_ref
                             or (entry.reverses.decision_ref if entry.reverses else ""),
                             "amount_fen": -entry.amount_fen})
    opening = balance(session, compound_id, before=start)
    change = sum(entry.amount_fen for entry in entries)
    for source, line in income.items():
        # each reason once with the cost it covers: monthly entries repeat the same reason
        line["costs"] = [{"reason": why, "cost_fen": fen} for why, fen in costs[source].items() if fen]
    lines = [line for line in income.values() if line["gross_fen"] or line["cost_fen"]]
    return {
        "quarter": quarter, "start": start.isoformat(), "end": (end - dt.timedelta(days=1)).isoformat(),
        "opening_fen": opening, "income": lines,
        "gross_fen": sum(line["gross_fen"] for line in lines), "cost_fen": sum(line["cost_fen"] for line in lines),
        "net_fen": sum(line["net_fen"] for line in lines), "spending": spending,
        "spending_fen": sum(item["amount_fen"] for item in spending), "closing_fen": opening + change,
    }


def prepare_disclosure(session: Session, compound_id: int, quarter: str) -> Disclosure:
    """Draft (or refresh the draft of) a quarter's disclosure; a published one is left as it is."""
    start, end = quarter_bounds(quarter)
    if end > clock.local_today():
        raise ValidationError("{quarter} has not ended yet", "quarter", quarter=quarter)
    disclosure = session.scalar(select(Disclosure).where(Disclosure.compound_id == compound_id,
                                                         Disclosure.quarter == quarter))
    if disclosure is None:
        disclosure = Disclosure(compound_id=compound_id, quarter=quarter, due_on=due_on(quarter), figures="{}",
                                prepared_at=clock.now_utc())
        session.add(disclosure)
    if disclosure.published_at is None:
        disclosure.figures = json.dumps(quarter_figures(session, compound_id, quarter), ensure_ascii=False)
        disclosure.prepared_at = clock.now_utc()
    session.flush()
    return disclosure


def _draft_refusal(session: Session, compound_id: int, quarter: str) -> DomainError | None:
    """Why a keeper may not draft `quarter`'s disclosure now, or None: it must have ended, and a
    published quarter is fixed (it offers its page and PDF, not a new draft)."""
    if quarter_bounds(quarter)[1] > clock.local_today():
        return ValidationError("{quarter} has not ended yet", "quarter", quarter=quarter)
    if session.scalar(select(Disclosure.id).where(Disclosure.compound_id == compound_id, Disclosure.quarter == quarter,
                                                  Disclosure.published_at.is_not(None))):
        return Conflict("{quarter} has been published to owners; its figures are fixed", "quarter", quarter=quarter)
    return None


def may_draft_disclosure(session: Session, actor: User, compound_id: int, quarter: str) -> bool:
    """Whether the page may offer `actor` to draft `quarter`'s disclosure (see draft_disclosure)."""
    if not scope.roles_on(session, actor, compound_id) & KEEPER_ROLES:
        return False
    return _draft_refusal(session, compound_id, parse_quarter(quarter)) is None


def draft_disclosure(session: Session, actor: User, compound_id: int, quarter: str) -> Disclosure:
    """A keeper drafts (or refreshes the draft of) a quarter's disclosure now, without waiting for the
    quarterly job; a quarter not over, or already published, is refused."""
    scope.get_compound(session, actor, compound_id, roles=KEEPER_ROLES)
    if refusal := _draft_refusal(session, compound_id, parse_quarter(quarter)):
        raise refusal
    return prepare_disclosure(session, compound_id, quarter)


def prepare_quarter_disclosures(session: Session, today: dt.date | None = None) -> int:
    """The periodic job: draft last quarter's disclosure for every compound. Safe to run twice."""
    locks.serialize(session, "revenue.prepare_disclosures")  # one run at a time
    quarter = previous_quarter(today or clock.local_today())
    compound_ids = session.scalars(select(Compound.id).order_by(Compound.id)).all()
    for compound_id in compound_ids:
        prepare_disclosure(session, compound_id, quarter)
    return len(compound_ids)


def _disclosure(session: Session, compound_id: int, quarter: str) -> Disclosure:
    disclosure = session.scalar(select(Disclosure).where(Disclosure.compound_id == compound_id,
                                                         Disclosure.quarter == parse_quarter(quarter)))
    if disclosure is None:
        raise NotFound("no disclosure for {quarter}", quarter=quarter)
    return disclosure


def publish_disclosure(session: Session, actor: User, compound_id: int, quarter: str) -> Disclosure:
    """Show the quarter to the compound's owners, with figures as of now; from then on it is fixed."""
    scope.get_compound(session, actor, compound_id, roles=KEEPER_ROLES)
    disclosure = prepare_disclosure(session, compound_id, parse_quarter(quarter))
    if disclosure.published_at is None:
        disclosure.published_at, disclosure.published_by_id = clock.now_utc(), actor.id
        session.flush()
        audit.record(session, actor, "revenue.disclosure_published", "fund_disclosure", disclosure.id,
                     {"compound_id": compound_id, "quarter": quarter, "figures": json.loads(disclosure.figures)})
    return disclosure


def mark_reviewed(session: Session, actor: User, compound_id: int, quarter: str) -> Disclosure:
    scope.get_compound(session, actor, compound_id, roles=REVIEWER_ROLES)
    disclosure = _disclosure(session, compound_id, quarter)
    if disclosure.published_at is None:
        raise Conflict("publish the disclosure before marking it reviewed")
    if disclosure.reviewed_at is None:
        disclosure.reviewed_at, disclosure.reviewed_by_id = clock.now_utc(), actor.id
        session.flush()
        audit.record(session, actor, "revenue.disclosure_reviewed", "fund_disclosure", disclosure.id,
                     {"compound_id": compound_id, "quarter": quarter})
    return disclosure


def get_disclosure(session: Session, actor: User, compound_id: int, quarter: str) -> Disclosure:
    """Owners see a published disclosure; staff over the compound also see the draft."""
    scope.get_compound(session, actor, compound_id)
    disclosure = _disclosure(session, compound_id, quarter)
    if disclosure.published_at is None and not scope.roles_on(session, actor, compound_id) & STAFF_VIEW_ROLES:
        raise NotFound("no disclosure for {quarter}", quarter=quarter)
    return disclosure


def list_disclosures(session: Session, actor: User, compound_id: int) -> list[Disclosure]:
    scope.get_compound(session, actor, compound_id)
    query = select(Disclosure).where(Disclosure.compound_id == compound_id,
                                     Disclosure.compound_id.in_(scope.compound_ids(session, actor)))
    if not scope.roles_on(session, actor, compound_id) & STAFF_VIEW_ROLES:
        query = query.where(Disclosure.published_at.is_not(None))
    return list(session.scalars(query.order_by(Disclosure.quarter.desc())))


def disclosures_to_review(session: Session, actor: User) -> list[Disclosure]:
    """For the committee: prepared disclosures not yet published, and published ones not yet
    marked reviewed, in the compounds where the actor reviews."""
    return list(session.scalars(select(Disclosure).where(
        Disclosure.compound_id.in_(scope.compound_ids(session, actor, REVIEWER_ROLES)),
        Disclosure.reviewed_at.is_(None)).order_by(Disclosure.quarter.desc(), Disclosure.compound_id)))


def is_on_time(disclosure: Disclosure | None) -> bool:
    if disclosure is None or disclosure.published_at is None:
        return False
    return clock.to_local(disclosure.published_at).date() <= disclosure.due_on


def latest_due_quarter(day: dt.date) -> str:
    """The last quarter whose disclosure was due on or before `day`."""
    quarter = previous_quarter(day)
    return quarter if due_on(quarter) <= day else previous_quarter(quarter_bounds(quarter)[0])


def _on_time(session: Session, compound_ids: list[int], quarter: str) -> tuple[dict, dict]:
    """Each compound's disclosure of `quarter` (if any) and whether it was published on time;
    None where nothing was due: no draft was prepared and no entry predates the quarter's end."""
    quarter_end = quarter_bounds(quarter)[1]
    rows = {d.compound_id: d for d in session.scalars(select(Disclosure).where(
        Disclosure.compound_id.in_(compound_ids), Disclosure.quarter == quarter))}
    with_entries = set(session.scalars(select(FundEntry.compound_id).where(
        FundEntry.compound_id.in_(compound_ids), FundEntry.occurred_on < quarter_end).distinct()))
    return rows, {cid: is_on_time(rows.get(cid)) if cid in rows or cid in with_entries else None
                  for cid in compound_ids}


def disclosure_on_time(session: Session, compound_ids: list[int], period: str) -> dict[int, bool | None]:
    """For scoring: was the latest disclosure due by the end of `period` (YYYY-MM) published by its
    due date? None where no disclosure was due."""
    _start, end = clock.period_bounds(period)
    return _on_time(session, list(compound_ids), latest_due_quarter(end - dt.timedelta(days=1)))[1]


def disclosure_status(session: Session, actor: User, today: dt.date | None = None) -> tuple[str, list[dict]]:
    """For a community office: each compound in scope and its latest due disclosure's state."""
    scope.require_any_role(session, actor, scope.OFFICE_ROLES)
    quarter = latest_due_quarter(today or clock.local_today())
    compounds = session.scalars(select(Compound).where(
        Compound.id.in_(scope.compound_ids(session, actor, scope.OFFICE_ROLES))).order_by(Compound.id)).all()
    rows, on_time = _on_time(session, [c.id for c in compounds], quarter)
    return quarter, [{"compound": c, "disclosure": rows.get(c.id), "on_time": on_time[c.id]} for c in compounds]
