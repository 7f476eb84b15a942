"""`flask fees bill` and `flask fees arrears`: commands for operators and scripts."""
from sqlalchemy import func, select

from pm_platform.fees.cli import arrears, bill
from pm_platform.fees.models import Bill, BillingRun


def count_bills(session, compound_id):
    return session.scalar(select(func.count()).select_from(Bill).where(Bill.compound_id == compound_id))


def test_billing_from_the_command_line_twice_creates_nothing_new(app, session, fees):
    runner = app.test_cli_runner()
    scope = ["--scope", f"compound:{fees.compound.id}", "--period", "2026-11"]
    first = runner.invoke(bill, scope)
    assert first.exit_code == 0, first.output
    # no Redis in tests: the run was handed over through the outbox and carried out at once
    assert "done: 6 bills created in 1 compound(s)" in first.output
    second = runner.invoke(bill, scope)
    assert second.exit_code == 0 and "done: 0 bills created" in second.output
    assert count_bills(session, fees.compound.id) == 6
    runs = session.scalars(select(BillingRun).order_by(BillingRun.id)).all()
    assert [(r.status, r.bills_created) for r in runs] == [("done", 6), ("done", 0)]
    assert f"billing run {runs[0].id} " in first.output


def test_a_district_run_bills_every_compound_of_it(app, session, fees):
    result = app.test_cli_runner().invoke(bill, ["--period", "2026-11", "--scope", f"district:{fees.world.district.id}"])
    assert result.exit_code == 0 and "in 2 compound(s)" in result.output
    assert count_bills(session, fees.compound.id) == 6


def test_a_bad_period_or_scope_exits_non_zero_with_the_reason_and_starts_nothing(app, session, fees):
    runner = app.test_cli_runner()
    compound = f"compound:{fees.compound.id}"
    for args, message in [
        (["--period", "2026-13", "--scope", compound], "period must look like 2026-11"),
        (["--period", "2026/11", "--scope", compound], "period must look like 2026-11"),
        (["--period", "2026-11", "--scope", "firm:1"], "compound, street or district"),
        (["--period", "2026-11", "--scope", "compound"], "KIND:ID"),
        (["--period", "2026-11", "--scope", "compound:999999"], "not found"),
        (["--period", "2026-11", "--scope", f"street:{fees.world.district.id}"], "not found"),
    ]:
        result = runner.invoke(bill, args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    assert session.scalar(select(BillingRun.id)) is None and count_bills(session, fees.compound.id) == 0


def test_arrears_prints_the_aging_buckets(app, session, fees):
    fees.bill(session, "2026-10", "2026-11")
    runner = app.test_cli_runner()
    result = runner.invoke(arrears, ["--compound", str(fees.compound.id), "--as-of", "2026-11-30"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"compound {fees.compound.id}, arrears as of 2026-11-30: 3 units"
    # each unit owes 107.24 + 10.00 a month: November's 15 and 10 days overdue, October's 46 and 41
    assert lines[1].split() == ["0–30", "days", "351.72"] and lines[2].split() == ["31–90", "days", "351.72"]
    assert lines[-1].split() == ["total", "703.44"]
    assert runner.invoke(arrears, ["--compound", "999999"]).exit_code != 0
    bad_date = runner.invoke(arrears, ["--compound", str(fees.compound.id), "--as-of", "2026-11-31"])
    assert bad_date.exit_code != 0 and "--as-of" in bad_date.output
