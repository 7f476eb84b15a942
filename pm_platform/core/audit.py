"""Hash-chained audit log: an edit after the fact breaks the chain and is found."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pm_platform.core import clock
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
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(727001)"))
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


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    prev_hash, checked, last_id = GENESIS, 0, 0
    while True:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not entries:
            return ChainReport(checked, None, None)
        for entry in entries:
            if entry.prev_hash != prev_hash:
                return ChainReport(checked, entry.id, "previous-hash link does not match")
            expected = _entry_hash(prev_hash, _stamp(entry), entry.actor_id, entry.action,
                                   entry.entity, entry.entity_id, entry.payload)
            if entry.hash != expected:
                return ChainReport(checked, entry.id, "content does not match its hash")
            prev_hash, last_id = entry.hash, entry.id
            checked += 1
