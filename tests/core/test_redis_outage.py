"""Redis stopped while residents report and inspectors record, as in production (gunicorn with
REDIS_URL, a real Redis that is then gone): every request is served, the job a manager starts
waits in the outbox, and runs once when Redis is back."""
import re
import time

import requests
from sqlalchemy import func, select

from pm_platform.core.models import OutboxMessage
from pm_platform.fees import service as fees
from pm_platform.fees.models import Bill, BillingRun
from pm_platform.inspections.models import Record
from pm_platform.workorders.models import WorkOrder
from tests.factories import PASSWORD, World
from tests.inspections.helpers import LAT, LNG, extinguisher_answers, facility, jpeg, token


def signed_in(base: str, username: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/login")
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    answer = browser.post(f"{base}/login", data={"csrf_token": csrf, "username": username, "password": PASSWORD},
                          allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:500]
    return browser


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_with_redis_down_requests_are_served_and_jobs_wait_then_run_once(app, tmp_path):
    from tests.live import LiveEnv

    env = LiveEnv(tmp_path, app.config["IDENTITY_KEY"])
    try:
        with app.app_context(), env.session() as session:
            world = World.build(session)
            compound = world.compounds[0]
            owner, manager = world.user(session, "owner"), world.user(session, "firm_manager")
            inspector = world.user(session, "firm_staff")
            item = facility(session, manager, compound, name="1号灭火器")
            scan = token(session, item.id)
            fees.create_fee_item(session, manager, compound.id, name="物业服务费", kind="per_area", rate_fen=120,
                                 from_period="2026-01")
            from pm_platform.core.auth import create_token
            api_token = create_token(session, manager, "bench")
            session.commit()
            names = (owner.username, inspector.username)
            compound_id, units = compound.id, len(world.units[compound.id])
        env.start_redis()
        base = env.start_web(with_redis=True)
        env.stop_redis()  # the broker (and the login limit's store) goes away

        resident = signed_in(base, names[0])
        form = resident.get(f"{base}/workorders/report")
        assert form.status_code == 200
        reported = resident.post(f"{base}/workorders/report", allow_redirects=False, timeout=30, data={
            "csrf_token": csrf_of(form.text), "compound_id": compound_id, "category": "water",
            "place": "compound", "description": "楼道漏水"})
        assert reported.status_code == 302

        staff = signed_in(base, names[1])
        page = staff.get(f"{base}/q/{scan}")
        assert page.status_code == 200
        recorded = staff.post(f"{base}/q/{scan}", timeout=30, data={
            "csrf_token": csrf_of(page.text), "lat": str(LAT), "lng": str(LNG), "accuracy": "8",
            **{f"item_{a['item']}": a["value"] for a in extinguisher_answers()}},
            files={"photo_photo": ("p.jpg", jpeg(), "image/jpeg")})
        assert recorded.status_code == 200, recorded.text[:300]

        started = requests.post(f"{base}/api/v1/compounds/{compound_id}/billing-runs", json={"period": "2026-11"},
                                headers={"Authorization": f"Bearer {api_token}"}, timeout=30)
        assert started.status_code == 202  # accepted: the job waits for the broker
        run_id = started.json()["id"]
        with env.session() as session:
            assert session.scalar(select(func.count()).select_from(WorkOrder)) == 1
            assert session.scalar(select(func.count()).select_from(Record)) == 1
            waiting = session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))).all()
            assert [m.task_name for m in waiting] == ["fees.run_billing"]
            assert session.get(BillingRun, run_id).status == "queued"  # not started

        env.start_redis()
        env.start_worker()
        assert "relayed 1 job(s)" in env.flask("outbox", "relay")
        env.wait_for(lambda s: s.get(BillingRun, run_id).status == "done", timeout=60, what="the waiting run done")
        assert "relayed 0 job(s)" in env.flask("outbox", "relay")  # handed over once
        time.sleep(1)
        with env.session() as session:
            assert session.get(BillingRun, run_id).attempts == 1
            assert session.scalar(select(func.count()).select_from(Bill)) == units
    finally:
        env.close()
