"""Item analysis: recompute the stored statistics from first attempts, mark them stale, read them.

Which responses count: for each (user, question version), only the item as shown in that
user's earliest (``started_at``, then id) finished mock attempt that showed it (kind "mock",
status submitted or expired). Drill and review attempts never count, and neither does a later
exposure of the same version, since a candidate may remember it. A response counts in the
scope of its attempt's template and in the all-templates scope (template ``''``).
Test statistics of a template use each user's first finished mock attempt of that template.
The formulas are in ``exam_engine.domain.item_analysis``.

Recompute is full and vectorised and is run by ``flask bank item-stats --recompute`` or the
page's "Recompute now" button, never on a page view. It reads one packed record per finished
mock attempt (``response_records``; attempts without one are read from their rows and get one),
computes with numpy, and replaces the stored rows in one transaction (COPY on PostgreSQL).
``finalize`` calls ``mark_stale`` and ``record_responses`` in its grading transaction, so the
page can say the numbers are out of date until the next recompute.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Text, cast, delete, func, select, text
from sqlalchemy.orm import Session

from exam_engine.domain.item_analysis import (
    DEFAULT_MIN_RESPONSES,
    FLAG_ORDER,
    Thresholds,
    first_exposures,
    rank_entries,
    scoped_item_stats,
    score_entries,
    score_stats,
    slot_matrices,
)
from exam_engine.domain.summary_rows import SummaryRows, summary_rows
from exam_engine.models import (
    Attempt,
    AttemptItem,
    ExamTemplate,
    ItemStatistic,
    Question,
    QuestionVersion,
    ResponseRecord,
    TemplateStatistic,
    utcnow,
)
from exam_engine.services import response_records
from exam_engine.services.errors import NotFound, ValidationFailed

ALL_TEMPLATES = ""
SETTING = "ITEM_STATS_MIN_RESPONSES"
FINISHED = ("submitted", "expired")
PER_PAGE = 50
# Any constant works: it only has to differ from other advisory locks the app might take.
_LOCK_KEY = 0x17E5_7A75
SORTS = ("flags", "key", "subdomain", "responses", "facility", "discrimination")
FLAG_FILTERS = ("", "any", "none", *FLAG_ORDER)
# Flags that say something about the item (too few responses only says "wait").
REVIEW_FLAGS = frozenset(FLAG_ORDER) - {"too-few-responses"}
# Attempts without a record up to this many are read by id; more, with one scan of the rows.
_BY_ID_LIMIT = 1000
# Finished mock attempts by start, with user and template (migration 0003).
_FINISHED_INDEX = "ix_attempts_finished_mocks"


def min_responses_setting(config: Mapping[str, Any]) -> int:
    """Read ITEM_STATS_MIN_RESPONSES (default 30) from the app config; a bad value is named."""
    raw = config.get(SETTING, DEFAULT_MIN_RESPONSES)
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip().isdigit():
        value = int(raw.strip())
    if value is None or value < 1:
        raise ValidationFailed(f"{SETTING}: must be a whole number >= 1, got {raw!r}")
    return value


def _thresholds(min_responses: int) -> Thresholds:
    try:
        return Thresholds(min_responses=min_responses)
    except ValueError as error:
        raise ValidationFailed(f"min_responses: {error}") from None


def _insert(session: Session) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (PostgreSQL and SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def mark_stale(
    session: Session, template_name: str, *, now: datetime | None = None, kind: str = "mock"
) -> None:
    """Record, without committing, that a finished attempt made a template's numbers stale.

    ``stale_since`` keeps the first such time since the last recompute. Only mock attempts
    count, so drills and reviews leave the statistics alone.
    """
    if kind != "mock":
        return
    moment = now or utcnow()
    statement = (
        _insert(session)(TemplateStatistic)
        .values(
            template=template_name, attempts=0, values={}, computed_at=moment, stale_since=moment
        )
        .on_conflict_do_update(
            index_elements=["template"],
            set_={"stale_since": func.coalesce(TemplateStatistic.stale_since, moment)},
        )
    )
    session.execute(statement)


def record_responses(session: Session, attempt_id: int, *, kind: str = "mock") -> None:
    """Store, without committing, the packed record a recompute reads (mock attempts only).

    Called by ``finalize`` once the attempt is graded, so the record holds its final answers.
    """
    if kind == "mock":
        response_records.record_attempt(session, attempt_id)


@dataclass(frozen=True)
class ResponseData:
    """Finished mock attempts (rows in (started_at, id) order) and their entries, as arrays."""

    attempt_ids: np.ndarray
    attempt_user: np.ndarray
    attempt_template: np.ndarray
    template_names: tuple[str, ...]
    entry_attempt: np.ndarray
    entry_position: np.ndarray
    entry_item: np.ndarray
    entry_choice: np.ndarray
    version_ids: np.ndarray
    keys: np.ndarray
    # Per template name: (count, sum of ids) of the finished mock attempts read.
    seen: dict[str, tuple[int, int]] = field(default_factory=dict)
    # Records for the attempts that were read from their rows (stored by the recompute).
    unrecorded: dict[int, bytes] = field(default_factory=dict)


def _raw_rows(session: Session, statement: Any, *, index: str = "") -> list[Any]:
    """Run a SELECT (literal values only) on the driver's cursor; binary results on psycopg.

    Skips SQLAlchemy's per-row processing, and on PostgreSQL receives bytea as raw bytes
    instead of twice as much hex text. ``index`` (of attempts) is named to SQLite's planner.
    """
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    sql = str(compiled)
    raw: Any = connection.connection.dbapi_connection
    postgres = connection.dialect.name == "postgresql"
    if index and connection.dialect.name == "sqlite":
        # SQLAlchemy renders no SQLite index hints; the statement reads attempts alone.
        sql = sql.replace("FROM attempts ", f"FROM attempts INDEXED BY {index} ", 1)
    cursor = raw.cursor(binary=True) if postgres else raw.cursor()
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _fetch_ints(session: Session, statement: Any, columns: int) -> np.ndarray:
    """Run a SELECT of integer columns straight on the driver's cursor into an int64 array."""
    rows = _raw_rows(session, statement)
    if not rows:
        return np.zeros((0, columns), dtype=np.int64)
    return np.array(rows, dtype=np.int64).reshape(len(rows), columns)


