"""What the OpenAPI document (/api/openapi.json) says about errors and credentials, for every
operation at once.

Every error the API answers has one body, `{"error": {"code", "message", "field"}}` (core/web.py
error_response; core/schemas.ErrorSchema describes it). flask-smorest would document its own
error body instead, and a catch-all `default` response that lets any status pass for declared;
here each operation lists the error statuses it can answer, each with the real body
(ErrorResponsesPlugin, added by init_api):

- 400 a malformed request (a body that is not JSON, a NUL byte), and 503 the database
  connection lost (core/web.py): any operation;
- 401 and 403 an operation that needs a token or a device key (not one marked public);
- 404 an operation with an id or a name in its path, or one that writes (the thing it names, in
  its path or its body, does not exist or is out of the caller's scope);
- 409, 413 and 422 an operation that writes: a duplicate (a unique constraint, core/web.py),
  a body over MAX_CONTENT_LENGTH, bad input; 422 also where query arguments are checked.

Statuses only some operations answer (a 409 a service raises, a 429 of a rate limit) are declared
on the operation with `@blp.alt_response(status)`, which gets the same body.
"""
from __future__ import annotations

import http

from apispec import BasePlugin
from flask_smorest import Api

from pm_platform.core.schemas import ErrorSchema

ERROR_REF = {"$ref": "#/components/schemas/Error"}
WRITES = ("post", "put", "patch", "delete")


def error_statuses(method: str, operation: dict, access: str, has_path_args: bool) -> set[int]:
    statuses = {400, 503}
    if access != "public":
        statuses |= {401, 403}
    if has_path_args or method in WRITES:
        statuses.add(404)
    if method in WRITES:
        statuses |= {409, 413, 422}
    if any(p.get("in") == "query" for p in operation.get("parameters", []) if isinstance(p, dict)):
        statuses.add(422)
    return statuses


class ErrorResponsesPlugin(BasePlugin):
    """An apispec plugin (runs after flask-smorest's own) adding the error responses above and
    each operation's security: bearer token, device key, or none for public operations."""

    def __init__(self, app) -> None:
        self.app = app

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs.get("rule")
        view = self.app.view_functions.get(rule.endpoint) if rule is not None else None
        access = getattr(view, "api_access", "user")
        has_path_args = bool(rule is not None and rule.arguments)
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            for status in error_statuses(method, operation, access, has_path_args):
                if str(status) not in responses and status not in responses:
                    responses[str(status)] = http.HTTPStatus(status).name
            for status, response in list(responses.items()):
                # an alt_response with only a description: give it the error body
                if int(status) >= 400 and isinstance(response, dict) and "content" not in response:
                    response["content"] = {"application/json": {"schema": dict(ERROR_REF)}}
            operation["responses"] = dict(sorted(responses.items(), key=lambda item: str(item[0])))
            operation["security"] = {"public": [], "device": [{"device_key": []}]}.get(access, [{"bearer": []}])


def upload_body(file_field: str, description: str, **text_fields: dict) -> dict:
    """The document's request body of an upload the view reads from `request.files` (multipart
    form data: one file and some text fields), for `@blp.doc(requestBody=upload_body(...))`."""
    properties = {file_field: {"type": "string", "format": "binary", "description": description}, **text_fields}
    return {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "properties": properties, "required": [file_field, *text_fields]}}}}


def init_api(api: Api, app) -> None:
    """Bind flask-smorest's Api (extensions.api) to the app with the real error body as its
    ERROR_SCHEMA and no catch-all `default` response: each status is declared."""
    api.ERROR_SCHEMA = ErrorSchema
    api.DEFAULT_ERROR_RESPONSE_NAME = None
    api.init_app(app, spec_kwargs={"info": {"description": "pm_platform JSON API"},
                                   "extra_plugins": [ErrorResponsesPlugin(app)]})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                                   "description": "a user's personal access token"})
    api.spec.components.security_scheme("device_key", {"type": "http", "scheme": "bearer",
                                                       "description": "a gate's or locker cabinet's device key"})
