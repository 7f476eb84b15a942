"""Every registered route, walked as an anonymous visitor and as an owner of another compound:
nothing answers with another compound's data, and nothing answers 500."""
import re

import pytest

PUBLIC_ENDPOINTS = {"static", "api-docs.openapi_json"}
SAFE_STATUSES = {302, 400, 401, 403, 404, 405, 409, 413, 415, 422}


def is_public(app, endpoint: str) -> bool:
    view = app.view_functions[endpoint]
    return (endpoint in PUBLIC_ENDPOINTS or getattr(view, "public", False)
            or getattr(view, "api_access", None) == "public")


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def fill(rule, value):
    """The URL with every argument set to `value` (ints) or a string that names nothing."""
    url = rule.rule
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        if kind in ("IntegerConverter", "IdConverter"):
            replacement = str(value)
        elif kind == "AnyConverter":  # a fixed choice, e.g. <any(district, street):kind>
            replacement = sorted(converter.items)[0]
        else:
            replacement = "nothing-here"
        url = re.sub(rf"<[^>]*\b{name}>", replacement, url)
    return url


def call(client, method, url, headers=None):
    return client.open(url, method=method, headers=headers or {}, data={} if method != "GET" else None)


def test_anonymous_visitors_are_sent_to_sign_in(app, world, client):
    for rule, method in routes(app):
        if is_public(app, rule.endpoint):
            continue
        response = call(client, method, fill(rule, world.compounds[0].id))
        expected = {401} if rule.rule.startswith("/api/") else {302, 401}
        assert response.status_code in expected | {405}, f"{method} {rule.rule} answered {response.status_code}"
        if response.status_code == 302:
            assert "/login" in response.headers["Location"], rule.rule


@pytest.mark.parametrize("auth", ["session", "token"])
def test_an_owner_of_another_compound_sees_nothing_of_this_one(app, world, session, client, login, api, auth):
    target = world.compounds[0]
    outsider = world.user(session, "owner", index=1)
    markers = [target.name, world.owners[target.id].name]
    candidate_ids = {target.id, world.owners[target.id].id, *(u.id for u in world.units[target.id]),
                     *(u.building_id for u in world.units[target.id])}
    headers = api(outsider) if auth == "token" else {}
    if auth == "session":
        login(outsider)
    for rule, method in routes(app):
        if rule.endpoint == "core.logout" or (auth == "token") != rule.rule.startswith("/api/"):
            continue
        for candidate in candidate_ids if rule.arguments else [None]:
            url = fill(rule, candidate)
            response = call(client, method, url, headers)
            assert response.status_code < 500, f"{method} {url} answered {response.status_code}"
            if response.status_code not in SAFE_STATUSES:
                leaked = [m for m in markers if m.encode() in response.data]
                assert not leaked, f"{method} {url} shows {leaked} to an owner of another compound"
