"""The I/O fast paths of item analysis: raw-cursor and packed readers, bulk and COPY writers.

Everything here exists for speed (see ``benchmarks/bench_item_stats.py``): the driver's
cursor instead of ORM rows, integers packed on the server, one executemany or one COPY for
the stored rows. ``reference.load_responses_plain`` reads the same data the plain ORM way;
the tests compare the two.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from exam_engine.domain.item_scopes import Computed, ResponseData
from exam_engine.domain.vocabulary import FINISHED, AttemptKind
from exam_engine.models import (
    Attempt,
    AttemptItem,
    ExamTemplate,
    ItemStatistic,
    QuestionVersion,
    ResponseRecord,
)
from exam_engine.services import response_records

# Any constant works: it only has to differ from other advisory locks the app might take.
LOCK_KEY = 0x17E5_7A75
# Attempts without a record up to this many are read by id; more, with one scan of the rows.
_BY_ID_LIMIT = 1000
# Finished mock attempts by start, with user and template (migration 0003).
_FINISHED_INDEX = "ix_attempts_finished_mocks"
ITEM_COLUMNS = (
    "question_version_id, template, responses, facility, discrimination, flags, "
    '"values", computed_at'
)


def raw_rows(session: Session, statement: Any, *, index: str = "") -> list[Any]:
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


def fetch_ints(session: Session, statement: Any, columns: int) -> np.ndarray:
    """Run a SELECT of integer columns straight on the driver's cursor into an int64 array."""
    rows = raw_rows(session, statement)
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


def finished_mock() -> Any:
    """The condition on attempts that item analysis reads: finished mocks."""
    return (Attempt.kind == AttemptKind.MOCK) & Attempt.status.in_(FINISHED)


def finished_mocks(session: Session, query: Any) -> list[Any]:
    """Rows of ``query`` (of attempts) over finished mocks, read from their partial index.

    SQLite's planner, without ANALYZE statistics, would rather look each attempt up in the
    table through the status index, several times slower: there the index is named.
    """
    return raw_rows(session, query.where(finished_mock()), index=_FINISHED_INDEX)


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
        .where(finished_mock())
    )
    return fetch_ints(session, statement, 4)


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
    return fetch_ints(session, statement, 4)


def _version_keys(session: Session) -> np.ndarray:
    """Every version's key by id (-1 where no version has the id): the whole bank, one query."""
    answers = fetch_ints(session, select(QuestionVersion.id, QuestionVersion.answer_index), 2)
    key_of = np.full(int(answers[:, 0].max(initial=0)) + 1, -1, dtype=np.int64)
    key_of[answers[:, 0]] = answers[:, 1]
    return key_of


def load_responses(session: Session, *, records: bool = True) -> ResponseData:
    """Read every finished mock attempt's entries and the keys of their versions.

    With ``records`` (the default) the packed records are read and only attempts without a
    usable one are read from their rows; without it, every entry comes from the
    attempt_items rows (the reader before records existed).
    """
    attempts = finished_mocks(
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
        for attempt_id, entries in raw_rows(
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


@contextmanager
def clearing(session: Session) -> Iterator[bool]:
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
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        cursor.execute("DELETE FROM item_statistics")
        yield True


def insert_item_rows(session: Session, computed: Computed, now: datetime) -> None:
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
                f"INSERT INTO item_statistics ({ITEM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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


def copy_item_rows(session: Session, computed: Computed, now: datetime) -> None:
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
        cursor.copy(f"COPY item_statistics ({ITEM_COLUMNS}) FROM STDIN") as copy,
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
