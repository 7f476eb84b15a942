"""/metrics: request counts and latency by endpoint and status, job runs and durations; readable
from the machine itself or with the metrics token, from nowhere else."""
import re

import pytest
from sqlalchemy import select

from pm_platform.core.models import OutboxMessage


def sample(text: str, name: str, **labels) -> float:
    """The sum of the series with these labels in the exposition text (0 when there is none)."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{"):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
            if all(found.get(k) == str(v) for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
    return total


def metrics_text(client, **kwargs) -> str:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("text/plain")
    return response.text


def test_requests_are_counted_by_endpoint_and_status(client):
    before = metrics_text(client)
    client.get("/healthz")
    client.get("/healthz")
    client.get("/no-such-page")
    after = metrics_text(client)
    count = "flask_http_request_duration_seconds_count"
    assert sample(after, count, endpoint="core.healthz", status=200) - sample(before, count, endpoint="core.healthz", status=200) == 2
    assert sample(after, count, status=404) - sample(before, count, status=404) >= 1
    assert sample(after, "flask_http_request_total", method="GET", status=200) > 0
    assert "metrics" not in re.findall(r'endpoint="([^"]*)"', after)  # scrapes are not counted


def test_jobs_are_counted_and_timed(world, session, client, api):
    before = metrics_text(client)
    manager = world.user(session, "firm_manager")
    response = client.post(f"/api/v1/compounds/{world.compounds[0].id}/billing-runs", json={"period": "2026-11"},
                           headers=api(manager))
    assert response.status_code == 202
    after = metrics_text(client)
    runs = "pm_task_runs_total"
    assert sample(after, runs, task="fees.run_billing", outcome="ok") - sample(before, runs, task="fees.run_billing", outcome="ok") == 1
    assert sample(after, "pm_task_duration_seconds_count", task="fees.run_billing") >= 1

    # the same message delivered again does nothing, and is counted as a duplicate
    from tasks.fees import run_billing
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.task_name == "fees.run_billing")
                              .order_by(OutboxMessage.id.desc())).first()
    run_billing.apply(args=[response.json["id"]], kwargs={"outbox_id": message.id})
    again = metrics_text(client)
    assert sample(again, runs, task="fees.run_billing", outcome="duplicate") - sample(after, runs, task="fees.run_billing", outcome="duplicate") == 1


@pytest.mark.parametrize("environ, headers", [
    ({"REMOTE_ADDR": "203.0.113.9"}, {}),                                  # from the internet
    ({"REMOTE_ADDR": "10.1.2.3"}, {"Authorization": "Bearer wrong-token-wrong-token"}),
    ({"REMOTE_ADDR": "127.0.0.1"}, {"X-Forwarded-For": "203.0.113.9"}),    # relayed by the proxy
    ({"REMOTE_ADDR": "127.0.0.1"}, {"X-Forwarded-Proto": "https"}),
])
def test_metrics_are_refused_to_everyone_else(app, client, monkeypatch, environ, headers):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "metrics-token-for-tests")
    response = client.get("/metrics", environ_base=environ, headers=headers)
    assert response.status_code == 404 and b"flask_http" not in response.data


def test_metrics_with_the_token_from_anywhere_and_loopback_without(app, client, monkeypatch):
    assert metrics_text(client, environ_base={"REMOTE_ADDR": "::1"})
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "198.51.100.4"}).status_code == 404  # no token set
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "metrics-token-for-tests")
    text = metrics_text(client, environ_base={"REMOTE_ADDR": "198.51.100.4"},
                        headers={"Authorization": "Bearer metrics-token-for-tests", "X-Forwarded-For": "198.51.100.4"})
    assert "pm_task_runs_total" in text or "pm_task_duration_seconds" in text
