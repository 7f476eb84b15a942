"""The OpenAPI document (/api/openapi.json) describes the error body the API really answers."""
from __future__ import annotations

import pytest

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def document(client):
    return client.get("/api/openapi.json").get_json()


def _operations(document):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _response(document, response):
    if "$ref" in response:
        return document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response


def test_every_error_status_has_the_real_error_body(document):
    operations = list(_operations(document))
    assert len(operations) >= 60
    for path, method, operation in operations:
        responses = operation["responses"]
        assert "default" not in responses, (method, path)  # a catch-all would let any status pass
        errors = {status: _response(document, r) for status, r in responses.items() if int(status) >= 400}
        assert {"400", "503"} <= set(errors), (method, path)
        for status, response in errors.items():
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def test_error_schema_is_what_the_api_answers(app, client, document):
    """Real error answers pass schemathesis' check against the operation's declared response,
    and the document's Error is that body (flask-smorest's had an integer code and no `error`)."""
    import schemathesis

    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    me = schema["/api/v1/me"]["GET"]
    answer = client.get("/api/v1/me")                                          # no token: 401
    assert answer.status_code == 401
    assert me.is_valid_response(answer)
    verify = schema["/api/v1/receipts/{number}/verify"]["GET"]
    answer = client.get("/api/v1/receipts/NO-SUCH/verify?code=1234")          # 404, field null
    assert answer.status_code == 404
    assert verify.is_valid_response(answer)
    callback = schema["/api/v1/payments/callbacks/{provider}"]["POST"]
    answer = client.post("/api/v1/payments/callbacks/nobody", data=b"x")
    assert answer.status_code == 404 and callback.is_valid_response(answer)
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"] and error["additionalProperties"] is False
    body = document["components"]["schemas"]["ErrorBody"]
    assert {"code", "message", "field"} <= set(body["required"]) and body["properties"]["code"]["type"] == "string"


def test_statuses_declared_where_they_apply(document):
    paths = document["paths"]
    me = paths["/api/v1/me"]["get"]["responses"]
    assert {"401", "403"} <= set(me) and "404" not in me and "409" not in me
    compound = paths["/api/v1/compounds/{compound_id}"]["get"]["responses"]
    assert "404" in compound
    write = paths["/api/v1/compounds/{compound_id}/vehicles"]["post"]["responses"]
    assert {"401", "403", "404", "409", "413", "422"} <= set(write)
    public = paths["/api/v1/receipts/{number}/verify"]["get"]
    assert "401" not in public["responses"] and public["security"] == []
    assert paths["/api/v1/parking/gate-events"]["post"]["security"] == [{"device_key": []}]
    assert paths["/api/v1/compounds"]["get"]["security"] == [{"bearer": []}]
    assert "429" in paths["/api/v1/me/ownership-verifications"]["post"]["responses"]


def test_uploads_are_documented_as_multipart_files(document):
    paths = document["paths"]
    for path, field in [("/api/v1/compounds/{compound_id}/roster", "file"),
                        ("/api/v1/motions/{motion_id}/proxies", "letter"),
                        ("/api/v1/motions/{motion_id}/paper-ballots", "scan")]:
        schema = paths[path]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert schema["properties"][field] == {**schema["properties"][field], "type": "string", "format": "binary"}
        assert field in schema["required"]
    hotline = paths["/api/v1/workorders/imports/12345"]["post"]["requestBody"]["content"]
    assert list(hotline) == ["multipart/form-data"]
    schema = document["components"]["schemas"][hotline["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert schema["properties"]["file"]["format"] == "binary"
