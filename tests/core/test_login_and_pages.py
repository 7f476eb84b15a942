"""Signing in: hashed passwords, rate limiting, CSRF, safe redirects, tokens from the account page."""
import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from pm_platform.core.auth import create_token
from pm_platform.core.models import ApiToken, User
from tests.factories import PASSWORD


def post_login(client, username, password, ip="10.0.0.1", **kw):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": ip}, **kw)


def test_passwords_are_stored_hashed_and_login_works(world, session, client):
    user = world.user(session, "community")
    assert PASSWORD not in user.password_hash and check_password_hash(user.password_hash, PASSWORD)
    response = post_login(client, user.username, PASSWORD, ip="10.0.0.2")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert world.compounds[0].name in client.get("/compounds").text


def test_wrong_password_shows_a_form_error(world, session, client):
    user = world.user(session, "community")
    response = post_login(client, user.username, "wrong-password", ip="10.0.0.3")
    assert response.status_code == 200 and "用户名或密码错误" in response.text


def test_login_attempts_are_rate_limited_per_address(world, session, client):
    user = world.user(session, "community")
    statuses = [post_login(client, user.username, "wrong", ip="10.0.0.4").status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429
    other = world.user(session, "street")  # another address, another account: unaffected
    assert post_login(client, other.username, PASSWORD, ip="10.0.0.5").status_code == 302


def test_redirect_after_login_stays_on_this_site(world, session, client):
    user = world.user(session, "community")
    response = post_login(client, user.username, PASSWORD, ip="10.0.0.6",
                          query_string={"next": "//evil.example/steal"})
    assert response.headers["Location"] == "/"


def test_forms_need_a_csrf_token(app, world, session):
    user = world.user(session, "community")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = app.test_client().post("/login", data={"username": user.username, "password": PASSWORD},
                                          environ_base={"REMOTE_ADDR": "10.0.0.7"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert "安全令牌" in response.text  # the form's security token (tests/core/test_error_pages.py)


def test_a_token_made_on_the_account_page_opens_the_api(world, session, login):
    client = login(world.user(session, "street"))
    page = client.post("/account", data={"name": "my script"})
    token = page.text.split('id="new-token">')[1].split("<")[0]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert token not in client.get("/account").text  # shown once only


@pytest.mark.parametrize("lang, refusal", [("zh", "没有这个令牌"), ("en", "no such token")])
def test_a_refused_action_is_explained_in_the_page_language(world, session, login, lang, refusal):
    other = world.user(session, "community")
    create_token(session, other, "theirs")
    session.commit()
    token_id = session.scalar(select(ApiToken.id).where(ApiToken.user_id == other.id))
    response = login(world.user(session, "street")).post(f"/account/tokens/{token_id}/revoke",
                                                         query_string={"lang": lang})
    assert response.status_code == 404 and refusal in response.text


def test_unknown_pages_answer_404_in_the_right_format(client):
    assert client.get("/no-such-page").status_code == 404
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_openapi_document_lists_the_contract_paths(client):
    paths = client.get("/api/openapi.json").json["paths"]
    for path in ["/api/v1/me", "/api/v1/places", "/api/v1/compounds", "/api/v1/compounds/{compound_id}",
                 "/api/v1/compounds/{compound_id}/units", "/api/v1/compounds/{compound_id}/roster"]:
        assert path in paths


@pytest.mark.parametrize("lang, heading", [("zh", "小区"), ("en", "Compounds")])
def test_chinese_first_with_english_beside(world, session, login, lang, heading):
    client = login(world.user(session, "street"))
    assert f"<h1>{heading}" in client.get("/compounds", query_string={"lang": lang}).text


def test_disabled_users_cannot_sign_in(world, session, client):
    user = world.user(session, "street")
    session.get(User, user.id).is_enabled = False
    session.commit()
    assert post_login(client, user.username, PASSWORD, ip="10.0.0.8").status_code == 200


@pytest.mark.parametrize("lang, prompt", [("zh", "请先登录"), ("en", "Please sign in")])
def test_a_page_that_needs_signing_in_says_so_in_the_page_language(client, lang, prompt):
    """Regression: Flask-Login's own prompt, "Please log in to access this page.", was shown in English."""
    client.get("/login", query_string={"lang": lang})
    response = client.get("/fees")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get(response.headers["Location"]).text
    assert f'<div class="flash">{prompt}</div>' in page and "Please log in" not in page