def _pg_packed(session: Session) -> np.ndarray:
    """PostgreSQL: the entries as big-endian int4 quadruples packed into bytea on the server.

    One value per 65,536 attempts (well under PostgreSQL's 1 GB limit), decoded with
    np.frombuffer: fetching 4.5M rows as tuples, or as 4.5M binary COPY messages, costs
    several times more.
    """
    sql = text(
        "SELECT string_agg(int4send(ai.attempt_id::integer) || int4send(ai.position::integer)"
        " || int4send(ai.question_version_id::integer)"
        " || int4send(COALESCE(ai.choice, -1)::integer), ''::bytea)"
        " FROM attempt_items ai JOIN attempts a ON a.id = ai.attempt_id"
        " WHERE a.kind = 'mock' AND a.status IN ('submitted', 'expired')"
        " GROUP BY ai.attempt_id / 65536"
    )
    blobs = [bytes(blob) for (blob,) in session.execute(sql) if blob]
    if not blobs:
        return np.zeros((0, 4), dtype=np.int64)
    return np.frombuffer(b"".join(blobs), dtype=">i4").reshape(-1, 4).astype(np.int64)


def _sqlite_packed(session: Session, max_attempt: int) -> np.ndarray | None:
    """SQLite: every attempt item as one packed integer (half the cost of four columns).

    Returns None when the ids do not fit in 63 bits, or a position does not fit its 11 bits;
    the caller then runs the plain query. Rows of attempts that do not count are filtered
    out by the caller (cheaper in numpy than a join in SQLite).
    """
    max_version = session.scalar(select(func.max(QuestionVersion.id))) or 0
    version_bits = max(1, int(max_version).bit_length())
    if int(max_attempt).bit_length() + 11 + version_bits + 3 > 62:
        return None
    # Literal integers computed above, never user input.
    sql = (
        "SELECT CASE WHEN position >= 0 AND position < 2048 THEN "
        f"((attempt_id * 2048 + position) * {1 << version_bits} + question_version_id) * 8 "
        "+ COALESCE(choice, -1) + 1 ELSE -1 END FROM attempt_items"
    )
    raw: Any = session.connection().connection.dbapi_connection
    cursor = raw.cursor()
    parts = []
    try:
        cursor.execute(sql)
        while block := cursor.fetchmany(200_000):
            parts.append(np.fromiter((row[0] for row in block), dtype=np.int64, count=len(block)))
    finally:
        cursor.close()
    packed = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    if packed.size and packed.min() < 0:
        return None
    choice = (packed & 7) - 1
    packed = packed >> 3
    version = packed & ((1 << version_bits) - 1)
    packed = packed >> version_bits
    return np.stack([packed >> 11, packed & 2047, version, choice], axis=1)


def _finished_mock() -> Any:
    return (Attempt.kind == "mock") & Attempt.status.in_(FINISHED)


