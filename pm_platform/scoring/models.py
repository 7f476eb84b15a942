"""Scoring schemes, spot checks, safety incidents, scorecards and their freezing,
red/black lists, the firms' warning ladder and the reward funds."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pm_platform.db import Base, CreatedAt, Fen, intpk

Month = String(7)  # 'YYYY-MM', a scoring month in Asia/Shanghai
SPOT_ITEMS = ("cleaning", "greenery", "fire_lanes", "parking", "notice_board", "facilities")
SPOT_MAX = 10  # each item is scored 0–10
SPOT_PASS = 6  # an item scored below 6 of 10 failed
LADDER = ("notice", "interview", "rectification", "report")  # 通报 → 约谈 → 限期整改 → 报区


class ScoringScheme(Base):
    """A district's scheme from one month on (until a later version); `definition` holds
    weights, floors, targets and deductions as in arithmetic.DEFAULT_SCHEME."""

    __tablename__ = "scoring_schemes"
    __table_args__ = (UniqueConstraint("district_id", "effective_month"),)

    id: Mapped[intpk]
    district_id: Mapped[int] = mapped_column(ForeignKey("admin_areas.id"))
    effective_month: Mapped[str] = mapped_column(Month)
    definition: Mapped[dict] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]


class SpotCheck(Base):
    """A community office's spot check (抽查) of one compound."""

    __tablename__ = "spot_checks"
    __table_args__ = (Index("ix_spot_checks_compound_month", "compound_id", "month"),)

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"))
    month: Mapped[str] = mapped_column(Month)
    checked_on: Mapped[dt.date] = mapped_column(Date)
    checked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[CreatedAt]

    items: Mapped[list[SpotCheckItem]] = relationship(back_populates="spot_check", order_by="SpotCheckItem.id")

    @property
    def score(self) -> int:
        return sum(item.score for item in self.items)

    @property
    def max_score(self) -> int:
        return SPOT_MAX * len(self.items)


class SpotCheckItem(Base):
    __tablename__ = "spot_check_items"
    __table_args__ = (
        UniqueConstraint("spot_check_id", "item"),
        CheckConstraint(f"score >= 0 AND score <= {SPOT_MAX}", name="score_range"),
    )

    id: Mapped[intpk]
    spot_check_id: Mapped[int] = mapped_column(ForeignKey("spot_checks.id"))
    item: Mapped[str] = mapped_column(String(30))
    score: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    work_order_id: Mapped[int | None]  # the order opened for the firm when the item failed

    spot_check: Mapped[SpotCheck] = relationship(back_populates="items")
    photos: Mapped[list[SpotCheckPhoto]] = relationship(order_by="SpotCheckPhoto.id")

    @property
    def failed(self) -> bool:
        return self.score < SPOT_PASS


