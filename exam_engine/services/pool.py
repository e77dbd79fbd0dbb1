"""The published bank as assembly sees it, indexed once per process until it changes.

Starting an attempt used to read every published version and rebuild the ``BankIndex`` each
time (about a tenth of a start's cost at 329 items, and growing with the bank). The index is
now kept per database engine and reused while the bank's *fingerprint* is unchanged: a
random token that database triggers replace on any change to what assembly reads (every
published version's id, question, key, domain, sub-domain, difficulty and enemies), read by
primary key; before the triggers' first change, one aggregate row over those columns. Any
publish, retire, import or edit that matters to assembly changes the fingerprint, in this
process or in any other sharing the database, so the cache can never serve a stale bank; it
only saves the rows and the rebuild.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from exam_engine.domain.assembly import BankIndex, PoolItem
from exam_engine.domain.vocabulary import VersionStatus
from exam_engine.models import BankRevision, Question, QuestionVersion

# PostgreSQL hashes the aggregate itself, so one short row crosses the wire.
_PG_FINGERPRINT = text(
    "SELECT md5(string_agg(concat_ws('|', v.id, v.question_id, q.key, v.domain, v.subdomain,"
    " v.difficulty, v.enemies::text), ',' ORDER BY v.id))"
    " FROM question_versions v JOIN questions q ON q.id = v.question_id"
    " WHERE v.status = 'published'"
)
# Elsewhere (SQLite) the aggregate is hashed here; the ordered subquery fixes the order.
_PORTABLE_FINGERPRINT = text(
    "SELECT group_concat(r, ',') FROM (SELECT v.id || '|' || v.question_id || '|' || q.key"
    " || '|' || v.domain || '|' || v.subdomain || '|' || v.difficulty || '|'"
    " || coalesce(v.enemies, '') AS r"
    " FROM question_versions v JOIN questions q ON q.id = v.question_id"
    " WHERE v.status = 'published' ORDER BY v.id)"
)


@dataclass(frozen=True)
class PublishedBank:
    """The published versions indexed for assembly, and each version's question id."""

    fingerprint: str
    index: BankIndex
    question_of: dict[int, int]


_CACHE: WeakKeyDictionary[Engine, PublishedBank] = WeakKeyDictionary()
_LOCK = threading.Lock()


def _rows(session: Session) -> list[tuple[PoolItem, int]]:
    rows = session.execute(
        select(
            Question.key,
            QuestionVersion.id,
            QuestionVersion.domain,
            QuestionVersion.subdomain,
            QuestionVersion.difficulty,
            QuestionVersion.enemies,
            QuestionVersion.question_id,
        )
        .join(Question, Question.id == QuestionVersion.question_id)
        .where(QuestionVersion.status == VersionStatus.PUBLISHED)
    )
    return [
        (PoolItem(key, vid, domain, sub, diff, frozenset(enemies or ())), question_id)
        for key, vid, domain, sub, diff, enemies, question_id in rows
    ]


def published_pool(session: Session) -> list[PoolItem]:
    """Return every published item version as assembly sees it (read now, never cached)."""
    return [item for item, _ in _rows(session)]


def fingerprint(session: Session) -> str:
    """A token that changes whenever what assembly reads from the published bank changes.

    Database triggers keep it in ``bank_revisions`` (one primary-key read); until their
    first change after the table was made or emptied, a digest of the bank itself, from one
    aggregate row (the two never coincide: a token is prefixed ``rev:``).
    """
    token = session.scalar(select(BankRevision.token).where(BankRevision.id == 1))
    if token is not None:
        return f"rev:{token}"
    return digest(session)


def digest(session: Session) -> str:
    """A digest of everything assembly reads from the published bank, from one aggregate row."""
    if session.get_bind().dialect.name == "postgresql":
        return str(session.scalar(_PG_FINGERPRINT) or "")
    joined = session.scalar(_PORTABLE_FINGERPRINT) or ""
    return hashlib.sha256(str(joined).encode()).hexdigest()


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def published_bank(session: Session) -> PublishedBank:
    """The published bank's index, rebuilt only when its fingerprint has changed."""
    engine = _engine(session)
    current = fingerprint(session)
    cached = _CACHE.get(engine)
    if cached is not None and cached.fingerprint == current:
        return cached
    rows = _rows(session)
    built = PublishedBank(
        fingerprint=current,
        index=BankIndex(item for item, _ in rows),
        question_of={item.version_id: question_id for item, question_id in rows},
    )
    # A bank changed between the two reads is caught by the next call's fingerprint.
    with _LOCK:
        _CACHE[engine] = built
    return built
