"""The one declarative base, its naming convention and the shared column types."""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from sqlalchemy import BigInteger, DateTime, Integer, LargeBinary, MetaData, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Shared column types: say what a column holds, not how it is stored.
intpk = Annotated[int, mapped_column(Integer, primary_key=True)]
Fen = Annotated[int, mapped_column(BigInteger)]            # money: integer fen (分)
AreaCm2 = Annotated[int, mapped_column(Integer)]           # floor area in 0.01 m² units
CreatedAt = Annotated[
    dt.datetime, mapped_column(DateTime(timezone=True), server_default=func.now())
]
Name = Annotated[str, mapped_column(String(200))]


def in_values(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK constraint that keeps `column` to a fixed set of values."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: DateTime(timezone=True),
        str: String(200),
    }


class PhotoColumns:
    """A photo as every domain keeps it: resized on upload (JPEG), with the original's SHA-256 and
    size kept as evidence that it was not swapped later (inspection records, work orders)."""

    content: Mapped[bytes] = mapped_column(LargeBinary)
    original_sha256: Mapped[str] = mapped_column(String(64))
    original_bytes: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    created_at: Mapped[CreatedAt]