def _finished_mocks(session: Session, query: Any) -> list[Any]:
    """Rows of ``query`` (of attempts) over finished mocks, read from their partial index.

    SQLite's planner, without ANALYZE statistics, would rather look each attempt up in the
    table through the status index, several times slower: there the index is named.
    """
    return _raw_rows(session, query.where(_finished_mock()), index=_FINISHED_INDEX)


def _load_entries(session: Session, max_attempt: int) -> np.ndarray:
    """(attempt id, position, version id, choice or -1) of the items of finished mock attempts.

    The row-based reader (every attempt_items row). SQLite may also return items of other
    attempts; callers keep the attempts they want.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return _pg_packed(session)
    if dialect == "sqlite":
        packed = _sqlite_packed(session, max_attempt)
        if packed is not None:
            return packed
    statement = (
        select(
            AttemptItem.attempt_id,
            AttemptItem.position,
            AttemptItem.question_version_id,
            func.coalesce(AttemptItem.choice, -1),
        )
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(_finished_mock())
    )
    return _fetch_ints(session, statement, 4)


def _entries_of(session: Session, attempt_ids: np.ndarray) -> np.ndarray:
    """The row-based reader for some attempts only: by id when few, else one scan, filtered."""
    if attempt_ids.size > _BY_ID_LIMIT:
        entries = _load_entries(session, int(attempt_ids.max()))
        return entries[np.isin(entries[:, 0], attempt_ids)]
    statement = select(
        AttemptItem.attempt_id,
        AttemptItem.position,
        AttemptItem.question_version_id,
        func.coalesce(AttemptItem.choice, -1),
    ).where(AttemptItem.attempt_id.in_(attempt_ids.tolist()))
    return _fetch_ints(session, statement, 4)


def _version_keys(session: Session) -> np.ndarray:
    """Every version's key by id (-1 where no version has the id): the whole bank, one query."""
    answers = _fetch_ints(session, select(QuestionVersion.id, QuestionVersion.answer_index), 2)
    key_of = np.full(int(answers[:, 0].max(initial=0)) + 1, -1, dtype=np.int64)
    key_of[answers[:, 0]] = answers[:, 1]
    return key_of


def load_responses(session: Session, *, records: bool = True) -> ResponseData:
    """Read every finished mock attempt's entries and the keys of their versions.

    With ``records`` (the default) the packed records are read and only attempts without a
    usable one are read from their rows; without it, every entry comes from the
    attempt_items rows (the reader before records existed).
    """
    attempts = _finished_mocks(
        session,
        select(Attempt.id, Attempt.user_id, Attempt.template_id).order_by(
            Attempt.started_at, Attempt.id
        ),
    )
    names = dict(session.execute(select(ExamTemplate.id, ExamTemplate.name)).tuples().all())
    template_ids = sorted({row[2] for row in attempts})
    template_index = {tid: i for i, tid in enumerate(template_ids)}
    n_attempts = len(attempts)
    attempt_ids = np.fromiter((row[0] for row in attempts), np.int64, count=n_attempts)
    attempt_user = np.fromiter((row[1] for row in attempts), np.int64, count=n_attempts)
    attempt_template = np.fromiter(
        (template_index[row[2]] for row in attempts), np.int64, count=n_attempts
    )
    seen: dict[str, tuple[int, int]] = {}
    for attempt_id, _, template_id in attempts:
        count, total = seen.get(names[template_id], (0, 0))
        seen[names[template_id]] = (count + 1, total + attempt_id)
    key_of = _version_keys(session)
    if records:
        # Every record in one scan, matched to the attempts here: a join costs SQLite a
        # B-tree search per attempt (almost twice the two scans).
        row_of = {attempt_id: row for row, attempt_id in enumerate(attempt_ids.tolist())}
        blobs: list[bytes | None] = [None] * n_attempts
        for attempt_id, entries in _raw_rows(
            session, select(ResponseRecord.attempt_id, ResponseRecord.entries)
        ):
            row = row_of.get(attempt_id)
            if row is not None:
                blobs[row] = entries
        decoded = response_records.decode(blobs, key_of >= 0)
        del blobs
        unread_ids = attempt_ids[decoded.unread]
        row_entries = _entries_of(session, unread_ids) if unread_ids.size else None
    else:
        decoded = None
        row_entries = _load_entries(session, int(attempt_ids.max(initial=0)))
    unrecorded: dict[int, bytes] = {}
    parts = []
    if decoded is not None:
        parts.append((decoded.row, decoded.position, decoded.version, decoded.choice))
    if row_entries is not None:
        # Dense id -> row lookups: ids are small positive integers, so this is O(n), not a sort.
        span = max(int(attempt_ids.max(initial=0)), int(row_entries[:, 0].max(initial=0))) + 1
        row_of_attempt = np.full(span, -1, dtype=np.int64)
        row_of_attempt[attempt_ids] = np.arange(attempt_ids.size)
        row = row_of_attempt[row_entries[:, 0]]
        # Items of attempts not in the list are dropped: drills, unfinished attempts (SQLite
        # reads every item) and attempts that finished between the two reads (counted next
        # time).
        known = row >= 0
        row_entries = row_entries[known]
        parts.append((row[known], *(row_entries[:, i] for i in (1, 2, 3))))
        if records:
            unrecorded = response_records.pack_entries(*(row_entries[:, i] for i in range(4)))
            # An attempt without items gets an empty record: there is nothing to read for it.
            unrecorded.update({int(i): b"" for i in unread_ids if int(i) not in unrecorded})
    if len(parts) == 1:
        entry_row, position, version, choice = parts[0]
    elif not parts:
        entry_row, position, version, choice = (np.zeros(0, np.int64) for _ in range(4))
    else:
        # Records come in attempt order; put the attempts read from rows in their place.
        joined = [np.concatenate([part[i] for part in parts]) for i in range(4)]
        order = np.argsort(joined[0], kind="stable")
        entry_row, position, version, choice = (a[order] for a in joined)
    present = np.flatnonzero(np.bincount(version)) if version.size else np.zeros(0, np.int64)
    column_of = np.full(int(present.max(initial=0)) + 1, -1, dtype=np.int64)
    column_of[present] = np.arange(present.size)
    keys = np.full(present.size, -1, dtype=np.int64)
    in_bank = present < key_of.size
    keys[in_bank] = key_of[present[in_bank]]
    return ResponseData(
        attempt_ids=attempt_ids,
        attempt_user=attempt_user,
        attempt_template=attempt_template,
        template_names=tuple(names[tid] for tid in template_ids),
        entry_attempt=entry_row,
        entry_position=position,
        entry_item=column_of[version],
        entry_choice=choice,
        version_ids=present.astype(np.int64),
        keys=keys,
        seen=seen,
        unrecorded=unrecorded,
    )


