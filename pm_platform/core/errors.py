"""Domain errors raised by services; the web layer turns them into 4xx answers."""
from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

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

    def __init__(self, rows: list[dict], message: str | None = None):
        super().__init__(message or f"{len(rows)} problem(s) found; nothing was imported", "file")
        self.rows = rows

    def to_dict(self) -> dict:
        return {**super().to_dict(), "rows": self.rows}
