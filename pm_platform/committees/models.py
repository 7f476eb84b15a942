"""Owners' assembly: meeting rules, motions, the frozen register, ballots, proxies, paper
ballots, announcements and committee terms."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pm_platform.committees.rules import CATEGORIES, RuleSet, Threshold
from pm_platform.db import AreaCm2, Base, CreatedAt, intpk, in_values

MOTION_STATUSES = ("draft", "open", "closed", "final")
CHOICES = ("agree", "disagree", "abstain")
CHANNELS = ("online", "proxy", "paper")
# Which ballot counts when an owner voted more than one way: their own online ballot beats
# their proxy's, and any online ballot beats a paper one.
CHANNEL_RANK = {"paper": 1, "proxy": 2, "online": 3}
PROXY_STATUSES = ("pending", "accepted", "rejected")
PAPER_STATUSES = ("pending", "confirmed")


class MeetingRuleSet(Base):
    """One version of a compound's meeting rules (议事规则); a motion keeps the version in
    force when it opened. Thresholds may be stricter than Art. 278, never looser."""

    __tablename__ = "meeting_rule_sets"
    __table_args__ = (
        UniqueConstraint("compound_id", "version"),
        CheckConstraint("proxy_limit > 0 AND objection_days >= 0", name="limits"),
    )

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    version: Mapped[int]
    participation_num: Mapped[int]
    participation_den: Mapped[int]
    ordinary_num: Mapped[int]
    ordinary_den: Mapped[int]
    ordinary_strict: Mapped[bool]
    special_num: Mapped[int]
    special_den: Mapped[int]
    special_strict: Mapped[bool]
    nonvoter_clause: Mapped[bool] = mapped_column(default=False)
    proxy_limit: Mapped[int] = mapped_column(default=5)
    objection_days: Mapped[int] = mapped_column(default=7)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]

    def rules(self) -> RuleSet:
        return RuleSet(
            participation=Threshold(self.participation_num, self.participation_den),
            ordinary=Threshold(self.ordinary_num, self.ordinary_den, self.ordinary_strict),
            special=Threshold(self.special_num, self.special_den, self.special_strict),
            nonvoter_clause=self.nonvoter_clause,
        )


class Motion(Base):
    """A question put to the owners' assembly (业主大会表决事项)."""

    __tablename__ = "motions"
    __table_args__ = (
        CheckConstraint(in_values("category", CATEGORIES), name="category"),
        CheckConstraint(in_values("status", MOTION_STATUSES), name="status"),
        CheckConstraint("closes_at > opens_at", name="window"),
        CheckConstraint("seats IS NULL OR seats IN (5, 7, 9, 11)", name="seats"),
    )

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    title: Mapped[str]
    body: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(30))
    seats: Mapped[int | None]  # committee elections only
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    notice_on: Mapped[dt.date | None]
    opens_at: Mapped[dt.datetime]
    closes_at: Mapped[dt.datetime] = mapped_column(index=True)
    rule_set_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_rule_sets.id"))
    proxy_limit: Mapped[int] = mapped_column(default=5)
    objection_days: Mapped[int] = mapped_column(default=7)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]
    # set when opened: the frozen register's totals and hash
    opened_at: Mapped[dt.datetime | None]
    register_hash: Mapped[str | None] = mapped_column(String(64))
    total_area_cm2: Mapped[int | None]
    total_owners: Mapped[int | None]
    # set when closed / finalised
    closed_at: Mapped[dt.datetime | None]
    objection_ends_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    result: Mapped[str | None] = mapped_column(Text)  # JSON of the tally at close
    finalised_at: Mapped[dt.datetime | None]

    rule_set: Mapped[MeetingRuleSet | None] = relationship()
    candidates: Mapped[list[Candidate]] = relationship(order_by="Candidate.id")

    @property
    def is_election(self) -> bool:
        return self.category == "committee_election" and self.seats is not None


class MotionAttachment(Base):
    __tablename__ = "motion_attachments"

    id: Mapped[intpk]
    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"), index=True)
    filename: Mapped[str]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[CreatedAt]


class Candidate(Base):
    """A committee candidate; must be an owner in the compound."""

    __tablename__ = "candidates"
    __table_args__ = (UniqueConstraint("motion_id", "owner_id"),)

    id: Mapped[intpk]
    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id"))
    name: Mapped[str] = mapped_column(String(100))


