"""The JSON API fuzzed from its own OpenAPI document (schemathesis, in-process over WSGI).

Every operation in /api/openapi.json gets generated requests, valid by the document and not,
as a firm manager, an owner, an owners' committee member and a community office (personal
tokens), and the gate and cabinet endpoints as a device (device keys). Each answer must be no
5xx, of a status the operation declares, with the declared content type and a body matching the
declared schema (the error body included: core/schemas.ErrorSchema).

Path ids are either generated or those of real rows made here (a compound, unit, lot, ...), so
requests reach the services and not only the 404. Each test runs inside the suite's rolled-back
transaction (tests/conftest.py): what the fuzz writes is gone after the test, and every request
that fails rolls its own work back as it does in production.

Examples are few and derandomized (the same inputs every run, so CI is not flaky); set
FUZZ_EXAMPLES (per operation and mode), FUZZ_RANDOM=1 to search further locally, FUZZ_STRICT=1
to count invalid input accepted with a 2xx too, FUZZ_STATS=1 (with -s) for the statuses seen.
Inputs that found defects are kept as plain tests in tests/api/test_fuzz_findings.py.
"""
from __future__ import annotations

import datetime as dt
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)

from pm_platform.extensions import db, limiter

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
if os.environ.get("FUZZ_STRICT"):  # exploring: invalid input accepted with a 2xx counts too
    from schemathesis.specs.openapi.checks import negative_data_rejection
    CHECKS.append(negative_data_rejection)
STATS: dict[str, list[int]] = {}  # FUZZ_STATS=1 prints each operation's statuses
DEVICE_PATHS = {"/api/v1/parking/gate-events": "gate", "/api/v1/lockers/events": "locker"}


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


def _operations(api_schema):
    return [result.ok() for result in api_schema.get_all_operations()]


@pytest.fixture
def fuzz_world(session, world):
    """Real rows whose ids the fuzz sends in paths, and the callers."""
    from pm_platform.committees import service as committees
    from pm_platform.core import clock
    from pm_platform.fees import service as fees
    from pm_platform.lockers import service as lockers
    from pm_platform.parking import service as parking
    from pm_platform.places.service import create_device
    from pm_platform.workorders import service as workorders
    from tests.parking.helpers import TARIFF

    compound, unit = world.compounds[0], world.units[world.compounds[0].id][0]
    manager = world.user(session, "firm_manager")
    owner = world.user(session, "owner")
    lot = parking.create_lot(session, manager, compound.id, "一号停车场", 50, TARIFF)
    contract = lockers.create_contract(session, manager, compound.id, "丰巢", monthly_rent_fen=10000,
                                       commission_fen=0, free_hours=24, starts_on=dt.date(2026, 1, 1))
    site = lockers.create_site(session, manager, contract.id, "东门")
    item = fees.create_fee_item(session, manager, compound.id, name="物业费", kind="per_area", rate_fen=150,
                                from_period="2026-01")
    order = workorders.create_work_order(session, owner, compound_id=compound.id, source="resident",
                                         category="water", description="漏水", unit_id=unit.id)
    vehicle = parking.register_vehicle(session, manager, compound.id, "京A12345", "monthly", unit.id)
    committee = world.user(session, "committee")
    now = clock.now_utc()
    motion = committees.create_motion(session, committee, compound.id, title="通过管理规约", body="全文见附件",
                                      category="covenant", opens_at=now - dt.timedelta(minutes=1),
                                      closes_at=now + dt.timedelta(days=3))
    committees.open_motion(session, committee, motion.id)
    _gate, gate_key = create_device(session, None, "gate", compound.id)
    _cabinet, locker_key = create_device(session, None, "locker", compound.id)
    session.commit()
    limiter.reset()  # the fuzz spends the rate limits (ID checks: 10 an hour); no other test pays for it
    known = {"compound_id": compound.id, "unit_id": unit.id, "lot_id": lot.id, "contract_id": contract.id,
             "fee_item_id": item.id, "work_order_id": order.id, "vehicle_id": vehicle.id, "motion_id": motion.id,
             "provider": "sandbox"}
    yield {"known": known, "manager": manager, "owner": owner, "committee": committee,
           "community": world.user(session, "community"),
           "devices": {"gate": gate_key, "locker": locker_key}, "site": site}
    limiter.reset()


def _fuzz(operation, headers: dict, known: dict, examples: int = EXAMPLES) -> list[str]:
    """Run the operation's examples; the failures, one line each (empty when all passed)."""
    names = {p.name for p in operation.path_parameters}
    fixed = {name: value for name, value in known.items() if name in names}
    strategies = [operation.as_strategy(mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    if fixed:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed))
    failures: list[str] = []

    @settings(max_examples=examples * len(strategies), deadline=None, database=None, derandomize=not RANDOM,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    @given(case=st.one_of(strategies))
    def run(case):
        try:
            response = case.call(headers=headers)
            STATS.setdefault(operation.label, []).append(response.status_code)
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # keep going: every operation's problems in one report
            if os.environ.get("FUZZ_TRACE"):
                import traceback
                traceback.print_exc()
            first = str(exc).strip().splitlines()
            failures.append(f"{operation.label}: {' | '.join(first[:6])}\n    {case.as_curl_command(headers)}")
        finally:
            db.session.rollback()  # nothing a failed request left half-done reaches the next

    run()
    return failures


@pytest.fixture(scope="module", autouse=True)
def _print_stats():
    yield
    if os.environ.get("FUZZ_STATS"):
        from collections import Counter
        for label, statuses in sorted(STATS.items()):
            print(label, dict(Counter(statuses)))


def _report(failures: list[str]) -> str:
    return f"{len(failures)} failing example(s):\n" + "\n".join(failures[:40])


@pytest.mark.parametrize("role", ["manager", "owner", "committee", "community"])
def test_every_operation_as_a_user(app, api_schema, fuzz_world, api, role):
    headers = api(fuzz_world[role])
    failures = []
    for operation in _operations(api_schema):
        if operation.path in DEVICE_PATHS:
            continue
        failures += _fuzz(operation, headers, fuzz_world["known"])
    assert not failures, _report(failures)


def test_device_operations_with_a_device_key(app, api_schema, fuzz_world):
    failures = []
    for operation in _operations(api_schema):
        kind = DEVICE_PATHS.get(operation.path)
        if kind:
            headers = {"Authorization": f"Bearer {fuzz_world['devices'][kind]}"}
            failures += _fuzz(operation, headers, fuzz_world["known"], examples=EXAMPLES * 5)  # two cheap ones
    assert not failures, _report(failures)
