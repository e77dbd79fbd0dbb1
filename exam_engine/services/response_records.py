"""Packed response records: one small value per finished mock attempt for item analysis.

A record is the attempt's items as little-endian int32 triples (position, question version
id, stored choice or -1) in position order (``ResponseRecord``). ``finalize`` stores it in the
grading transaction, so a recompute reads 50,000 records instead of 4.5 million attempt_items
rows. Attempts without a usable record (finished before migration 0003 backfilled them, or
written by another path) are read from their rows and get their record at the next recompute.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.domain.item_analysis import N_OPTIONS, UNANSWERED
from exam_engine.models import AttemptItem, ResponseRecord

FIELDS = 3
DTYPE = np.dtype("<i4")
ENTRY_BYTES = FIELDS * DTYPE.itemsize


def pack(rows: Iterable[Sequence[Any]]) -> bytes:
    """Pack (position, question version id, choice or None) rows into a record."""
    triples = sorted((int(p), int(v), UNANSWERED if c is None else int(c)) for p, v, c in rows)
    return np.array(triples, dtype=DTYPE).reshape(-1, FIELDS).tobytes()


def pack_entries(attempt: Any, position: Any, version: Any, choice: Any) -> dict[int, bytes]:
    """Records of many attempts at once from entry arrays (choice -1 for unanswered)."""
    attempt_ = np.asarray(attempt, dtype=np.int64)
    order = np.lexsort((np.asarray(position), attempt_))
    triples = np.stack([position, version, choice], axis=1)[order].astype(DTYPE)
    ids, first = np.unique(attempt_[order], return_index=True)
    bounds = [*first.tolist(), attempt_.size]
    return {
        attempt_id: triples[bounds[i] : bounds[i + 1]].tobytes()
        for i, attempt_id in enumerate(ids.tolist())
    }


def _upsert(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        return insert(ResponseRecord)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(ResponseRecord)


def store(session: Session, records: Mapping[int, bytes]) -> None:
    """Insert or replace records, without committing."""
    if not records:
        return
    statement = _upsert(session)
    statement = statement.on_conflict_do_update(
        index_elements=["attempt_id"], set_={"entries": statement.excluded.entries}
    )
    session.execute(
        statement, [{"attempt_id": key, "entries": value} for key, value in records.items()]
    )


def record_attempt(session: Session, attempt_id: int) -> None:
    """Store, without committing, the record of an attempt from its items as they are now."""
    rows = session.execute(
        select(AttemptItem.position, AttemptItem.question_version_id, AttemptItem.choice).where(
            AttemptItem.attempt_id == attempt_id
        )
    ).all()
    store(session, {attempt_id: pack(rows)})


@dataclass(frozen=True)
class Decoded:
    """Entries of the attempts whose records decoded, and the attempt rows that need reading."""

    row: np.ndarray
    position: np.ndarray
    version: np.ndarray
    choice: np.ndarray
    unread: np.ndarray


def decode(blobs: Sequence[bytes | None], known_version: np.ndarray) -> Decoded:
    """Unpack the records of attempt rows 0..len(blobs)-1 (None: the attempt has none).

    A record that is missing, not a whole number of entries, or holds a position below 1, a
    choice outside -1..3 or a version not in ``known_version`` (a bool per id) is not trusted:
    its row is listed in ``unread`` and its entries are left out.
    """
    n = len(blobs)
    lengths = np.fromiter((-1 if b is None else len(b) for b in blobs), np.int64, count=n)
    usable = (lengths >= 0) & (lengths % ENTRY_BYTES == 0)
    joined = b"".join(b for b, ok in zip(blobs, usable.tolist(), strict=True) if ok and b)
    triples = np.frombuffer(joined, dtype=DTYPE).reshape(-1, FIELDS)
    row = np.repeat(np.arange(n, dtype=np.int64)[usable], lengths[usable] // ENTRY_BYTES)
    position, version, choice = (triples[:, i].astype(np.int64) for i in range(FIELDS))
    # Reductions first (no temporaries); entry by entry only when something is wrong.
    sound = not triples.size or (
        position.min() >= 1
        and UNANSWERED <= choice.min()
        and choice.max() < N_OPTIONS
        and version.min() >= 0
        and version.max() < known_version.size
        and bool(known_version[np.flatnonzero(np.bincount(version))].all())
    )
    if not sound:
        in_range = (version >= 0) & (version < known_version.size)
        bad = (
            (position < 1)
            | (choice < UNANSWERED)
            | (choice >= N_OPTIONS)
            | ~in_range
            | ~known_version[np.where(in_range, version, 0)]
        )
        usable[np.unique(row[bad])] = False
        keep = usable[row]
        row, position, version, choice = row[keep], position[keep], version[keep], choice[keep]
    return Decoded(row, position, version, choice, unread=np.flatnonzero(~usable))
