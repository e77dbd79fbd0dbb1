"""Imports write in batches (flushed and expunged) yet stay one transaction: all or nothing."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.formats.foreign import ForeignItem
from exam_engine.models import AuditEvent, Question, QuestionVersion
from exam_engine.services import batches, drafts
from exam_engine.services.bank import import_records
from exam_engine.services.batches import BatchWriter
from exam_engine.services.catalog import bundled_blueprint
from exam_engine.services.errors import Conflict
from question_bank import load_bank


def count(session, model: type) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def records(number: int) -> list[ItemRecord]:
    """``number`` distinct valid items (the bundled bank's first ones)."""
    return list(load_bank().items[:number])


@pytest.fixture
def batch_of_two(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of two, so that a handful of items spans several flushes."""
    monkeypatch.setattr(batches, "DEFAULT_BATCH", 2)


def test_a_batched_import_writes_every_item_and_keeps_none_in_the_session(
    session, batch_of_two
) -> None:
    items = records(7)
    report = import_records(session, items, bundled_blueprint(), publish=False)
    assert report.created == [item.key for item in items]
    assert count(session, Question) == 7
    assert count(session, QuestionVersion) == 7
    keys = set(session.scalars(select(Question.key)))
    assert keys == {item.key for item in items}


def test_an_error_in_the_last_item_rolls_back_the_batches_already_flushed(
    session, batch_of_two
) -> None:
    items = records(6)
    # The last item takes the first one's key: the database refuses it at the last flush,
    # after three batches of two were flushed (and expunged) inside the same transaction.
    clash = dataclasses.replace(items[1], key=items[0].key)
    with pytest.raises(Conflict):
        import_records(
            session, [*items, clash], bundled_blueprint(), publish=False, audit={"format": "x"}
        )
    assert count(session, Question) == 0
    assert count(session, QuestionVersion) == 0
    assert count(session, AuditEvent) == 0


def test_a_batched_reimport_with_changes_makes_new_versions(session, batch_of_two) -> None:
    items = records(5)
    import_records(session, items, bundled_blueprint(), publish=True)
    changed = [dataclasses.replace(item, stem=item.stem + " (revised)") for item in items[:3]]
    report = import_records(session, [*changed, *items[3:]], bundled_blueprint(), publish=True)
    assert report.new_versions == [item.key for item in changed]
    assert report.unchanged == 2
    assert count(session, QuestionVersion) == 8


def test_the_batch_writer_flushes_and_expunges_every_size_objects(session) -> None:
    writer = BatchWriter(session, size=2)
    made = [Question(key=f"D1-A-{n:03d}") for n in range(1, 6)]
    for question in made:
        writer.add(question)
    assert writer.flushed == 4
    assert len(writer.pending) == 1
    assert sum(1 for obj in made if obj in session) == 1
    writer.flush()
    assert writer.flushed == 5
    assert not any(obj in session for obj in made)
    session.rollback()  # flushed, not committed: nothing stays
    assert count(session, Question) == 0


def test_a_batch_size_below_one_is_refused(session) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        BatchWriter(session, size=0)


def foreign(number: int, subdomain: str | None) -> list[ForeignItem]:
    return [
        ForeignItem(
            file="x.gift",
            line=n,
            source_ref=f"Q{n}",
            stem=f"Question {n}?",
            options=("yes", "no"),
            answer=0,
            rationales=("", ""),
            subdomain=subdomain,
        )
        for n in range(1, number + 1)
    ]


def test_foreign_drafts_in_batches_get_consecutive_keys(session, batch_of_two) -> None:
    drafts.import_foreign_items(
        session,
        foreign(3, "D1-A"),
        [],
        fmt="gift",
        filename="x.gift",
        subdomain=None,
        publish=False,
        author_id=None,
    )
    done = drafts.import_foreign_items(
        session,
        [dataclasses.replace(i, source_ref=f"R{i.line}") for i in foreign(3, "D1-A")]
        + [dataclasses.replace(i, source_ref=f"U{i.line}") for i in foreign(3, None)],
        [],
        fmt="gift",
        filename="y.gift",
        subdomain=None,
        publish=False,
        author_id=None,
    )
    assert [note.key for note in done.notes] == [
        "D1-A-004",
        "D1-A-005",
        "D1-A-006",
        "DRAFT-0001",
        "DRAFT-0002",
        "DRAFT-0003",
    ]
    assert count(session, Question) == 9
