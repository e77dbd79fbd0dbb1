"""Request ids, Prometheus metrics and the ``/metrics`` endpoint behind an admin token.

Every response carries ``X-Request-ID`` (the client's, when acceptable, else a new one), and
every log line written while serving it carries the same id. Metrics: request latency per
endpoint (a histogram), saves (a counter: ``rate(exam_engine_saves_total[1m])`` is saves per
second), and, read at scrape time from the database and Redis so that every worker and host
agrees, attempts in progress, jobs by status and the queue's depth.

Under gunicorn with several workers set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder
before starting it: each worker then writes its samples there and ``/metrics`` adds them up
(prometheus_client's multiprocess mode; ``gunicorn.conf.py`` marks dead workers' files).
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from exam_engine.extensions import csrf, current_session
from exam_engine.services import jobs, request_id
from exam_engine.services.monitoring import counts

REQUEST_SECONDS = Histogram(
    "exam_engine_request_seconds",
    "Time to answer a request, per endpoint and method",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SAVES = Counter(
    "exam_engine_saves", "Answer saves received, by whether they were accepted", ["accepted"]
)

bp = Blueprint("observability", __name__)


def count_save(accepted: bool) -> None:
    """Count one answer save."""
    SAVES.labels(accepted="true" if accepted else "false").inc()


def _start() -> None:
    g.request_started = time.perf_counter()
    g.request_id = request_id.accept(request.headers.get("X-Request-ID"))
    g.request_id_tokens = request_id.bind(g.request_id)


def _finish(response: Response) -> Response:
    started = g.get("request_started")
    if started is not None:
        # The endpoint name, not the path: bounded label values (404s share one).
        endpoint = request.endpoint or "unmatched"
        REQUEST_SECONDS.labels(endpoint, request.method).observe(time.perf_counter() - started)
    if "request_id" in g:
        response.headers["X-Request-ID"] = g.request_id
    return response


def _teardown(_error: BaseException | None) -> None:
    tokens = g.pop("request_id_tokens", None)
    if tokens is not None:
        request_id.unbind(tokens)


class _StateCollector(Collector):
    """Gauges read at scrape time: attempts in progress, jobs by status, the queue's depth."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        state = counts(current_session())
        yield GaugeMetricFamily(
            "exam_engine_attempts_in_progress",
            "Attempts started and not finished",
            value=state.attempts_in_progress,
        )
        by_status = GaugeMetricFamily(
            "exam_engine_jobs", "Job records by status (failed: out of retries)", labels=["status"]
        )
        for status, number in sorted(state.jobs.items()):
            by_status.add_metric([status], number)
        yield by_status
        health = jobs.queue_health(jobs.queue.settings())
        if health is not None:
            yield GaugeMetricFamily(
                "exam_engine_job_queue_up",
                "1 when Redis answers",
                value=int(health["queue"] == "ok"),
            )
            if health["queue"] == "ok":
                yield GaugeMetricFamily(
                    "exam_engine_job_queue_depth",
                    "Jobs waiting in Redis (queued, and scheduled retries)",
                    value=health["queued"] + health["scheduled"],
                )


@bp.get("/metrics")
@csrf.exempt
def metrics() -> Any:
    """Prometheus text format; 404 unless METRICS_TOKEN is set, 401 without that token."""
    token = str(current_app.config["METRICS_TOKEN"] or "")
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return Response(
            "metrics: send Authorization: Bearer <EXAM_ENGINE_METRICS_TOKEN>\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"'},
            mimetype="text/plain",
        )
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    state = CollectorRegistry()
    state.register(_StateCollector())
    body += generate_latest(state)
    response = Response(body, mimetype=CONTENT_TYPE_LATEST)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


def register(app: Flask) -> None:
    """Hook the request id and latency into every request; add ``/metrics``."""
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_teardown)
    app.register_blueprint(bp)