@dataclass(frozen=True)
class ScopeRows:
    """The item rows of one scope: summaries of the item columns with responses."""

    template: str
    version_ids: list[int]
    rows: SummaryRows


@dataclass
class Computed:
    """Item rows per scope and template_statistics rows (without timestamps) to store."""

    scopes: list[ScopeRows] = field(default_factory=list)
    templates: list[dict[str, Any]] = field(default_factory=list)
    responses: int = 0

    @property
    def row_count(self) -> int:
        """How many item_statistics rows the scopes hold."""
        return sum(len(scope.version_ids) for scope in self.scopes)


def compute(data: ResponseData, thresholds: Thresholds) -> Computed:
    """Compute every scope's item rows and every template's test statistics from the arrays."""
    n_attempts = data.attempt_ids.size
    scored = score_entries(
        data.entry_attempt, data.entry_item, data.entry_choice, data.keys, n_attempts
    )
    first = first_exposures(
        data.attempt_user[data.entry_attempt], data.entry_item, data.entry_attempt
    )
    # One sort for every scope: the template scopes are subsets in the same order. Entries
    # without a rest score (one-item forms) and later exposures are left out.
    ranked = rank_entries(
        data.entry_item,
        data.entry_choice,
        np.where(first, scored.rest_rank, -1),
        scored.levels,
        n_items=data.keys.size,
        scope=data.attempt_template[data.entry_attempt],
        n_scopes=max(1, len(data.template_names)),
    )
    out = Computed(responses=int(ranked.packed.size))
    version_ids = data.version_ids.tolist()

    def scope_rows(name: str, stats: Any) -> ScopeRows:
        rows = summary_rows(stats, thresholds)
        return ScopeRows(name, [version_ids[i] for i in rows.index], rows)

    # Test statistics use each user's first finished mock of the template: label those
    # attempts with their template, the others with -1.
    first_of_template = np.full(n_attempts, -1, dtype=np.int64)
    for index in range(len(data.template_names)):
        rows_of_template = np.flatnonzero(data.attempt_template == index)
        _, first_index = np.unique(data.attempt_user[rows_of_template], return_index=True)
        first_of_template[rows_of_template[first_index]] = index
    matrices = slot_matrices(
        data.entry_attempt,
        data.entry_position,
        scored.correct,
        first_of_template,
        len(data.template_names),
    )
    everything, per_template = scoped_item_stats(ranked, data.keys)
    for index, name in enumerate(data.template_names):
        stats = per_template[index]
        rows = scope_rows(name, stats)
        out.scopes.append(rows)
        matrix, excluded = matrices[index]
        values = score_stats(matrix, excluded=excluded).to_values(thresholds)
        values.update(
            responses=int(stats.responses.sum()),
            versions=len(rows.version_ids),
            flagged=rows.rows.review_flagged,
        )
        out.templates.append({"template": name, "attempts": int(matrix.shape[0]), "values": values})
    rows = scope_rows(ALL_TEMPLATES, everything)
    out.scopes.append(rows)
    out.templates.append(
        {
            "template": ALL_TEMPLATES,
            "attempts": int(n_attempts),
            "values": {
                "responses": out.responses,
                "versions": len(rows.version_ids),
                "flagged": rows.rows.review_flagged,
                "users": int(np.unique(data.attempt_user).size),
                "templates": list(data.template_names),
                "min_responses": thresholds.min_responses,
            },
        }
    )
    return out


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
    session: Session, *, now: datetime, min_responses: int = DEFAULT_MIN_RESPONSES
) -> RecomputeReport:
    """Recompute every stored item and template statistic from scratch (idempotent; commits).

    ``now`` is stored as ``computed_at``. A template stays marked stale when an attempt of it
    finished after this run read the attempts (see ``_write``).
    """
    thresholds = _thresholds(min_responses)
    started = time.perf_counter()
    data = load_responses(session)
    # End the read transaction before writing: SQLite has one writer, and a reader that
    # upgrades to a writer after someone else wrote would fail instead of waiting.
    session.rollback()
    loaded = time.perf_counter()
    try:
        with _clearing(session) as cleared:
            computed = compute(data, thresholds)
        done = time.perf_counter()
        skipped = not _write(
            session, computed, now, data.seen, thresholds, records=data.unrecorded, cleared=cleared
        )
    except BaseException:
        session.rollback()
        raise
    if skipped:
        # A skipped write may already have deleted rows (see _clearing): undo it.
        session.rollback()
    else:
        session.commit()
    written = time.perf_counter()
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


