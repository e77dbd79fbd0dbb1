"""Recompute the stored item and template statistics from first attempts, in one transaction.

Which responses count: for each (user, question version), only the item as shown in that
user's earliest (``started_at``, then id) finished mock attempt that showed it (kind "mock",
status submitted or expired). Drill and review attempts never count, and neither does a later
exposure of the same version, since a candidate may remember it. A response counts in the
scope of its attempt's template and in the all-templates scope (template ``''``).
Test statistics of a template use each user's first finished mock attempt of that template.

Recompute is full and vectorised and is run by ``flask bank item-stats --recompute`` or the
page's "Recompute now" button, never on a page view. It reads one packed record per finished
mock attempt (``response_records``; attempts without one are read from their rows and get one),
computes with numpy, and replaces the stored rows in one transaction (COPY on PostgreSQL).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from exam_engine.domain.item_analysis import DEFAULT_MIN_RESPONSES, Thresholds, score_stats
from exam_engine.domain.item_scopes import ALL_TEMPLATES, Computed, compute
from exam_engine.models import Attempt, ExamTemplate, ItemStatistic, TemplateStatistic
from exam_engine.services import response_records
from exam_engine.services.item_stats.fast_io import (
    LOCK_KEY,
    clearing,
    copy_item_rows,
    finished_mocks,
    insert_item_rows,
    load_responses,
)
from exam_engine.services.item_stats.staleness import dialect_insert, thresholds_for
from exam_engine.services.progress import Report, ignore
from exam_engine.services.transaction import end_read, transaction

# A recompute's progress: read, computed, written.
RECOMPUTE_STEPS = 3


class _Superseded(Exception):
    """A newer recompute already wrote: this one's write is rolled back."""


@dataclass(frozen=True)
class RecomputeReport:
    """What a recompute did and how long each part took."""

    computed_at: datetime
    attempts: int
    responses: int
    rows: int
    flagged: int
    load_seconds: float
    compute_seconds: float
    write_seconds: float
    skipped: bool = False
    # Attempts read from their rows (no usable record); each got its record in this run.
    unrecorded: int = 0


def recompute(
    session: Session,
    *,
    now: datetime,
    min_responses: int = DEFAULT_MIN_RESPONSES,
    progress: Report = ignore,
) -> RecomputeReport:
    """Recompute every stored item and template statistic from scratch (idempotent; commits).

    ``now`` is stored as ``computed_at``. A template stays marked stale when an attempt of it
    finished after this run read the attempts (see ``_write``). ``progress`` hears of three
    steps: read, computed, written.
    """
    thresholds = thresholds_for(min_responses)
    started = time.perf_counter()
    progress(0, RECOMPUTE_STEPS)
    data = load_responses(session)
    # End the read transaction before writing: SQLite has one writer, and a reader that
    # upgrades to a writer after someone else wrote would fail instead of waiting.
    end_read(session)
    progress(1, RECOMPUTE_STEPS)
    loaded = time.perf_counter()
    try:
        with transaction(session):
            with clearing(session) as cleared:
                computed = compute(data, thresholds)
            done = time.perf_counter()
            progress(2, RECOMPUTE_STEPS)
            if not _write(
                session,
                computed,
                now,
                data.seen,
                thresholds,
                records=data.unrecorded,
                cleared=cleared,
            ):
                # A skipped write may already have deleted rows (see clearing): undo it.
                raise _Superseded
        skipped = False
    except _Superseded:
        skipped = True
    written = time.perf_counter()
    progress(RECOMPUTE_STEPS, RECOMPUTE_STEPS)
    everything = next(t for t in computed.templates if t["template"] == ALL_TEMPLATES)
    return RecomputeReport(
        computed_at=now,
        attempts=int(data.attempt_ids.size),
        responses=computed.responses,
        rows=computed.row_count,
        flagged=int(everything["values"]["flagged"]),
        load_seconds=loaded - started,
        compute_seconds=done - loaded,
        write_seconds=written - done,
        skipped=skipped,
        unrecorded=len(data.unrecorded),
    )


def _write(
    session: Session,
    computed: Computed,
    now: datetime,
    seen: dict[str, tuple[int, int]],
    thresholds: Thresholds,
    *,
    records: Mapping[int, bytes] | None = None,
    cleared: bool = False,
) -> bool:
    """Replace the stored rows in one transaction; False when a newer recompute already wrote.

    A template's stale mark is cleared only when the finished mock attempts of it now are
    exactly those that were read (same count and sum of ids). The check runs after this
    transaction holds the statistics rows (PostgreSQL: row locks; SQLite: the write lock), so
    an attempt finishing meanwhile either was counted here or marks the row after this commit.
    ``records`` (attempts that were read from their rows) are stored in the same transaction.
    ``cleared``: ``clearing`` already took the lock and deleted the rows in this transaction
    (the caller rolls back when this returns False).
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres and not cleared:
        # Two recomputes at once would both delete and then both insert the same keys.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    latest = session.scalar(
        select(TemplateStatistic.computed_at).where(TemplateStatistic.template == ALL_TEMPLATES)
    )
    if latest is not None and latest > now:
        return False
    if not cleared:
        session.execute(delete(ItemStatistic))
    existing = select(TemplateStatistic.template)
    names_stored = session.scalars(existing.with_for_update() if postgres else existing).all()
    names_of = dict(session.execute(select(ExamTemplate.id, ExamTemplate.name)).tuples().all())
    current = {
        names_of[template_id]: (int(count), int(total))
        for template_id, count, total in finished_mocks(
            session,
            select(
                Attempt.template_id, func.count(Attempt.id), func.coalesce(func.sum(Attempt.id), 0)
            ).group_by(Attempt.template_id),
        )
    }
    if computed.row_count:
        (copy_item_rows if postgres else insert_item_rows)(session, computed, now)
    rows = list(computed.templates)
    names = {row["template"] for row in rows}
    for name in names_stored:
        if name not in names:
            # A template whose attempts are all gone (or never counted) is computed as empty.
            rows.append({"template": name, "attempts": 0, "values": _empty_values(thresholds)})
    upsert = dialect_insert(session)
    for row in rows:
        name = row["template"]
        missed = name != ALL_TEMPLATES and current.get(name, (0, 0)) != seen.get(name, (0, 0))
        statement = upsert(TemplateStatistic).values(
            **row, computed_at=now, stale_since=now if missed else None
        )
        statement = statement.on_conflict_do_update(
            index_elements=["template"],
            set_={
                "attempts": statement.excluded.attempts,
                "values": statement.excluded["values"],
                "computed_at": statement.excluded.computed_at,
                "stale_since": (
                    func.coalesce(TemplateStatistic.stale_since, now) if missed else None
                ),
            },
        )
        session.execute(statement)
    response_records.store(session, records or {})
    return True


def _empty_values(thresholds: Thresholds) -> dict[str, Any]:
    values = score_stats(np.zeros((0, 0))).to_values(thresholds)
    values.update(responses=0, versions=0, flagged=0)
    return values
