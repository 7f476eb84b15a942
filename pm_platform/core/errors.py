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


class Unavailable(DomainError):
    """Something the platform is not set up to do here (e.g. no online payment provider)."""

    status = 503
    code = "unavailable"


class RowErrors(ValidationError):
    """A file with bad rows: every problem is listed, and nothing was written. A problem is the
    row's number and an error whose field is the column, so a page can say it in Chinese."""

    code = "invalid_rows"

    def __init__(self, problems: list[tuple[int, DomainError]]):
        super().__init__("{count} problem(s) found; nothing was imported", "file", count=len(problems))
        self.problems = sorted(problems, key=lambda problem: problem[0])

    @property
    def rows(self) -> list[dict]:
        """The problems in English, as the API lists them."""
        return self._rows(lambda error: error.message)

    @property
    def localized_rows(self) -> list[dict]:
        return self._rows(lambda error: error.localized)

    def _rows(self, text) -> list[dict]:
        return [{"row": row, "column": error.field or "row", "message": text(error)} for row, error in self.problems]
