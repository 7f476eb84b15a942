import json

from click.testing import CliRunner
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


def test_an_exported_head_finds_entries_deleted_from_the_end(session, app, tmp_path):
    from pm_platform.core.cli import head

    entries = [audit.record(session, None, "fee.pay", "payment", i, {"amount_fen": i}) for i in range(5)]
    session.commit()
    runner = app.test_cli_runner()
    exported = runner.invoke(head)
    assert exported.exit_code == 0
    head_json = json.loads(exported.output)
    assert head_json["id"] == entries[-1].id and head_json["hash"] == entries[-1].hash
    assert head_json["at"].endswith("Z")
    head_file = tmp_path / "audit-head.json"
    head_file.write_text(exported.output)
    intact = runner.invoke(verify, ["--head", str(head_file)])
    assert intact.exit_code == 0 and f"reaching the exported head (entry {entries[-1].id})" in intact.output

    # the newest two entries are deleted: every remaining link still holds
    for entry in entries[-2:]:
        session.delete(session.get(AuditEntry, entry.id))
    session.commit()
    assert runner.invoke(verify).exit_code == 0
    for given in (str(head_file), exported.output.strip()):   # a file, or the JSON itself
        result = runner.invoke(verify, ["--head", given])
        assert result.exit_code == 1
        assert f"BROKEN at entry {entries[-1].id}" in result.output
        assert f"the chain ends at entry {entries[-3].id} and never reaches the exported head" in result.output
        assert "entries at the end were deleted" in result.output

    # ... and new entries written after the deletion do not hide it
    audit.record(session, None, "fee.pay", "payment", 99, {"amount_fen": 99})
    audit.record(session, None, "fee.pay", "payment", 100, {"amount_fen": 100})
    session.commit()
    result = runner.invoke(verify, ["--head", str(head_file)])
    assert result.exit_code == 1 and "is not in the chain" in result.output


def test_a_head_that_is_not_one_is_refused(session, app, tmp_path):
    runner = app.test_cli_runner()
    for bad in ('{"id": 1}', '{"id": "x", "hash": "' + "0" * 64 + '"}', str(tmp_path / "missing.json"), "{oops"):
        result = runner.invoke(verify, ["--head", bad])
        assert result.exit_code == 2 and "--head" in result.output
