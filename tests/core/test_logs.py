"""Logs are JSON lines; a request's id is in every line of the request and of the jobs it queued
(in-process and in a worker process); mobile numbers never reach a log."""
import io
import json
import logging
import re

import pytest
from sqlalchemy import select

from pm_platform.core import logs, outbox
from pm_platform.core.models import OutboxMessage


@pytest.fixture
def log_lines():
    """The platform's JSON lines written while the test runs, parsed."""
    stream = io.StringIO()
    handler = logs.make_handler(stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)  # as logs.install sets it (the tests' app leaves logging to pytest)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_a_request_and_the_job_it_queues_log_under_one_id(app, world, session, client, api, log_lines):
    manager = world.user(session, "firm_manager")
    compound = world.compounds[0]
    response = client.post(f"/api/v1/compounds/{compound.id}/billing-runs", json={"period": "2026-11"},
                           headers={**api(manager), "X-Request-ID": "req-billing-42"})
    assert response.status_code == 202 and response.headers["X-Request-ID"] == "req-billing-42"
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.task_name == "fees.run_billing")
                              .order_by(OutboxMessage.id.desc())).first()
    assert message.request_id == "req-billing-42" and message.done_at is not None  # ran in-process

    lines = log_lines()
    request_line = next(line for line in lines if line["logger"] == "pm_platform.request")
    job_line = next(line for line in lines if line["message"] == "job fees.run_billing done")
    assert request_line["request_id"] == job_line["request_id"] == "req-billing-42"
    assert request_line["status"] == 202 and request_line["path"].endswith("/billing-runs")
    assert {"time", "level"} <= set(job_line) and job_line["level"] == "INFO"


def test_each_request_gets_its_own_id_and_an_insane_one_is_replaced(client, log_lines):
    first, second = client.get("/healthz"), client.get("/healthz")
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and ids[0] != ids[1]
    forged = client.get("/healthz", headers={"X-Request-ID": "x\" injected=1 " + "a" * 100})
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["X-Request-ID"])
    logged = [line["request_id"] for line in log_lines() if line["logger"] == "pm_platform.request"]
    assert logged == ids + [forged.headers["X-Request-ID"]]


def test_phone_numbers_are_masked_in_every_line(client, log_lines):
    logging.getLogger("pm_platform.test").warning("owner %s called from +86 139-1234-5678", "13812345678")
    try:
        raise ValueError("no account for 15900001111")
    except ValueError:
        logging.getLogger("pm_platform.test").exception("lookup failed")
    response = client.get("/owners/by-phone/13712345678")  # a number in a URL, in the request's line
    assert response.status_code == 404
    text = json.dumps(log_lines(), ensure_ascii=False)
    for number in ("13812345678", "13912345678", "139-1234-5678", "15900001111", "13712345678"):
        assert number not in text
    assert "owner 138****5678 called from +86 139****5678" in text
    assert "159****1111" in text and "/owners/by-phone/137****5678" in text


def test_mask_leaves_other_numbers_and_ids_alone():
    assert logs.mask_phones("bill 202611000123, unit 12345678901, id 0a13912345678f") == \
        "bill 202611000123, unit 12345678901, id 0a13912345678f"
    assert logs.mask_phones("电话13912345678。") == "电话139****5678。"


def test_a_job_in_the_worker_logs_under_the_request_id(app, worker_env):
    """The relay (another process) sends the row's id as a Celery header; the worker's lines for
    the job carry it."""
    worker_env.start_redis()
    worker_env.start_worker()
    with app.app_context(), worker_env.session() as session, logs.request_id_context("req-from-a-page-7"):
        message_id = outbox.enqueue(session, "core.echo", "traced").id
        session.commit()
    assert "relayed 1 job(s)" in worker_env.flask("outbox", "relay")
    worker_env.wait_for(lambda s: s.get(OutboxMessage, message_id).done_at, what="the job")
    worker_env.stop_worker()  # its lines are flushed
    lines = [json.loads(line) for line in worker_env.worker_log().splitlines() if line.startswith("{")]
    done = [line for line in lines if line.get("message") == "job core.echo done"]
    assert done and done[0]["request_id"] == "req-from-a-page-7", worker_env.worker_log()
    succeeded = [line for line in lines if line["logger"] == "celery.app.trace" and "succeeded" in line["message"]]
    assert succeeded and succeeded[0]["request_id"] == "req-from-a-page-7"  # Celery's own line too
