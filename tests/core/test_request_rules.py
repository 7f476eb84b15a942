"""Rules every request obeys (core/routing.py, core/files.py): found by attacking the platform as
an outsider and as each role; each was a 500, a redirect off-site or a leak before."""
import pytest

from pm_platform.core.files import safe_filename
from pm_platform.core.routing import MAX_ID, safe_next


@pytest.mark.parametrize("path", [f"/workorders/{MAX_ID + 1}", "/workorders/99999999999999999999",
                                  f"/api/v1/work-orders/{2**63}", f"/motions/{2**40}/public"])
def test_ids_beyond_the_database_range_are_not_found(client, path, login, world, session):
    login(world.user(session, "bureau"))
    assert client.get(path).status_code == 404


def test_an_id_at_the_top_of_the_range_is_looked_up_and_not_found(client, login, world, session):
    login(world.user(session, "bureau"))
    assert client.get(f"/workorders/{MAX_ID}").status_code == 404


@pytest.mark.parametrize("path", ["/login%00", "/motions/1%00/public", "/login?next=%00", "/?lang=zh%00"])
def test_a_nul_byte_is_a_bad_request_even_anonymously(client, path):
    assert client.get(path).status_code == 400


def test_a_nul_byte_in_a_posted_form_is_a_bad_request(client):
    assert client.post("/login", data={"username": "a\x00b", "password": "x"}, environ_base={"REMOTE_ADDR": "10.8.0.1"}).status_code == 400


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil",
                                    "javascript:alert(1)", "/ok\r\nLocation: https://evil.example", " https://e.x"])
def test_a_next_parameter_off_this_site_goes_home_instead(target):
    assert safe_next(target, "/home") == "/home"


def test_a_next_parameter_on_this_site_is_followed():
    assert safe_next("/fees/my?x=1#top", "/home") == "/fees/my?x=1#top"


def test_the_login_never_sends_a_user_off_site(client, world, session):
    user = world.user(session, "owner")
    user.password_hash = __import__("werkzeug.security").security.generate_password_hash("right-password-1")
    session.commit()
    answer = client.post("/login?next=//evil.example/pay", data={"username": user.username,
                                                                "password": "right-password-1"},
                         environ_base={"REMOTE_ADDR": "10.8.0.5"})
    assert answer.status_code == 302 and "evil.example" not in answer.location


def test_what_a_signed_in_user_sees_is_private_and_not_stored(client, login, world, session):
    login(world.user(session, "owner"))
    page = client.get("/account")
    assert page.status_code == 200
    assert "private" in page.headers["Cache-Control"] and "no-store" in page.headers["Cache-Control"]
    assert "public" not in page.headers["Cache-Control"]


@pytest.mark.parametrize("name, safe", [("../../etc/passwd", "passwd"), ("C:\\scans\\委托书.pdf", "委托书.pdf"),
                                        ("..", "file"), ("a\x00b.pdf", "a_b.pdf"), (".hidden", "hidden"),
                                        ("", "file"), ("x" * 300 + ".pdf", "x" * 116 + ".pdf")])
def test_uploaded_names_are_never_paths(name, safe):
    assert safe_filename(name) == safe


def test_an_unknown_user_name_costs_a_password_check_like_a_known_one(session, world, monkeypatch):
    """Login time must not tell whether a user name exists: both paths check one password hash."""
    from pm_platform.core import auth
    checked = []
    real = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    assert auth.authenticate(session, "nobody-by-this-name", "guess-1234") is None
    assert auth.authenticate(session, world.user(session, "owner").username, "guess-1234") is None
    assert len(checked) == 2 and checked[0].startswith(checked[1].split("$", 1)[0])


def test_a_session_cookie_copied_before_sign_out_does_not_work_after_it(app, session, world):
    from werkzeug.security import generate_password_hash
    user = world.user(session, "owner")
    user.password_hash = generate_password_hash("right-password-1")
    session.commit()
    browser = app.test_client()
    assert browser.post("/login", data={"username": user.username, "password": "right-password-1"},
                        environ_base={"REMOTE_ADDR": "10.8.0.2"}).status_code == 302
    cookie = browser.get_cookie("session").value
    assert browser.get("/account").status_code == 200
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/account").status_code == 200  # the copied cookie works while signed in
    assert browser.post("/logout").status_code == 302
    replayed = thief.get("/account")
    assert replayed.status_code == 302 and "/login" in replayed.location


def test_every_page_carries_the_security_headers(client):
    page = client.get("/login")
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "object-src 'none'" in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in page.headers  # plain HTTP (the demo): no HSTS


def test_behind_a_tls_proxy_the_session_cookie_is_secure_and_hsts_is_sent(app, session, world):
    from werkzeug.security import generate_password_hash
    user = world.user(session, "owner")
    user.password_hash = generate_password_hash("right-password-1")
    session.commit()
    browser = app.test_client()
    answer = browser.post("/login", data={"username": user.username, "password": "right-password-1"},
                          headers={"X-Forwarded-Proto": "https"}, environ_base={"REMOTE_ADDR": "10.8.0.3"})
    cookie = answer.headers["Set-Cookie"]
    assert "session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
    assert "max-age=31536000" in answer.headers["Strict-Transport-Security"]
    plain = app.test_client().get("/login")
    assert all("Secure" not in c for c in plain.headers.getlist("Set-Cookie"))


def test_the_one_inline_script_carries_the_pages_nonce(client, session, world, login):
    """The scan page's geolocation script runs under the policy: its nonce is the header's."""
    import re

    from tests.inspections.helpers import facility, token
    item = facility(session, world.user(session, "firm_manager"), world.compounds[0], name="4号灭火器")
    tok = token(session, item.id)
    login(world.user(session, "firm_staff"))
    page = client.get(f"/q/{tok}")
    nonce = re.search(r"'nonce-([^']+)'", page.headers["Content-Security-Policy"]).group(1)
    assert f'<script nonce="{nonce}">' in page.get_data(as_text=True)


def test_an_account_waits_after_five_wrong_passwords_whatever_the_worker_or_address(app, session, world):
    """The per-account throttle lives in the database: two browsers (two addresses, or two worker
    processes each with its own per-address count) share it; the right password then waits too."""
    import datetime as dt

    from werkzeug.security import generate_password_hash

    from pm_platform.core import auth, clock
    user = world.user(session, "owner")
    user.password_hash = generate_password_hash("right-password-1")
    session.commit()
    browsers = [app.test_client(), app.test_client()]
    for attempt in range(6):
        page = browsers[attempt % 2].post("/login", data={"username": user.username, "password": f"guess-{attempt}"},
                                          environ_base={"REMOTE_ADDR": f"10.9.0.{attempt}"})
        assert page.status_code == 200 and "用户名或密码错误" in page.text
    session.refresh(user)
    assert user.failed_logins == 6 and clock.as_utc(user.locked_until) > clock.now_utc()
    right = {"username": user.username, "password": "right-password-1"}
    assert browsers[0].post("/login", data=right, environ_base={"REMOTE_ADDR": "10.8.0.4"}).status_code == 200  # still waiting: same answer as a wrong one
    user.locked_until = clock.now_utc() - dt.timedelta(seconds=1)
    session.commit()
    assert browsers[0].post("/login", data=right, environ_base={"REMOTE_ADDR": "10.8.0.4"}).status_code == 302
    session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None
    assert [auth.lock_for(n).seconds // 60 for n in (5, 6, 7, 8, 9, 10, 20)] == [0, 1, 2, 4, 8, 15, 15]
