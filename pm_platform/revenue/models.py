"""The owners' common fund: an append-only ledger per compound, and its quarterly disclosure."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pm_platform.db import Base, CreatedAt, Fen, intpk, in_values

SOURCES = ("parking", "lockers", "advertising", "venue_rental", "recycling", "other")
ENTRY_KINDS = ("revenue", "expenditure", "reversal")




class FundEntry(Base):
    """One line of a compound's common-fund ledger. Never edited: a mistake is reversed.

    `amount_fen` is what the line adds to the balance: net income (gross − cost) for
    revenue, minus the amount spent for an expenditure, minus the original for a reversal.
    """

    __tablename__ = "fund_entries"
    __table_args__ = (
        CheckConstraint(in_values("kind", ENTRY_KINDS), name="kind"),
        CheckConstraint(f"source IS NULL OR {in_values('source', SOURCES)}", name="source"),
        CheckConstraint("kind != 'revenue' OR (source IS NOT NULL AND gross_fen >= 0 AND cost_fen >= 0 "
                        "AND amount_fen = gross_fen - cost_fen)", name="revenue_net"),
        CheckConstraint("kind != 'expenditure' OR (amount_fen < 0 AND decision_ref != '')", name="expenditure"),
        CheckConstraint("(kind = 'reversal') = (reverses_id IS NOT NULL)", name="reversal_ref"),
        # one reversal per entry, and a posting from elsewhere (a settlement) lands once
        UniqueConstraint("reverses_id"),
        UniqueConstraint("compound_id", "external_ref"),
    )

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(20))
    occurred_on: Mapped[dt.date]
    description: Mapped[str] = mapped_column(String(300))
    gross_fen: Mapped[Fen] = mapped_column(default=0)
    cost_fen: Mapped[Fen] = mapped_column(default=0)
    cost_justification: Mapped[str] = mapped_column(Text, default="")
    amount_fen: Mapped[Fen]
    decision_ref: Mapped[str] = mapped_column(String(200), default="")
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("fund_entries.id"))
    external_ref: Mapped[str | None] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]

    reverses: Mapped[FundEntry | None] = relationship(remote_side="FundEntry.id")
    attachment: Mapped[FundAttachment | None] = relationship(back_populates="entry", uselist=False, lazy="raise")


class FundAttachment(Base):
    """The scanned decision or resolution behind an expenditure (kept in the database with its hash)."""

    __tablename__ = "fund_attachments"

    id: Mapped[intpk]
    entry_id: Mapped[int] = mapped_column(ForeignKey("fund_entries.id"), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)

    entry: Mapped[FundEntry] = relationship(back_populates="attachment")


class Disclosure(Base):
    """A quarter's disclosure (公示) for one compound: prepared, published to owners, reviewed.

    `figures` is the JSON snapshot owners saw; the ledger cannot change under it because
    entries dated in a published quarter are refused.
    """

    __tablename__ = "fund_disclosures"
    __table_args__ = (UniqueConstraint("compound_id", "quarter"),)

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(7))   # 2026-Q3
    due_on: Mapped[dt.date]
    figures: Mapped[str] = mapped_column(Text)
    prepared_at: Mapped[dt.datetime]
    published_at: Mapped[dt.datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
