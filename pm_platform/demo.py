"""`flask demo`: a district modelled on a published district programme, every domain in turn.

`--size small` builds one street of a few compounds instead (seconds on SQLite, for tests), with
every domain's data and every demo login still seeing something on each of their pages."""
from __future__ import annotations

import importlib
import random
import time
from collections.abc import Callable

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from pm_platform import DOMAINS
from pm_platform.extensions import db

SIZES = ("small", "full")


def build_demo(session: Session, size: str = "full", seed: int = 2022,
               report: Callable[[str, str], None] | None = None) -> dict[str, str]:
    """Build the demo district of `size`, committing after each domain; {domain: summary}."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}")
    rng = random.Random(seed)
    summaries = {}
    for domain in DOMAINS:
        try:
            module = importlib.import_module(f"pm_platform.{domain}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"pm_platform.{domain}.demo":
                raise
            continue
        summaries[domain] = module.build_demo(session, rng, size=size)
        session.commit()
        if report:
            report(domain, summaries[domain])
    return summaries


@click.command("demo")
@click.option("--seed", default=2022, show_default=True)
@click.option("--size", type=click.Choice(SIZES), default="full", show_default=True,
              help="small: one street of a few compounds, built in seconds (for tests)")
@with_appcontext
def demo_command(seed: int, size: str) -> None:
    """Build the demo district; running it again changes nothing."""
    started = time.perf_counter()
    build_demo(db.session, size, seed, report=lambda domain, summary: click.echo(f"  {domain}: {summary}"))
    click.echo(f"demo data ready in {time.perf_counter() - started:.1f}s")
