"""Behind the TLS proxy: X-Forwarded-For names the client only when PROXY_FORWARDED_FOR says a
proxy sets it (else a client could forge its address, e.g. to dodge the login limit)."""
import pytest
from flask import Flask, request

from pm_platform.core import headers


@pytest.mark.parametrize("hops, expected", [(0, "127.0.0.1"), ("0", "127.0.0.1"), (1, "203.0.113.7"), ("1", "203.0.113.7")])
def test_forwarded_for_counts_only_the_configured_proxies(hops, expected):
    app = Flask(__name__)
    app.config["PROXY_FORWARDED_FOR"] = hops
    app.add_url_rule("/who", "who", lambda: f"{request.remote_addr} {request.scheme}")
    headers.trust_proxy(app)
    # the client forged the first address; the proxy appended the one it saw
    answer = app.test_client().get("/who", headers={"X-Forwarded-For": "10.9.9.9, 203.0.113.7",
                                                    "X-Forwarded-Proto": "https"},
                                   environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert answer.text == f"{expected} https"


def test_the_platform_trusts_no_forwarded_for_by_default(app, client):
    assert str(app.config["PROXY_FORWARDED_FOR"]) == "0"
    # a forged address does not make a remote caller local (/metrics is for the machine itself)
    forged = client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}, environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert forged.status_code == 404