class RegisterVoter(Base):
    """One person on a motion's frozen register: an owner with the sum of their units'
    areas, or the developer with all its unsold units (then owner_id is its first owner row,
    or empty when those units have no owner row at all)."""

    __tablename__ = "register_voters"
    __table_args__ = (UniqueConstraint("motion_id", "owner_id"), UniqueConstraint("motion_id", "voter_no"))

    id: Mapped[intpk]
    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"))
    voter_no: Mapped[int]
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("owners.id"))
    is_developer: Mapped[bool] = mapped_column(default=False)
    area_cm2: Mapped[AreaCm2]
    unit_count: Mapped[int]


class RegisterUnit(Base):
    """A unit as it stood on the register when the motion opened."""

    __tablename__ = "register_units"
    __table_args__ = (UniqueConstraint("motion_id", "unit_id"),)

    id: Mapped[intpk]
    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("register_voters.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("owners.id"), index=True)
    area_cm2: Mapped[AreaCm2]


class Ballot(Base):
    """The one ballot that counts for a voter on a motion (a ballot is (motion, voter)).

    Voting again replaces it, with a new receipt; the audit log keeps every change."""

    __tablename__ = "ballots"
    __table_args__ = (
        UniqueConstraint("motion_id", "voter_id"),
        CheckConstraint("choice IS NULL OR " + in_values("choice", CHOICES), name="choice"),
        CheckConstraint(in_values("channel", CHANNELS), name="channel"),
    )

    id: Mapped[intpk]
    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("register_voters.id"))
    choice: Mapped[str | None] = mapped_column(String(10))  # None on an election ballot
    channel: Mapped[str] = mapped_column(String(10))
    receipt: Mapped[str] = mapped_column(String(20), unique=True)
    cast_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cast_at: Mapped[dt.datetime]

    candidates: Mapped[list[BallotCandidate]] = relationship(cascade="all, delete-orphan")


class BallotCandidate(Base):
    __tablename__ = "ballot_candidates"

    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"), primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), primary_key=True, index=True)


class Proxy(Base):
    """An owner's authorisation of another person (a user account) for one motion."""

    __tablename__ = "proxies"
    __table_args__ = (
        UniqueConstraint("motion_id", "voter_id"),
        CheckConstraint(in_values("status", PROXY_STATUSES), name="status"),
        Index("ix_proxies_holder", "motion_id", "holder_id"),
    )

    id: Mapped[intpk]
    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("register_voters.id"))
    holder_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    letter_name: Mapped[str]
    letter: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None]
    created_at: Mapped[CreatedAt]


class PaperBallot(Base):
    """A paper ballot typed in by one committee member and confirmed by a second."""

    __tablename__ = "paper_ballots"
    __table_args__ = (
        UniqueConstraint("motion_id", "voter_id"),
        CheckConstraint(in_values("choice", CHOICES), name="choice"),
        CheckConstraint(in_values("status", PAPER_STATUSES), name="status"),
        CheckConstraint("confirmed_by_id IS NULL OR confirmed_by_id <> entered_by_id", name="two_people"),
    )

    id: Mapped[intpk]
    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("register_voters.id"))
    choice: Mapped[str] = mapped_column(String(10))
    scan_name: Mapped[str]
    scan: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[dt.datetime | None]
    created_at: Mapped[CreatedAt]


class Objection(Base):
    """An owner's objection to a preliminary result, raised within the objection period."""

    __tablename__ = "objections"

    id: Mapped[intpk]
    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"), index=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("register_voters.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[CreatedAt]


class MotionDocument(Base):
    """An announcement (公告) issued for a motion, kept for the evidence pack."""

    __tablename__ = "motion_documents"
    __table_args__ = (UniqueConstraint("motion_id", "kind"),)

    id: Mapped[intpk]
    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"))
    kind: Mapped[str] = mapped_column(String(20))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[CreatedAt]


class CommitteeTerm(Base):
    """An owners' committee elected by a motion, with its term's end date."""

    __tablename__ = "committee_terms"
    __table_args__ = (UniqueConstraint("motion_id"), CheckConstraint("ends_on > starts_on", name="period"))

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    motion_id: Mapped[int] = mapped_column(ForeignKey("motions.id"))
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    reminded_at: Mapped[dt.datetime | None]
    created_at: Mapped[CreatedAt]

    members: Mapped[list[CommitteeMember]] = relationship(order_by="CommitteeMember.rank")


class CommitteeMember(Base):
    __tablename__ = "committee_members"
    __table_args__ = (UniqueConstraint("term_id", "owner_id"),)

    id: Mapped[intpk]
    term_id: Mapped[int] = mapped_column(ForeignKey("committee_terms.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id"))
    rank: Mapped[int]
