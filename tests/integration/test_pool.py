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
    assert third.fingerprint == first.fingerprint


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
