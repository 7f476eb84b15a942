from __future__ import annotations

from marshmallow import Schema, fields


class ErrorSchema(Schema):
    code = fields.String()
    message = fields.String()
    field = fields.String(allow_none=True)