@contextmanager
def _clearing(session: Session) -> Iterator[bool]:
    """PostgreSQL: open the write now, taking the recompute lock and deleting the item rows.

    Sent in pipeline mode, so the server waits for the lock and deletes while the caller
    computes (on the other core); yields True when it did. Readers still see the old rows
    until the commit. SQLite has one writer, so there the write starts only after computing.
    """
    if session.get_bind().dialect.name != "postgresql":
        yield False
        return
    raw: Any = session.connection().connection.dbapi_connection
    with raw.pipeline(), raw.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        cursor.execute("DELETE FROM item_statistics")
        yield True


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
    ``cleared``: ``_clearing`` already took the lock and deleted the rows in this transaction
    (the caller rolls back when this returns False).
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres and not cleared:
        # Two recomputes at once would both delete and then both insert the same keys.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
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
        for template_id, count, total in _finished_mocks(
            session,
            select(
                Attempt.template_id, func.count(Attempt.id), func.coalesce(func.sum(Attempt.id), 0)
            ).group_by(Attempt.template_id),
        )
    }
    if computed.row_count:
        (_copy_item_rows if postgres else _insert_item_rows)(session, computed, now)
    rows = list(computed.templates)
    names = {row["template"] for row in rows}
    for name in names_stored:
        if name not in names:
            # A template whose attempts are all gone (or never counted) is computed as empty.
            rows.append({"template": name, "attempts": 0, "values": _empty_values(thresholds)})
    upsert = _insert(session)
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


_ITEM_COLUMNS = (
    "question_version_id, template, responses, facility, discrimination, flags, "
    '"values", computed_at'
)


def _insert_item_rows(session: Session, computed: Computed, now: datetime) -> None:
    """SQLite: one executemany of prepared values on the session's connection."""
    dialect = session.get_bind().dialect
    # The column type's own conversion, so the stored text is what the ORM would store.
    stamp = ItemStatistic.__table__.c.computed_at.type.bind_processor(dialect)
    stored_at = stamp(now) if stamp is not None else now
    raw: Any = session.connection().connection.dbapi_connection
    cursor = raw.cursor()
    try:
        for scope in computed.scopes:
            rows = scope.rows
            cursor.executemany(
                f"INSERT INTO item_statistics ({_ITEM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                zip(
                    scope.version_ids,
                    [scope.template] * len(scope.version_ids),
                    rows.responses,
                    rows.facility,
                    rows.discrimination,
                    rows.flags,
                    rows.values,
                    [stored_at] * len(scope.version_ids),
                    strict=True,
                ),
            )
    finally:
        cursor.close()


