"""The published bank's per-process index: reused while unchanged, rebuilt on any change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from exam_engine.models import QuestionVersion
from exam_engine.services import attempts, pool
from exam_engine.services.errors import Conflict
from tests.factories import QuestionVersionFactory, UserFactory
from tests.support import seed_bank

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _keys(bank: pool.PublishedBank, code: str) -> set[str]:
    return {item.key for item in bank.index.subdomain(code)}


def _items(bank: pool.PublishedBank) -> dict[int, object]:
    return {
        item.version_id: item
        for code in bank.index.subdomains
        for item in bank.index.subdomain(code)
    }


def test_the_index_is_reused_while_the_bank_is_unchanged(session: Session) -> None:
    seed_bank(session, per_subdomain=3)
    first = pool.published_bank(session)
    assert len(first.index) == 3 * 13
    assert pool.published_bank(session) is first


def test_the_index_equals_a_fresh_read_of_the_pool(session: Session) -> None:
    versions = seed_bank(session, per_subdomain=2)
    bank = pool.published_bank(session)
    fresh = {item.version_id: item for item in pool.published_pool(session)}
    cached = {
        item.version_id: item
        for code in bank.index.subdomains
        for item in bank.index.subdomain(code)
    }
    assert cached == fresh
    assert bank.question_of == {v.id: v.question_id for v in versions}


def test_publishing_and_retiring_rebuild_the_index(session: Session) -> None:
    seed_bank(session, per_subdomain=2)
    first = pool.published_bank(session)
    added = QuestionVersionFactory(question__key="D1-A-900", subdomain="D1-A")
    second = pool.published_bank(session)
    assert second is not first
    assert "D1-A-900" in _keys(second, "D1-A")
    added.status = "retired"
    session.commit()
    third = pool.published_bank(session)
    assert "D1-A-900" not in _keys(third, "D1-A")
    # Back to the first bank's content, under a new revision (the token never repeats).
    assert third.fingerprint not in (first.fingerprint, second.fingerprint)
    assert _items(third) == _items(first)


def test_a_draft_does_not_invalidate_the_index(session: Session) -> None:
    seed_bank(session, per_subdomain=2)
    first = pool.published_bank(session)
    QuestionVersionFactory(question__key="D1-A-901", status="draft")
    assert pool.published_bank(session) is first


def test_a_change_committed_by_another_connection_is_seen(session: Session) -> None:
    seed_bank(session, per_subdomain=2)
    first = pool.published_bank(session)
    assert first.index.subdomain("D2-B")
    with Session(session.get_bind()) as other:
        other.execute(
            update(QuestionVersion)
            .where(QuestionVersion.subdomain == "D2-B")
            .values(status="retired")
        )
        other.commit()
    assert pool.published_bank(session).index.subdomain("D2-B") == ()


@pytest.mark.parametrize(
    ("column", "value"),
    [("difficulty", "'hard'"), ("subdomain", "'D1-B'"), ("enemies", "'[\"D3-A-001\"]'")],
)
def test_same_ids_with_other_content_rebuild_the_index(
    session: Session, column: str, value: str
) -> None:
    # Table cleanup between tests reuses ids on SQLite: the fingerprint must cover the content.
    seed_bank(session, per_subdomain=1)
    first = pool.published_bank(session)
    target = session.scalar(select(QuestionVersion.id).where(QuestionVersion.subdomain == "D1-A"))
    session.execute(
        text(f"UPDATE question_versions SET {column} = {value} WHERE id = :id"), {"id": target}
    )
    session.commit()
    second = pool.published_bank(session)
    assert second.fingerprint != first.fingerprint
    rebuilt = {
        item.version_id: item
        for code in second.index.subdomains
        for item in second.index.subdomain(code)
    }
    fresh = {item.version_id: item for item in pool.published_pool(session)}
    assert rebuilt == fresh


def test_a_start_after_the_bank_changed_never_uses_the_old_index(session: Session) -> None:
    seed_bank(session, per_subdomain=4)
    user = UserFactory()
    attempts.start_attempt(session, user.id, "quiz-20", now=NOW, seed=1)
    session.execute(
        update(QuestionVersion).where(QuestionVersion.subdomain == "D3-C").values(status="retired")
    )
    session.commit()
    with pytest.raises(Conflict, match="D3-C needs"):
        attempts.start_attempt(session, user.id, "quiz-20", now=NOW, seed=2)


def test_the_fingerprint_is_the_triggers_token_and_changes_only_with_what_assembly_reads(
    session: Session,
) -> None:
    seed_bank(session, per_subdomain=1)
    token = pool.fingerprint(session)
    assert token.startswith("rev:")
    # A draft written and edited, and a published version's non-assembly column: no change.
    draft = QuestionVersionFactory(question__key="D1-A-910", status="draft")
    draft.difficulty = "hard"
    session.commit()
    published = session.scalar(
        select(QuestionVersion).where(
            QuestionVersion.subdomain == "D1-A", QuestionVersion.status == "published"
        )
    )
    session.execute(
        text("UPDATE question_versions SET review_note = 'checked' WHERE id = :id"),
        {"id": published.id},
    )
    session.commit()
    assert pool.fingerprint(session) == token
    # A question's key (assembly reads it for enemies) and a published version's deletion do.
    session.execute(
        text("UPDATE questions SET key = 'D1-A-920' WHERE id = :id"), {"id": published.question_id}
    )
    session.commit()
    renamed = pool.fingerprint(session)
    assert renamed != token
    session.execute(text("DELETE FROM question_versions WHERE id = :id"), {"id": published.id})
    session.commit()
    assert pool.fingerprint(session) not in (token, renamed)


def test_with_the_token_row_gone_the_bank_is_hashed_until_the_next_change(
    session: Session,
) -> None:
    seed_bank(session, per_subdomain=1)
    first = pool.published_bank(session)
    session.execute(text("DELETE FROM bank_revisions"))
    session.commit()
    digest = pool.fingerprint(session)
    assert not digest.startswith("rev:")
    assert digest != first.fingerprint
    # Hashing the same bank again gives the same digest: the index built on it is reused.
    rebuilt = pool.published_bank(session)
    assert pool.published_bank(session) is rebuilt
    QuestionVersionFactory(question__key="D1-A-930", subdomain="D1-A")
    assert pool.fingerprint(session).startswith("rev:")
    assert "D1-A-930" in _keys(pool.published_bank(session), "D1-A")


def test_the_bank_revision_triggers_exist_after_migrating(session: Session) -> None:
    """A later migration that rebuilds a table (SQLite's batch mode) would drop them."""
    if session.get_bind().dialect.name == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'bank_revision_%'"
    else:
        query = (
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'bank_revision_%'"
        )
    assert set(session.scalars(text(query))) == {
        "bank_revision_version_insert",
        "bank_revision_version_delete",
        "bank_revision_version_update",
        "bank_revision_question_key",
    }
