"""Jobs wait in the database while Redis is down, and each runs exactly once after."""
import json

from sqlalchemy import func, select

from pm_platform.core.models import AuditEntry, OutboxMessage
from pm_platform.core import outbox


def echo_runs(session, note):
    return session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "core.echo", AuditEntry.entity_id == note))


def test_jobs_survive_a_redis_outage_and_run_exactly_once(app, worker_env):
    worker_env.start_redis()
    worker_env.stop_redis()  # the broker goes down

    with app.app_context(), worker_env.session() as session:  # a request enqueues three jobs
        ids = [outbox.enqueue(session, "core.echo", f"job-{n}").id for n in range(3)]
        session.commit()

    assert "relayed 0 job(s)" in worker_env.flask("outbox", "relay")  # nothing lost, nothing sent
    with worker_env.session() as session:
        first = session.get(OutboxMessage, ids[0])
        assert first.sent_at is None and first.last_error

    worker_env.start_redis()
    worker_env.start_worker()
    assert "relayed 3 job(s)" in worker_env.flask("outbox", "relay")
    worker_env.wait_for(
        lambda s: s.scalar(select(func.count()).select_from(OutboxMessage)
                           .where(OutboxMessage.id.in_(ids), OutboxMessage.done_at.is_not(None))) == 3,
        what="three jobs done")

    # A redelivery of the same message (as after a worker crash) does nothing more.
    from celery import Celery
    client = Celery(broker=worker_env.redis_url, set_as_current=False)
    with worker_env.session() as session:
        message = json.loads(session.get(OutboxMessage, ids[0]).args)
    client.send_task("core.echo", args=message, kwargs={"outbox_id": ids[0]})
    client.send_task("core.echo", args=["marker"])  # processed after the redelivery (solo pool)
    worker_env.wait_for(lambda s: echo_runs(s, "marker") == 1, what="marker job")
    assert "relayed 0 job(s)" in worker_env.flask("outbox", "relay")

    with worker_env.session() as session:
        assert [echo_runs(session, f"job-{n}") for n in range(3)] == [1, 1, 1]