def _copy_text(value: str) -> str:
    """Escape a value for COPY's text format."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _copy_item_rows(session: Session, computed: Computed, now: datetime) -> None:
    """PostgreSQL: COPY the rows in text format (one stream instead of 30,000 INSERTs).

    Floats are written with repr, the shortest text that reads back as the same double.
    The JSON texts are built from numbers, option letters and flag codes, so they hold no
    character COPY would need escaped; the template name is escaped.
    """
    stamp = now.isoformat()
    raw: Any = session.connection().connection.dbapi_connection

    def number(value: float | None) -> str:
        return "\\N" if value is None else float.__repr__(value)

    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY item_statistics ({_ITEM_COLUMNS}) FROM STDIN") as copy,
    ):
        for scope in computed.scopes:
            rows = scope.rows
            template = _copy_text(scope.template).replace("%", "%%")
            line = f"%d\t{template}\t%d\t%s\t%s\t%s\t%s\t{stamp}\n"
            copy.write(
                "".join(
                    map(
                        line.__mod__,
                        zip(
                            scope.version_ids,
                            rows.responses,
                            map(number, rows.facility),
                            map(number, rows.discrimination),
                            rows.flags,
                            rows.values,
                            strict=True,
                        ),
                    )
                )
            )


def _empty_values(thresholds: Thresholds) -> dict[str, Any]:
    values = score_stats(np.zeros((0, 0))).to_values(thresholds)
    values.update(responses=0, versions=0, flagged=0)
    return values


# --- Reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScopeStatus:
    """When a scope's numbers were computed, whether they are stale, and its test statistics."""

    template: str
    title: str
    computed_at: datetime | None
    stale_since: datetime | None
    new_attempts: int
    attempts: int
    values: dict[str, Any]

    @property
    def computed(self) -> bool:
        """True once a recompute has stored numbers for this scope."""
        return self.computed_at is not None

    @property
    def stale(self) -> bool:
        """True when attempts finished after the numbers were computed (or none were)."""
        return self.stale_since is not None or not self.computed


def list_scopes(session: Session) -> list[tuple[str, str]]:
    """Scopes to choose from: all templates first, then each template (name, title)."""
    rows = session.execute(
        select(ExamTemplate.name, ExamTemplate.title).order_by(ExamTemplate.name)
    )
    return [(ALL_TEMPLATES, "All templates"), *((name, title) for name, title in rows)]


def _check_scope(session: Session, template: str) -> str:
    if template == ALL_TEMPLATES:
        return "All templates"
    title = session.scalar(select(ExamTemplate.title).where(ExamTemplate.name == template))
    if title is None:
        raise NotFound(f"template {template!r} not found")
    return title


def scope_status(session: Session, template: str) -> ScopeStatus:
    """Freshness and test-level values of a scope; NotFound for an unknown template."""
    title = _check_scope(session, template)
    rows = {
        row.template: row
        for row in session.execute(
            select(
                TemplateStatistic.template,
                TemplateStatistic.attempts,
                TemplateStatistic.values,
                TemplateStatistic.computed_at,
                TemplateStatistic.stale_since,
            )
        )
    }
    own = rows.get(template)
    computed_at = own.computed_at if own is not None and own.values else None
    if template == ALL_TEMPLATES:
        marks = [row.stale_since for row in rows.values() if row.stale_since is not None]
    else:
        marks = [own.stale_since] if own is not None and own.stale_since is not None else []
    new_attempts = 0
    if computed_at is not None and marks:
        query = select(func.count(Attempt.id)).where(
            Attempt.kind == "mock",
            Attempt.status.in_(FINISHED),
            Attempt.submitted_at > computed_at,
        )
        if template != ALL_TEMPLATES:
            query = query.join(ExamTemplate, ExamTemplate.id == Attempt.template_id).where(
                ExamTemplate.name == template
            )
        new_attempts = session.scalar(query) or 0
    return ScopeStatus(
        template=template,
        title=title,
        computed_at=computed_at,
        stale_since=max(marks) if marks else None,
        new_attempts=new_attempts,
        attempts=own.attempts if own is not None else 0,
        values=dict(own.values) if own is not None and own.values else {},
    )


@dataclass(frozen=True)
class ItemRow:
    """One stored item statistic with the version it describes."""

    version_id: int
    key: str
    number: int
    subdomain: str
    status: str
    template: str
    responses: int
    facility: float | None
    discrimination: float | None
    flags: tuple[str, ...]
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def suppressed(self) -> bool:
        """True when the item has fewer responses than the minimum."""
        return "too-few-responses" in self.flags

    @property
    def review_flags(self) -> tuple[str, ...]:
        """Flags that say something is wrong with the item."""
        return tuple(f for f in self.flags if f in REVIEW_FLAGS)


