"""Scheduled work, run by the workers with no cron: each slot is claimed by exactly one.

Every tick a worker lists the slots due now (the sweep of overdue attempts every
``EXAM_ENGINE_SWEEP_EVERY_SECONDS``; the stale-statistics recompute and the pruning of old job
rows and ended sign-ins once a day from ``EXAM_ENGINE_STALE_STATS_AT`` UTC on) and enqueues
each one that no job row names yet. The row's unique ``slot`` settles races: of two workers
inserting the same slot, one commits and the other's insert fails, so a slot runs once however
many workers tick. A worker started late in the day still runs that day's overnight slot.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.models import Job
from exam_engine.services.jobs.names import PRUNE, RECOMPUTE_IF_STALE, SWEEP
from exam_engine.services.jobs.queue import JobSettings
from exam_engine.services.jobs.records import enqueue
from exam_engine.services.transaction import end_read

log = logging.getLogger(__name__)


def due_slots(config: JobSettings, now: datetime) -> list[tuple[str, str]]:
    """(job name, slot) for each scheduled run due at ``now``."""
    every = config.sweep_every_seconds
    start = datetime.fromtimestamp(int(now.timestamp()) // every * every, UTC)
    slots = [(SWEEP, f"sweep@{start:%Y-%m-%dT%H:%M:%S}")]
    if now.astimezone(UTC).time() >= config.stale_stats_at:
        day = now.astimezone(UTC).date().isoformat()
        slots += [(RECOMPUTE_IF_STALE, f"stale-stats@{day}"), (PRUNE, f"prune@{day}")]
    return slots


class Scheduler:
    """One worker's ticking: remembers the slots it has seen taken, to skip asking again."""

    def __init__(self, config: JobSettings) -> None:
        self.config = config
        self.seen: set[str] = set()

    def tick(self, session: Session, now: datetime) -> list[int]:
        """Enqueue every due slot not yet taken; return the ids of the jobs this worker made."""
        due = [(name, slot) for name, slot in due_slots(self.config, now) if slot not in self.seen]
        if not due:
            return []
        taken = set(session.scalars(select(Job.slot).where(Job.slot.in_([s for _, s in due]))))
        end_read(session)
        made: list[int] = []
        for name, slot in due:
            if slot not in taken:
                job_id = enqueue(session, name, slot=slot)
                if job_id is not None:
                    log.info("scheduled %s claimed as job %s", slot, job_id)
                    made.append(job_id)
            self.seen.add(slot)
        # Only the current slots can come due again; forget the rest.
        current = {slot for _, slot in due_slots(self.config, now)}
        self.seen &= current
        return made
