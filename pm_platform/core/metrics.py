"""Prometheus metrics at `/metrics`: requests (prometheus-flask-exporter) and jobs (tasks/base.py).

- `flask_http_request_duration_seconds{method, endpoint, status}`: a histogram per Flask endpoint
  (its `_count` is the number of requests), grouped by endpoint, not by path, so that ids in paths
  do not make a series each; `flask_http_request_total{method, status}`,
  `flask_http_request_exceptions_total`.
- `pm_task_runs_total{task, outcome}` (outcome `ok`, `failed`, or `duplicate` for a redelivered
  message whose work was already done) and `pm_task_duration_seconds{task}`.

`/metrics` is not for the internet: it answers a caller on the machine itself (loopback, and not
relayed by the proxy in front: no X-Forwarded-* header), or a caller with
`Authorization: Bearer <METRICS_TOKEN>` when METRICS_TOKEN is set; anyone else gets 404.

Several processes (gunicorn workers, Celery's pool): set PROMETHEUS_MULTIPROC_DIR to an empty
directory shared by the web and the worker on that machine (see docs/deployment.md); `/metrics`
then adds up every process's files.
"""
from __future__ import annotations

import hmac
import ipaddress
import os
import time
from contextlib import contextmanager

from flask import Flask, Response, abort, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess
from prometheus_flask_exporter import PrometheusMetrics

TASK_RUNS = Counter("pm_task_runs_total", "Jobs run, by task and outcome (ok, failed, duplicate)",
                    ("task", "outcome"), registry=None)
TASK_DURATION = Histogram("pm_task_duration_seconds", "Time a job took, by task", ("task",), registry=None,
                          buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900))
FORWARDED_HEADERS = ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded", "X-Real-IP")


@contextmanager
def task_timer(task: str):
    """Count and time one job; the body sets `outcome["value"] = "duplicate"` when it did nothing."""
    outcome = {"value": "ok"}
    started = time.perf_counter()
    try:
        yield outcome
    except BaseException:
        outcome["value"] = "failed"
        raise
    finally:
        TASK_RUNS.labels(task, outcome["value"]).inc()
        TASK_DURATION.labels(task).observe(time.perf_counter() - started)


def _multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def _is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address((address or "").split("%")[0]).is_loopback
    except ValueError:
        return False


def may_read_metrics(app: Flask) -> bool:
    token = app.config.get("METRICS_TOKEN") or ""
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip().encode(), token.encode()):
        return True
    relayed = any(name in request.headers for name in FORWARDED_HEADERS)
    return _is_loopback(request.remote_addr) and not relayed


def install(app: Flask) -> PrometheusMetrics:
    # One registry per app (the tests build several apps in one process); the job metrics are
    # module-level, counted wherever a job runs, and shown by every app.
    registry = CollectorRegistry(auto_describe=True)
    registry.register(TASK_RUNS)
    registry.register(TASK_DURATION)
    exporter = PrometheusMetrics(app, path=None, registry=registry, group_by="endpoint",
                                 excluded_paths=["/static/", "/metrics$"])

    def metrics():
        if not may_read_metrics(app):
            abort(404)
        if _multiprocess():
            scraped = CollectorRegistry()
            multiprocess.MultiProcessCollector(scraped)
        else:
            scraped = registry
        return Response(generate_latest(scraped), headers={"Content-Type": CONTENT_TYPE_LATEST,
                                                          "Cache-Control": "no-store"})

    metrics.public = True  # not a page for people: its own check above (route walk reads this)
    app.add_url_rule("/metrics", "metrics", metrics)
    app.extensions["metrics"] = exporter
    return exporter