@dataclass(frozen=True)
class ItemPage:
    """A sorted, filtered page of a scope's items, with counts for the filters."""

    rows: list[ItemRow]
    total: int
    all_items: int
    page: int
    pages: int
    per_page: int
    flag_counts: dict[str, int]
    subdomains: list[str]


def _item_select(*, with_values: bool = False) -> Any:
    """SELECT of stored item rows joined to their version and question key (add a WHERE)."""
    columns = [
        ItemStatistic.question_version_id,
        Question.key,
        QuestionVersion.number,
        QuestionVersion.subdomain,
        QuestionVersion.status,
        ItemStatistic.template,
        ItemStatistic.responses,
        ItemStatistic.facility,
        ItemStatistic.discrimination,
        ItemStatistic.flags,
    ]
    if with_values:
        columns.append(ItemStatistic.values)
    return (
        select(*columns)
        .join(QuestionVersion, QuestionVersion.id == ItemStatistic.question_version_id)
        .join(Question, Question.id == QuestionVersion.question_id)
    )


def _row(values: Any) -> ItemRow:
    """An ItemRow from a row of ``_item_select`` (with or without the values column)."""
    vid, key, number, sub, status, template, responses, facility, disc, flags, *rest = values
    extra = dict(rest[0] or {}) if rest else {}
    return ItemRow(
        vid,
        key,
        number,
        sub,
        status,
        template,
        responses,
        facility,
        disc,
        tuple(flags or ()),
        extra,
    )


# Positions in a row of ``_item_select``; the list page works on plain rows and builds
# ItemRow objects only for the page it shows (10,000 dataclasses cost more than the query).
_VID, _KEY, _NUMBER, _SUB, _STATUS, _TEMPLATE, _RESPONSES, _FACILITY, _DISC, _FLAGS = range(10)


def _plain_rows(session: Session, template: str) -> list[tuple[Any, ...]]:
    """A scope's rows as tuples, flags as tuples of codes.

    The flags come back as text and are decoded once per distinct text: a scope of 10,000
    items has only a few dozen flag combinations, and 10,000 json.loads calls were most of
    the page's time.
    """
    query = _item_select().where(ItemStatistic.template == template)
    columns = list(query.selected_columns)
    # CAST, not type_coerce: psycopg would otherwise decode every json value itself.
    columns[_FLAGS] = cast(ItemStatistic.flags, Text).label("flags")
    decoded: dict[str, tuple[str, ...]] = {}
    rows = []
    for row in session.execute(query.with_only_columns(*columns)):
        flags = row[_FLAGS]
        if flags not in decoded:
            decoded[flags] = tuple(json.loads(flags or "[]"))
        rows.append((*row[:_FLAGS], decoded[flags]))
    return rows


def _review_count(row: Any) -> int:
    # Suppressed rows carry "too-few-responses" alone and no facility.
    return 0 if row[_FACILITY] is None else len(row[_FLAGS] or ())


def _sort_key(sort: str) -> Callable[[Any], Any]:
    """Sort key over plain rows; undefined numbers are None (list_items puts them last)."""
    if sort == "key":
        return lambda r: (r[_KEY], r[_NUMBER])
    if sort == "subdomain":
        return lambda r: (r[_SUB], r[_KEY], r[_NUMBER])
    if sort == "responses":
        return lambda r: r[_RESPONSES]
    if sort == "facility":
        return lambda r: r[_FACILITY]
    if sort == "discrimination":
        return lambda r: r[_DISC]
    return _review_count


def _matches_flag(row: Any, flag: str) -> bool:
    if not flag:
        return True
    if flag == "any":
        return _review_count(row) > 0
    if flag == "none":
        return not row[_FLAGS]
    return flag in (row[_FLAGS] or ())


