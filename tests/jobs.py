"""Jobs that exist for the tests only (loaded through EXTRA_TASK_MODULES by the test app and the
worker processes the tests start; never shipped with the platform's own jobs)."""
from __future__ import annotations

from pm_platform.core import audit
from tasks.base import service_task


@service_task("core.echo")
def echo(session, note: str):
    """Writes one audit entry: lets tests see that a relayed job ran, and how often."""
    audit.record(session, None, "core.echo", "job", note, {"note": note})
    return note
