"""`flask demo`: a district modelled on a published district programme, every domain in turn."""
from __future__ import annotations

import importlib
import random
import time

import click
from flask.cli import with_appcontext

from pm_platform import DOMAINS
from pm_platform.extensions import db


@click.command("demo")
@click.option("--seed", default=2022, show_default=True)
@with_appcontext
def demo_command(seed: int) -> None:
    """Build the demo district; running it again changes nothing."""
    rng = random.Random(seed)
    started = time.perf_counter()
    for domain in DOMAINS:
        try:
            module = importlib.import_module(f"pm_platform.{domain}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"pm_platform.{domain}.demo":
                raise
            continue
        summary = module.build_demo(db.session, rng)
        db.session.commit()
        click.echo(f"  {domain}: {summary}")
    click.echo(f"demo data ready in {time.perf_counter() - started:.1f}s")