class SpotCheckPhoto(Base):
    __tablename__ = "spot_check_photos"

    id: Mapped[intpk]
    item_id: Mapped[int] = mapped_column(ForeignKey("spot_check_items.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # pages list photos; only /photos/<id> reads one


class SafetyIncident(Base):
    """A major safety incident in a compound, recorded by an office: a deduction on the card."""

    __tablename__ = "safety_incidents"
    __table_args__ = (Index("ix_safety_incidents_compound_month", "compound_id", "month"),)

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"))
    month: Mapped[str] = mapped_column(Month)
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]


class Scorecard(Base):
    """A compound's card for a month. Before its street office publishes the month the card is
    recomputed in place; after, it is frozen and a correction adds the next revision (the
    earlier one stays, no longer current)."""

    __tablename__ = "scorecards"
    __table_args__ = (
        UniqueConstraint("compound_id", "month", "revision"),
        Index("uq_scorecards_one_current", "compound_id", "month", unique=True,
              sqlite_where=text("is_current"), postgresql_where=text("is_current")),
        Index("ix_scorecards_month_district", "month", "district_id"),
    )

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"))
    month: Mapped[str] = mapped_column(Month)
    revision: Mapped[int] = mapped_column(default=1)
    is_current: Mapped[bool] = mapped_column(default=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("admin_areas.id"))
    street_id: Mapped[int] = mapped_column(ForeignKey("admin_areas.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("admin_areas.id"))
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("property_firms.id"), index=True)  # serving at month end
    area_cm2: Mapped[int] = mapped_column(BigInteger)  # the compound's floor area, for firm weighting
    scheme_id: Mapped[int | None] = mapped_column(ForeignKey("scoring_schemes.id"))  # None: the default scheme
    total: Mapped[int | None]  # hundredths of a point; None when nothing could be measured
    grade: Mapped[str | None] = mapped_column(String(1))
    # figures the boards show beside the score (arrears, missed inspections, overdue orders …),
    # kept with the card so a board reads no other domain and a frozen month stays as published
    watch: Mapped[dict] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")  # why a revision was made
    computed_at: Mapped[dt.datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    lines: Mapped[list[ScorecardLine]] = relationship(order_by="ScorecardLine.id", cascade="all, delete-orphan")


class ScorecardLine(Base):
    """An indicator (raw numerator/denominator and points) or a deduction (count and points)."""

    __tablename__ = "scorecard_lines"
    __table_args__ = (UniqueConstraint("scorecard_id", "key"),)

    id: Mapped[intpk]
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id"))
    key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))
    weight: Mapped[int]
    numerator: Mapped[int | None] = mapped_column(BigInteger)
    denominator: Mapped[int | None] = mapped_column(BigInteger)
    points: Mapped[int]  # hundredths


class PublishedMonth(Base):
    """A street office has published a month: its compounds' cards are frozen."""

    __tablename__ = "published_months"
    __table_args__ = (UniqueConstraint("street_id", "month"),)

    id: Mapped[intpk]
    street_id: Mapped[int] = mapped_column(ForeignKey("admin_areas.id"))
    month: Mapped[str] = mapped_column(Month)
    published_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[CreatedAt]


class RedBlackNotice(Base):
    """A published red/black list (红黑榜) for a street office or district and month."""

    __tablename__ = "redblack_notices"
    __table_args__ = (UniqueConstraint("area_id", "month"),)

    id: Mapped[intpk]
    area_id: Mapped[int] = mapped_column(ForeignKey("admin_areas.id"))
    month: Mapped[str] = mapped_column(Month)
    published_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[CreatedAt]

    entries: Mapped[list[RedBlackEntry]] = relationship(order_by="RedBlackEntry.id")


class RedBlackEntry(Base):
    __tablename__ = "redblack_entries"
    __table_args__ = (UniqueConstraint("notice_id", "subject", "subject_id"),)

    id: Mapped[intpk]
    notice_id: Mapped[int] = mapped_column(ForeignKey("redblack_notices.id"))
    board: Mapped[str] = mapped_column(String(5))  # red | black
    subject: Mapped[str] = mapped_column(String(10))  # compound | firm
    subject_id: Mapped[int]
    name: Mapped[str]
    rank: Mapped[int]
    total: Mapped[int]  # hundredths


class FirmWarning(Base):
    """One step of the warning ladder for a firm black-listed by a district in consecutive months."""

    __tablename__ = "firm_warnings"
    __table_args__ = (
        UniqueConstraint("firm_id", "district_id", "month"),
        CheckConstraint("step IN ('notice', 'interview', 'rectification', 'report')", name="step"),
    )

    id: Mapped[intpk]
    firm_id: Mapped[int] = mapped_column(ForeignKey("property_firms.id"))
    district_id: Mapped[int] = mapped_column(ForeignKey("admin_areas.id"))
    month: Mapped[str] = mapped_column(Month)
    step: Mapped[str] = mapped_column(String(20))
    consecutive: Mapped[int]  # months in a row on the district's black list
    due_on: Mapped[dt.date | None] = mapped_column(Date)  # rectification deadline
    notice_id: Mapped[int] = mapped_column(ForeignKey("redblack_notices.id"))
    created_at: Mapped[CreatedAt]


class RewardFund(Base):
    """A district's 以奖代补 fund for a half-year ('2026-H1')."""

    __tablename__ = "reward_funds"
    __table_args__ = (UniqueConstraint("district_id", "half"), CheckConstraint("amount_fen >= 0", name="amount"))

    id: Mapped[intpk]
    district_id: Mapped[int] = mapped_column(ForeignKey("admin_areas.id"))
    half: Mapped[str] = mapped_column(String(7))
    amount_fen: Mapped[Fen]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]
