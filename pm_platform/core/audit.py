"""Hash-chained audit log: an edit after the fact breaks the chain and is found."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pm_platform.core import clock, locks
from pm_platform.core.models import AuditEntry, User

GENESIS = "0" * 64


def _entry_hash(prev_hash: str, created_at: str, actor_id, action, entity, entity_id, payload) -> str:
    material = json.dumps(
        [prev_hash, created_at, actor_id, action, entity, str(entity_id), payload],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _stamp(entry: AuditEntry) -> str:
    return clock.as_utc(entry.created_at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record(session: Session, actor: User | None, action: str, entity: str, entity_id, data: dict) -> AuditEntry:
    """Append one entry. Appends are serialised so that the chain stays a chain."""
    locks.serialize(session, "audit.chain")
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
    prev_hash = last.hash if last else GENESIS
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    entry = AuditEntry(
        created_at=clock.now_utc(),
        actor_id=actor.id if actor else None,
        action=action, entity=entity, entity_id=str(entity_id), payload=payload, prev_hash=prev_hash,
    )
    entry.hash = _entry_hash(prev_hash, _stamp(entry), entry.actor_id, action, entity, entry.entity_id, payload)
    session.add(entry)
    session.flush()
    return entry


@dataclass
class ChainReport:
    checked: int
    broken_at: int | None  # id of the first entry that does not match
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def chain_head(session: Session) -> dict:
    """The newest entry as {"id", "hash", "at"}: kept somewhere else (e.g. sent to the street office
    each day), it lets `verify_chain(head=...)` notice entries deleted from the end, which the
    links alone cannot show."""
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
    if last is None:
        return {"id": 0, "hash": GENESIS, "at": None}
    return {"id": last.id, "hash": last.hash, "at": _stamp(last)}


def parse_head(head) -> tuple[int, str]:
    """(id, hash) of an exported head; ValueError when it is not one."""
    if not isinstance(head, dict):
        raise ValueError("the head must be a JSON object with id and hash")
    head_id, head_hash = head.get("id"), head.get("hash")
    if not isinstance(head_id, int) or isinstance(head_id, bool) or head_id < 0:
        raise ValueError("the head's id must be a whole number")
    if not isinstance(head_hash, str) or len(head_hash) != 64:
        raise ValueError("the head's hash must be 64 hexadecimal characters")
    return head_id, head_hash


def verify_chain(session: Session, batch: int = 5000, head: dict | None = None) -> ChainReport:
    """Walk the chain from the start; with an exported `head`, the chain must also pass through
    that entry unchanged (entries deleted from the end, or rewritten after it, are found)."""
    head_id, head_hash = parse_head(head) if head is not None else (None, None)
    head_seen = head_id == 0 and head_hash == GENESIS
    prev_hash, checked, last_id = GENESIS, 0, 0
    while True:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not entries:
            if head_id is not None and not head_seen:
                return ChainReport(checked, head_id, (
                    f"the chain ends at entry {last_id} and never reaches the exported head (entry {head_id}, "
                    f"hash {head_hash[:12]}…): entries at the end were deleted"))
            return ChainReport(checked, None, None)
        for entry in entries:
            if entry.prev_hash != prev_hash:
                return ChainReport(checked, entry.id, "previous-hash link does not match")
            expected = _entry_hash(prev_hash, _stamp(entry), entry.actor_id, entry.action,
                                   entry.entity, entry.entity_id, entry.payload)
            if entry.hash != expected:
                return ChainReport(checked, entry.id, "content does not match its hash")
            if head_id is not None and not head_seen and entry.id >= head_id:
                if entry.id != head_id or entry.hash != head_hash:
                    return ChainReport(checked, head_id, (
                        f"the exported head (entry {head_id}, hash {head_hash[:12]}…) is not in the chain: "
                        f"entries were deleted or replaced at or before it"))
                head_seen = True
            prev_hash, last_id = entry.hash, entry.id
            checked += 1
