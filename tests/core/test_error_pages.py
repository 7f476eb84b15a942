"""Error pages speak the page's language (Chinese unless English was chosen), never werkzeug's
English; the sign-in limit says how long to wait. The API keeps its English."""
import re

import pytest

from tests.factories import PASSWORD


@pytest.fixture
def failing_page(app, monkeypatch):
    """/healthz raises, as a bug in a view would, and Flask handles it as in production."""
    def broken():
        raise RuntimeError("a bug")
    monkeypatch.setitem(app.view_functions, "core.healthz", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)


def test_a_server_error_page_is_in_chinese(client, failing_page):
    response = client.get("/healthz")
    assert response.status_code == 500
    assert "系统出错" in response.text and "错误已记录" in response.text
    assert "internal error" not in response.text and "a bug" not in response.text


def test_a_server_error_page_is_in_english_when_chosen(client, failing_page):
    response = client.get("/healthz?lang=en")
    assert response.status_code == 500
    assert "The error has been recorded." in response.text and "错误已记录" not in response.text


def test_a_form_without_its_csrf_token_is_refused_in_chinese(app, world, session, monkeypatch):
    user = world.user(session, "community")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = app.test_client().post("/login", data={"username": user.username, "password": PASSWORD},
                                      environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert response.status_code == 400
    assert "安全令牌" in response.text and "请返回，刷新页面后重新提交" in response.text
    assert "The CSRF token is missing" not in response.text


def test_too_many_sign_ins_say_in_chinese_how_long_to_wait(world, session, client):
    user = world.user(session, "community")
    for _ in range(10):
        client.post("/login", data={"username": user.username, "password": "wrong"},
                    environ_base={"REMOTE_ADDR": "10.0.1.2"})
    response = client.post("/login", data={"username": user.username, "password": "wrong"},
                           environ_base={"REMOTE_ADDR": "10.0.1.2"})
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 61  # the limit is 10 per minute (the reset time is rounded up to a second)
    assert "尝试次数过多" in response.text
    assert re.search(r"请等待 (\d+) 秒后再试", response.text).group(1) == str(wait)
    assert "per 1 minute" not in response.text


def test_the_api_keeps_its_english(world, session, login, client):
    login(world.user(session, "street"))
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and "not found" in response.json["error"]["message"].lower()
