from sqlalchemy import update

from pm_platform.core import audit
from pm_platform.core.cli import verify
from pm_platform.core.models import AuditEntry


def test_chain_verifies_and_reports_first_edited_entry(session, app):
    entries = [audit.record(session, None, "fee.pay", "payment", i, {"amount_fen": 100 * i}) for i in range(1, 5)]
    assert audit.verify_chain(session).ok
    assert entries[1].prev_hash == entries[0].hash

    # Someone edits an amount directly in the database.
    session.execute(update(AuditEntry).where(AuditEntry.id == entries[2].id)
                    .values(payload='{"amount_fen":999999}'))
    session.expire_all()
    report = audit.verify_chain(session)
    assert not report.ok and report.broken_at == entries[2].id
    assert "content" in report.reason


def test_cli_verify_exits_nonzero_on_a_deleted_link(session, app):
    entries = [audit.record(session, None, "vote.cast", "ballot", i, {"i": i}) for i in range(3)]
    session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(verify).exit_code == 0
    session.delete(session.get(AuditEntry, entries[1].id))
    session.commit()
    result = runner.invoke(verify)
    assert result.exit_code == 1
    assert f"BROKEN at entry {entries[2].id}" in result.output
