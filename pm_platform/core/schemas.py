"""Schemas the whole JSON API shares: the one error body every 4xx/5xx answer has
(core/web.py error_response writes it; the OpenAPI document declares it on every operation)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from pm_platform.core import clock

DB_INT = 2**31 - 1  # the database's `integer`: ids, amounts in fen, counts


class Int(fields.Integer):
    """An integer input the database can hold. Beyond ±2**31-1 a number reached a query and
    overflowed in the driver (SQLite: "Python int too large", PostgreSQL: integer out of range),
    a 500; now a 422 naming the field, and the document states the bounds."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.insert(0, validate.Range(min=-DB_INT, max=DB_INT))


class UtcDateTime(fields.DateTime):
    """A stored time, written with its UTC offset (SQLite hands back naive UTC, which the
    document's `date-time` does not allow)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(clock.as_utc(value) if value is not None else None, attr, obj, **kwargs)


class RowErrorSchema(Schema):
    row = fields.Integer(required=True, metadata={"description": "the file's row number"})
    column = fields.String(required=True, metadata={"description": "the column, or 'row'"})
    message = fields.String(required=True)


class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={"description": "machine-readable, e.g. invalid, not_found"})
    message = fields.String(required=True, metadata={"description": "in English"})
    field = fields.String(required=True, allow_none=True, metadata={"description": "the field at fault, if one"})
    rows = fields.List(fields.Nested(RowErrorSchema), metadata={"description": "a file's bad rows (invalid_rows)"})
    retry_after = fields.Integer(metadata={"description": "429: seconds to wait (also the Retry-After header)"})


class ErrorSchema(Schema):
    """`{"error": {"code", "message", "field"}}`."""

    error = fields.Nested(ErrorBodySchema, required=True)
