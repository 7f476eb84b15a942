"""Domain errors raised by services; the web layer turns them into 4xx answers.

A message is written in English with `{name}` placeholders filled from keyword arguments:
`ValidationError("space {code} exists in this lot", "code", code=code)`. The API answers in
English (`message`); pages show `localized`, looked up in the Chinese catalogs by the unfilled
English text, so every fixed message has one catalog entry whatever values fill it.
"""
from __future__ import annotations

from flask_babel import gettext


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, field: str | None = None, code: str | None = None, **params):
        self.template = message
        self.params = params
        self.message = message.format(**params) if params else message
        super().__init__(self.message)
        self.field = field
        if code:
            self.code = code

    @property
    def localized(self) -> str:
        """The message in the language of the page being answered."""
        text = gettext(self.template)
        return text.format(**self.params) if self.params else text

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "field": self.field}


class ValidationError(DomainError):
    status = 422
    code = "invalid"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class RowErrors(ValidationError):
    """A file with bad rows: every problem is listed, and nothing was written."""

    code = "invalid_rows"

    def __init__(self, rows: list[dict]):
        super().__init__("{count} problem(s) found; nothing was imported", "file", count=len(rows))
        self.rows = rows

    def to_dict(self) -> dict:
        return {**super().to_dict(), "rows": self.rows}