def list_items(
    session: Session,
    template: str = ALL_TEMPLATES,
    *,
    sort: str = "flags",
    descending: bool | None = None,
    flag: str = "",
    subdomain: str = "",
    search: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> ItemPage:
    """Return one page of a scope's items, filtered and sorted (stored rows only).

    Sorts: flags (review flags, most first), key, subdomain, responses, facility,
    discrimination; ``descending`` defaults to True for flags and False otherwise. Items
    with too few responses have no facility or discrimination and sort last either way.
    Flag filters: "" (every item), "any" (a review flag), "none" (no flag) or a flag code.
    """
    _check_scope(session, template)
    if sort not in SORTS:
        raise ValidationFailed(f"sort: must be one of {', '.join(SORTS)}, got {sort!r}")
    if flag not in FLAG_FILTERS:
        raise ValidationFailed(f"flag: must be one of {', '.join(FLAG_FILTERS[1:])}, got {flag!r}")
    if page < 1:
        raise ValidationFailed(f"page: must be 1 or more, got {page}")
    if descending is None:
        descending = sort == "flags"
    rows = _plain_rows(session, template)
    flag_counts = Counter(code for row in rows for code in row[_FLAGS] or ())
    flag_counts["any"] = sum(1 for row in rows if _review_count(row))
    flag_counts["none"] = sum(1 for row in rows if not row[_FLAGS])
    subdomains = sorted({row[_SUB] for row in rows})
    needle = search.strip().lower()
    chosen = [
        row
        for row in rows
        if (not subdomain or row[_SUB] == subdomain)
        and (not needle or needle in row[_KEY].lower())
        and _matches_flag(row, flag)
    ]
    key = _sort_key(sort)
    # Ties break on key and version so that pages are stable.
    chosen.sort(key=lambda r: (r[_KEY], r[_NUMBER]))
    defined = [r for r in chosen if key(r) is not None]
    undefined = [r for r in chosen if key(r) is None]
    defined.sort(key=key, reverse=descending)
    ordered = defined + undefined
    pages = max(1, math.ceil(len(ordered) / per_page))
    page = min(page, pages)
    window = ordered[(page - 1) * per_page : page * per_page]
    extra = (
        dict(
            session.execute(
                select(ItemStatistic.question_version_id, ItemStatistic.values).where(
                    ItemStatistic.template == template,
                    ItemStatistic.question_version_id.in_([r[_VID] for r in window]),
                )
            )
            .tuples()
            .all()
        )
        if window
        else {}
    )
    return ItemPage(
        rows=[_row((*r, extra.get(r[_VID]))) for r in window],
        total=len(ordered),
        all_items=len(rows),
        page=page,
        pages=pages,
        per_page=per_page,
        flag_counts=dict(flag_counts),
        subdomains=subdomains,
    )


@dataclass(frozen=True)
class ItemDetail:
    """One version's statistics in a scope, its content, and its other scopes and versions."""

    version: QuestionVersion
    key: str
    latest_number: int
    stat: ItemRow | None
    scopes: list[ItemRow]
    versions: list[ItemRow]


def item_detail(session: Session, version_id: int, template: str = ALL_TEMPLATES) -> ItemDetail:
    """A version's statistics in one scope, plus its rows in every scope and its siblings'."""
    _check_scope(session, template)
    version = session.get(QuestionVersion, version_id)
    if version is None:
        raise NotFound(f"question version {version_id} not found")
    key = session.scalar(select(Question.key).where(Question.id == version.question_id)) or ""
    latest = session.scalar(
        select(func.max(QuestionVersion.number)).where(
            QuestionVersion.question_id == version.question_id
        )
    )
    scopes = [
        _row(r)
        for r in session.execute(
            _item_select(with_values=True)
            .where(ItemStatistic.question_version_id == version_id)
            .order_by(ItemStatistic.template)
        )
    ]
    siblings = [
        _row(r)
        for r in session.execute(
            _item_select()
            .where(
                ItemStatistic.template == ALL_TEMPLATES,
                QuestionVersion.question_id == version.question_id,
            )
            .order_by(QuestionVersion.number)
        )
    ]
    stat = next((row for row in scopes if row.template == template), None)
    return ItemDetail(
        version=version,
        key=key,
        latest_number=latest or version.number,
        stat=stat,
        scopes=scopes,
        versions=siblings,
    )


def export_scope(
    session: Session, template: str = ALL_TEMPLATES, *, flagged: bool = False
) -> dict[str, Any]:
    """Every stored number of a scope as JSON-ready data (the CLI's --json)."""
    status = scope_status(session, template)
    rows = [
        _row(r)
        for r in session.execute(
            _item_select(with_values=True)
            .where(ItemStatistic.template == template)
            .order_by(Question.key, QuestionVersion.number)
        )
    ]
    if flagged:
        rows = [row for row in rows if row.review_flags]
    return {
        "template": template,
        "computed_at": status.computed_at.isoformat() if status.computed_at else None,
        "stale": status.stale,
        "stale_since": status.stale_since.isoformat() if status.stale_since else None,
        "new_attempts": status.new_attempts,
        "attempts": status.attempts,
        "test": status.values,
        "items": [
            {
                **row.values,
                "key": row.key,
                "version": row.number,
                "version_id": row.version_id,
                "subdomain": row.subdomain,
                "status": row.status,
                "responses": row.responses,
                "facility": row.facility,
                "discrimination": row.discrimination,
                "flags": list(row.flags),
            }
            for row in rows
        ],
    }
