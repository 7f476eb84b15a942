"""The demo walk of tests/core/test_demo_walk.py, by hand, on the full demo: every demo login
(and anonymously) follows every same-site link of every page it reaches, at most N distinct URLs
per endpoint (tests/walker.py), in-process through Flask's test client.

Prints the pages walked per role, every problem (5xx, English on a Chinese page, a raw status key;
those on the test's KNOWN_FAILURES list marked as known) and the slowest pages with their times.

Builds the demo (`--size`, default full) in a throw-away SQLite file, or uses DATABASE_URL (the
demo is built there unless it is already present).

Run: .venv/bin/python benchmarks/demo_walk.py [--size full|small] [--per-endpoint 3] [--slowest 15]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's pm_platform and tests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=("small", "full"), default="full")
    parser.add_argument("--per-endpoint", type=int, default=3)
    parser.add_argument("--slowest", type=int, default=15)
    args = parser.parse_args()

    import flask_migrate

    from pm_platform import create_app
    from pm_platform.core import i18n
    from pm_platform.demo import build_demo
    from pm_platform.extensions import db, limiter
    from pm_platform.places.demo import DEMO_PASSWORD
    from tests.core.test_demo_walk import KNOWN_FAILURES
    from tests.walker import ANONYMOUS, DEMO_LOGINS, Walker, entry_points, login, slowest, summary

    i18n.compile_catalogs()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/demo.db"
    # TESTING: an error in a view reaches the walker as an exception (its message is reported).
    app = create_app({"DATABASE_URL": url, "REDIS_URL": None, "TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://",
                      "LOCAL_SECRETS": True, "PAYMENT_SANDBOX": True})
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
        started = time.perf_counter()
        summaries = build_demo(db.session, args.size)
        print(f"demo ({args.size}) on {url.split('://')[0]}: {time.perf_counter() - started:.1f}s")
        for domain, text in summaries.items():
            print(f"  {domain}: {text}")
        starts = ["/", *entry_points(db.session)]
        db.session.remove()

    walker = Walker(app, per_endpoint=args.per_endpoint, known=KNOWN_FAILURES)
    walks = []
    started = time.perf_counter()
    for role in (ANONYMOUS, *DEMO_LOGINS):
        client = app.test_client()
        limiter.reset()
        if role != ANONYMOUS and not login(client, role, DEMO_PASSWORD):
            print(f"{role}: cannot sign in")
            continue
        role_started = time.perf_counter()
        walks.append(walker.walk(client, role, starts))
        print(f"  {role}: walked in {time.perf_counter() - role_started:.1f}s", flush=True)
    print(f"\nwalk: {time.perf_counter() - started:.1f}s, at most {args.per_endpoint} URLs per endpoint\n")
    print(summary(walks))
    problems = [p for w in walks for p in w.problems]
    print(f"\nproblems ({sum(not p.known for p in problems)} new, {sum(bool(p.known) for p in problems)} known):")
    for problem in problems:
        print(f"  {'KNOWN ' if problem.known else 'NEW   '}{problem}")
    unmet = [k for k in KNOWN_FAILURES if k not in walker.known_used]
    print(f"\nKNOWN_FAILURES entries no page met ({len(unmet)}): {'; '.join(k.reason for k in unmet) or '-'}")
    reached = {v.endpoint for w in walks for v in w.visits if v.status == 200}
    unreached = sorted(r.endpoint for r in app.url_map.iter_rules()
                       if "GET" in r.methods and not r.rule.startswith(("/api/", "/static/")) and r.endpoint not in reached)
    print(f"\npage endpoints no walk reached with a 200 ({len(unreached)}): {', '.join(unreached)}")
    client_errors = [v for w in walks for v in w.visits if 400 <= v.status < 500]
    print(f"\nlinks answering 4xx ({len(client_errors)}):")
    for visit in client_errors:
        print(f"  {visit.status}  [{visit.role}] {visit.url} (from {visit.referrer})")
    print(f"\nthe {args.slowest} slowest requests:")
    for visit in slowest(walks, args.slowest):
        print(f"  {visit.seconds * 1000:7.0f} ms  {visit.status}  [{visit.role}] {visit.url}")


if __name__ == "__main__":
    main()
