"""The queue behind the jobs: RQ on the app's Redis, or none (jobs run in-process)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job as RQJob
from rq.job import JobStatus

from exam_engine.config import DEFAULTS, redis_url

EXTENSION = "exam_engine.jobs"
# What RQ runs: the runner loads the row by id and does the rest.
ENTRY = "exam_engine.services.jobs.runner.perform"


@dataclass(frozen=True)
class JobSettings:
    """Job and schedule settings, read once from the app's config."""

    redis_url: str | None
    queue_name: str
    # Seconds to wait before each retry: a job runs at most len(retry_delays) + 1 times.
    retry_delays: tuple[int, ...]
    timeout_seconds: int
    sweep_every_seconds: int
    stale_stats_at: time
    keep_days: int
    tick_seconds: float

    @property
    def max_attempts(self) -> int:
        """Runs a retried job gets at most."""
        return len(self.retry_delays) + 1

    @classmethod
    def from_config(cls, config: Any) -> JobSettings:
        """Read and check the settings; a bad value names its setting."""
        delays = config["JOB_RETRY_DELAYS"]
        if not isinstance(delays, list | tuple) or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 86400 for d in delays
        ):
            raise ValueError(
                f"EXAM_ENGINE_JOB_RETRY_DELAYS: {delays!r} is not a list of whole seconds "
                "(such as [10, 60])"
            )
        at = str(config["STALE_STATS_AT"])
        try:
            hour, minute = (int(part) for part in at.split(":"))
            stale_at = time(hour, minute)
        except ValueError:
            raise ValueError(
                f"EXAM_ENGINE_STALE_STATS_AT: {at!r} is not a UTC time such as 03:00"
            ) from None
        numbers = {}
        for key in ("JOB_TIMEOUT_SECONDS", "SWEEP_EVERY_SECONDS", "JOB_KEEP_DAYS"):
            value = config[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"EXAM_ENGINE_{key}: {value!r} is not a whole number above 0")
            numbers[key] = value
        tick = config["SCHEDULE_TICK_SECONDS"]
        if isinstance(tick, bool) or not isinstance(tick, int | float) or not 0 < tick <= 60:
            raise ValueError(f"EXAM_ENGINE_SCHEDULE_TICK_SECONDS: {tick!r} is not 0-60 seconds")
        return cls(
            redis_url=redis_url(config),
            queue_name=f"{config['REDIS_KEY_PREFIX']}jobs",
            retry_delays=tuple(delays),
            timeout_seconds=numbers["JOB_TIMEOUT_SECONDS"],
            sweep_every_seconds=numbers["SWEEP_EVERY_SECONDS"],
            stale_stats_at=stale_at,
            keep_days=numbers["JOB_KEEP_DAYS"],
            tick_seconds=float(tick),
        )


def init_app(app: Flask) -> None:
    """Read the job settings into the app."""
    app.extensions[EXTENSION] = JobSettings.from_config(app.config)


def settings() -> JobSettings:
    """The current app's job settings; outside any app (a script calling the services), the
    defaults: no Redis, so jobs run in-process."""
    if not has_app_context():
        return JobSettings.from_config(DEFAULTS)
    found: JobSettings = current_app.extensions[EXTENSION]
    return found


def app_config() -> Any:
    """The current app's config, or the defaults outside any app."""
    return current_app.config if has_app_context() else DEFAULTS


_CONNECTIONS: dict[str, Redis] = {}


def connection(url: str) -> Redis:
    """One Redis client per URL and process (it pools its own connections)."""
    if url not in _CONNECTIONS:
        _CONNECTIONS[url] = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)
    return _CONNECTIONS[url]


def rq_queue(config: JobSettings) -> Queue:
    """The app's RQ queue (named after the key prefix, so apps sharing a Redis stay apart)."""
    assert config.redis_url is not None
    return Queue(config.queue_name, connection=connection(config.redis_url))


def rq_id(config: JobSettings, job_id: int) -> str:
    """RQ's id for the job's row: the prefix keeps apps sharing a Redis apart."""
    # RQ ids allow letters, digits, "_" and "-".
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{config.queue_name}-{job_id}")


# RQ states in which Redis still holds a job that will run (or is running).
_HELD = frozenset({JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.STARTED})


def held(config: JobSettings, job_id: int) -> bool:
    """Whether Redis holds the job waiting, scheduled for a retry or running (RedisError when
    it cannot be asked)."""
    assert config.redis_url is not None
    try:
        found = RQJob.fetch(rq_id(config, job_id), connection=connection(config.redis_url))
    except NoSuchJobError:
        return False
    return found.get_status(refresh=False) in _HELD


def push(config: JobSettings, job_id: int, max_attempts: int) -> None:
    """Hand the job's id to the workers, with RQ retrying it as the settings say."""
    retries = max_attempts - 1
    retry = Retry(max=retries, interval=list(config.retry_delays[:retries])) if retries else None
    rq_queue(config).enqueue(
        ENTRY,
        job_id,
        job_id=rq_id(config, job_id),
        retry=retry,
        job_timeout=config.timeout_seconds,
        # RQ's own record of a finished job is not what pages read: keep it a day only.
        result_ttl=86400,
        failure_ttl=86400,
    )


def queue_health(config: JobSettings) -> dict[str, Any] | None:
    """None without Redis; else the queue's state: ``ok`` with its depth, or ``unreachable``."""
    if config.redis_url is None:
        return None
    try:
        queue = rq_queue(config)
        return {
            "queue": "ok",
            "queued": queue.count,
            "scheduled": queue.scheduled_job_registry.count,
            "workers": Worker.count(queue=queue),
        }
    except RedisError as error:
        return {"queue": "unreachable", "error": type(error).__name__}
