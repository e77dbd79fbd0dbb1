"""Background jobs: enqueue a named job, read its status, progress, result or failure reason.

Services and pages use only this package, never the queue library. The library is RQ
(``rq``, pinned in ``pyproject.toml``): maintained, Redis only (the Redis the app already
uses for sessions), plain functions as jobs, bounded retries with per-retry delays
(``Retry``), and a worker that can run in the process that built the Flask app. Dramatiq and
Celery would do too, but bring their own process model and more settings for nothing the
engine needs.

A job's state lives in its ``jobs`` row (``models/job.py``), not in RQ's Redis records:
pages read one table with or without Redis, the row outlives RQ's expiring keys, and a
scheduled slot's unique key there is what lets exactly one of several workers run it. Redis
carries only the row's id to a worker.

Without Redis (``EXAM_ENGINE_REDIS_URL`` unset: the quick start) a job runs in the process
that enqueues it, at once and to its end (retries too, each waiting its delay within a
budget of two seconds for all the waits of one request: ``runner.run_here``), writing the
same row: nothing else to start, and tests see its end state when ``enqueue`` returns.
"""

from exam_engine.services.jobs.queue import JobSettings, init_app, queue_health
from exam_engine.services.jobs.records import (
    JobView,
    enqueue,
    job_output,
    job_view,
    latest_job,
    list_jobs,
    queued,
)
from exam_engine.services.jobs.registry import Progress

__all__ = [
    "JobSettings",
    "JobView",
    "Progress",
    "enqueue",
    "init_app",
    "job_output",
    "job_view",
    "latest_job",
    "list_jobs",
    "queued",
    "queue_health",
]
