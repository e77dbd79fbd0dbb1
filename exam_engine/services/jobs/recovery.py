"""Jobs the queue lost: rows left running by a killed worker, rows queued that Redis dropped.

The sweep (every minute, in a worker) calls both. A row is the job's record and Redis only
carries its id, so when Redis loses what it held (restarted without persistence, flushed,
failed over) the rows say ``queued`` and nothing would ever run them; and a worker killed in
the middle of a job leaves its row ``running`` for ever. Both are found from the rows and
mended from the rows.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, cast

from redis.exceptions import RedisError
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from exam_engine.domain.vocabulary import JobStatus
from exam_engine.models import Job, utcnow
from exam_engine.services.jobs import queue
from exam_engine.services.transaction import end_read, transaction

log = logging.getLogger(__name__)

# A queued row younger than this is left alone: its id may be on its way to Redis (the row
# commits before the push) and a retry's delay is counted from its last start.
LOST_AFTER_SECONDS = 120
# The most rows one sweep hands back to the queue (the rest wait for the next minute).
REQUEUE_BATCH = 500
# Why an attempt that outlived its timeout ended.
ABANDONED = "the worker running it stopped before it finished"


def end_abandoned(session: Session) -> int:
    """End the attempts left running past their timeout (their worker was killed); return how
    many.

    With a queue, a job with attempts left goes back to it, as a failed attempt would; its
    last attempt, or any without a queue (nothing would run it again), is marked failed.
    """
    config = queue.settings()
    cutoff = utcnow() - timedelta(seconds=config.timeout_seconds + 60)
    rows = session.execute(
        select(Job.id, Job.attempts, Job.max_attempts).where(
            Job.status == JobStatus.RUNNING, Job.started_at < cutoff
        )
    ).all()
    end_read(session)
    ended = 0
    again: list[tuple[int, int]] = []
    for job_id, attempts, max_attempts in rows:
        retry = config.redis_url is not None and attempts < max_attempts
        with transaction(session):
            # Only if nobody else ended this attempt meanwhile (another worker's sweep).
            changed = cast(
                CursorResult[Any],
                session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.status == JobStatus.RUNNING)
                    .where(Job.attempts == attempts)
                    .values(
                        status=JobStatus.QUEUED if retry else JobStatus.FAILED,
                        error=ABANDONED + ("; retrying" if retry else "; start it again"),
                        finished_at=None if retry else utcnow(),
                    )
                    .execution_options(synchronize_session=False)
                ),
            ).rowcount
        ended += changed
        if changed and retry:
            again.append((job_id, max_attempts - attempts))
    for job_id, left in again:
        try:
            queue.push(config, job_id, left)
        except RedisError as error:
            # The row stays queued: requeue_lost hands it over once Redis answers.
            log.warning("job %s not queued again: Redis unreachable: %s", job_id, error)
            break
        log.warning("job %s: its worker stopped during an attempt; queued again", job_id)
    return ended


def requeue_lost(session: Session) -> int:
    """Hand back to the queue the queued jobs Redis no longer holds; return how many.

    Without Redis nothing is lost this way (a job runs where it is enqueued): 0. A job
    delivered twice still runs once (the runner claims its row), so a row pushed here and
    by another worker's sweep in the same minute is harmless.
    """
    config = queue.settings()
    if config.redis_url is None:
        return 0
    # Counted from its last start (a retry) or its creation: older than that, its id should
    # long have reached Redis.
    since = func.coalesce(Job.started_at, Job.created_at)
    cutoff = utcnow() - timedelta(seconds=LOST_AFTER_SECONDS + max(config.retry_delays, default=0))
    rows = session.execute(
        select(Job.id, Job.name, Job.attempts, Job.max_attempts)
        .where(Job.status == JobStatus.QUEUED, since < cutoff)
        .order_by(Job.id)
        .limit(REQUEUE_BATCH)
    ).all()
    end_read(session)
    requeued = 0
    for job_id, name, attempts, max_attempts in rows:
        try:
            if queue.held(config, job_id):
                continue
            queue.push(config, job_id, max(1, max_attempts - attempts))
        except RedisError as error:
            log.warning("lost jobs not requeued: Redis unreachable: %s", error)
            break
        requeued += 1
        log.warning("job %s (%s) was queued but not in Redis: queued again", job_id, name)
    return requeued
