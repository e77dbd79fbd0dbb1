"""Authoring services: create, edit, review workflow, lint gates, history, diffs, browser."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from exam_engine.models import (
    AttemptItem,
    AuditEvent,
    ExamTemplate,
    PublishedVersionImmutable,
    Question,
    QuestionVersion,
    utcnow,
)
from exam_engine.services import attempts, authoring, pool
from exam_engine.services.authoring import BrowseQuery, ItemInput, ItemInvalid, LintErrors
from exam_engine.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.factories import QuestionVersionFactory, UserFactory
from tests.support import count, seed_bank

NOW = utcnow()


def clean_item(**changes: object) -> ItemInput:
    """A valid item that passes every lint rule (override fields with keyword arguments)."""
    item = ItemInput(
        key="D2-B-001",
        subdomain="D2-B",
        difficulty="medium",
        stem=(
            "A retailer plans to deploy a customer-service chatbot built on a third-party large "
            "language model. Management wants assurance that the vendor manages AI risks "
            "responsibly. What should the AI security manager do FIRST?"
        ),
        options=(
            "Review the vendor's AI governance evidence against its contract terms",
            "Run a penetration test against the chatbot's production endpoint",
            "Ask the vendor to share the model's training dataset for audit",
            "Draft an incident response playbook for chatbot misuse cases",
        ),
        rationales=(
            "Evidence of the vendor's governance is the first step in third-party assurance.",
            "Testing comes later and does not show how the vendor manages AI risk.",
            "Vendors rarely share training data, and it says little about risk management.",
            "A playbook is useful later but gives no assurance about the vendor itself.",
        ),
        answer="A",
        references=("ISO/IEC 42001:2023, clause 8.1",),
        enemies=(),
        as_of="2026-12-05",
    )
    return replace(item, **changes)  # type: ignore[arg-type]


@pytest.fixture
def author(session):
    return UserFactory(role="instructor", email="author@example.com", name="Ada Author")


@pytest.fixture
def reviewer(session):
    return UserFactory(role="instructor", email="reviewer@example.com", name="Rex Reviewer")


def events(session, key: str) -> list[AuditEvent]:
    session.expire_all()
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.object_id == key).order_by(AuditEvent.id)
        )
    )


def published_item(session, author, reviewer, **changes: object) -> str:
    """Create, submit and publish an item; return its key."""
    data = clean_item(**changes)
    authoring.create_question(session, author.id, data, now=NOW)
    authoring.submit_for_review(session, author.id, data.key, now=NOW)
    authoring.publish(session, reviewer.id, data.key, now=NOW)
    return data.key


# --- create ----------------------------------------------------------------------------------


def test_create_makes_a_draft_v1_with_an_audit_event(session, author) -> None:
    version = authoring.create_question(session, author.id, clean_item(), now=NOW)
    session.expire_all()
    assert version.number == 1
    assert version.status == "draft"
    assert version.author_id == author.id
    assert version.domain == "D2"
    assert version.answer_index == 0
    assert len(version.options) == 4
    record = authoring.check_item(session, clean_item(), editing="D2-B-001").record
    assert version.content_hash == record.content_hash()
    [event] = events(session, "D2-B-001")
    assert (event.action, event.object_type, event.actor_id) == ("create", "question", author.id)
    assert event.at == NOW
    assert "D2-B-001 v1" in event.summary


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"stem": "   "}, "stem", "stem is empty"),
        ({"options": ("One", "Two", "Three", "")}, "options.D", "option D is empty"),
        ({"options": ("One", "Two", "Three")}, "options", "missing for D"),
        ({"rationales": ("a" * 30, "b" * 30, "c" * 30)}, "rationale", "missing for D"),
        ({"key": "D2-B-1"}, "key", "exactly 3 digits"),
        ({"key": "D1-A-001"}, "key", "does not match sub-domain D2-B"),
        ({"key": ""}, "key", "key is empty"),
        ({"subdomain": "D9-Z"}, "subdomain", "unknown sub-domain 'D9-Z'"),
        ({"difficulty": "brutal"}, "difficulty", "must be one of easy, medium, hard"),
        ({"answer": "E"}, "answer", "must be one of the option letters"),
        ({"answer": ""}, "answer", "mark the correct option: A, B, C or D"),
        ({"difficulty": " "}, "difficulty", "choose a difficulty: easy, medium or hard"),
        ({"references": ()}, "references", "needs at least one entry"),
        ({"enemies": ("D2-B-999",)}, "enemies", "enemy 'D2-B-999' is not a key in the bank"),
        ({"enemies": ("D2-B-001",)}, "enemies", "lists itself as an enemy"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    session, author, changes, field, fragment
) -> None:
    with pytest.raises(ItemInvalid) as caught:
        authoring.create_question(session, author.id, clean_item(**changes), now=NOW)
    messages = caught.value.errors[field]
    assert any(fragment in m for m in messages), caught.value.errors
    assert not any(m.startswith("item D2-B-001: ") for m in messages)  # prefix stripped
    assert count(session, Question) == 0
    assert count(session, AuditEvent) == 0


def test_an_enemy_must_exist_and_a_close_key_is_suggested(session, author) -> None:
    QuestionVersionFactory(question__key="D2-B-007", subdomain="D2-B", domain="D2")
    authoring.create_question(session, author.id, clean_item(enemies=("D2-B-007",)), now=NOW)
    with pytest.raises(ItemInvalid) as caught:
        authoring.create_question(
            session, author.id, clean_item(key="D2-B-002", enemies=("D2-B-07",)), now=NOW
        )
    assert "did you mean 'D2-B-007'" in caught.value.errors["enemies"][0]


def test_unknown_enemies_are_named_with_the_other_problems(session, author) -> None:
    with pytest.raises(ItemInvalid) as caught:
        authoring.create_question(
            session, author.id, clean_item(stem="", enemies=("D2-B-404",)), now=NOW
        )
    assert caught.value.errors == {
        "stem": ["stem is empty"],
        "enemies": ["enemy 'D2-B-404' is not a key in the bank"],
    }


def test_a_taken_key_is_refused_with_the_next_free_one(session, author) -> None:
    authoring.create_question(session, author.id, clean_item(), now=NOW)
    with pytest.raises(ItemInvalid) as caught:
        authoring.create_question(session, author.id, clean_item(stem="Other? BEST"), now=NOW)
    assert caught.value.errors["key"] == [
        "key 'D2-B-001' is already taken; the next free key in D2-B is D2-B-002"
    ]
    assert count(session, QuestionVersion) == 1


def test_losing_a_race_for_a_key_is_a_conflict_and_writes_nothing(
    session, author, monkeypatch
) -> None:
    authoring.create_question(session, author.id, clean_item(), now=NOW)
    # Another request takes the key between this one's check and its commit.
    checked = authoring.check_item(session, clean_item(), editing="D2-B-001").record
    monkeypatch.setattr(authoring.editor, "validate_input", lambda *a, **k: (checked, {}))
    with pytest.raises(Conflict, match="someone else created 'D2-B-001' at the same moment"):
        authoring.create_question(session, author.id, clean_item(), now=NOW)
    assert count(session, QuestionVersion) == 1
    assert count(session, AuditEvent) == 1


def test_next_free_key_follows_the_highest_number_in_the_subdomain(session) -> None:
    assert authoring.next_free_key(session, "D2-B") == "D2-B-001"
    for key in ("D2-B-003", "D2-B-033", "D2-C-050", "D2-B-X"):
        QuestionVersionFactory(question__key=key)
    assert authoring.next_free_key(session, "D2-B") == "D2-B-034"
    assert authoring.next_free_key(session, "D2-C") == "D2-C-051"
    with pytest.raises(ValidationFailed, match="unknown sub-domain 'D9'"):
        authoring.next_free_key(session, "D9")


def test_next_free_key_reports_a_full_subdomain(session) -> None:
    QuestionVersionFactory(question__key="D3-A-999")
    with pytest.raises(Conflict, match="no free key"):
        authoring.next_free_key(session, "D3-A")


# --- lint ------------------------------------------------------------------------------------


def test_check_item_lints_a_valid_item_without_writing(session) -> None:
    check = authoring.check_item(
        session,
        clean_item(options=("Always review the vendor's evidence", *clean_item().options[1:])),
    )
    assert check.problems == {}
    assert check.record is not None
    # "Always" in the key alone: an absolute, and the key the only option with one.
    warnings = {warning.rule: warning for warning in check.warnings}
    assert set(warnings) == {"absolutes", "form-asymmetry"}
    assert authoring.field_of(warnings["absolutes"]) == "options.A"
    assert authoring.field_of(warnings["form-asymmetry"]) == "options.A"
    assert count(session, Question) == 0


def test_check_item_reports_problems_before_lint(session) -> None:
    check = authoring.check_item(session, clean_item(stem="", answer="Z"))
    assert check.record is None
    assert check.findings == ()
    assert set(check.problems) == {"stem", "answer"}


def test_near_duplicates_are_found_against_the_rest_of_the_bank(session, author) -> None:
    other = clean_item(key="D2-B-010")
    authoring.create_question(session, author.id, other, now=NOW)
    stem = other.stem.replace("retailer", "bank")
    check = authoring.check_item(session, clean_item(stem=stem))
    rules = {f.rule: f for f in check.findings}
    assert "near-duplicate-stem" in rules
    assert "D2-B-010" in rules["near-duplicate-stem"].message
    assert authoring.field_of(rules["near-duplicate-stem"]) == "stem"
    same = authoring.check_item(session, clean_item(stem=other.stem))
    assert [f.rule for f in same.errors] == ["duplicate-stem"]
    # Editing a question never compares it with its own stored versions.
    alone = authoring.check_item(session, other, editing="D2-B-010")
    assert alone.findings == ()


def test_retired_items_are_not_near_duplicates(session, author, reviewer) -> None:
    key = published_item(session, author, reviewer, key="D2-B-010")
    authoring.retire(session, reviewer.id, key, now=NOW)
    assert authoring.check_item(session, clean_item()).findings == ()


# --- edit ------------------------------------------------------------------------------------


def test_editing_a_draft_updates_it_in_place(session, author, reviewer) -> None:
    authoring.create_question(session, author.id, clean_item(), now=NOW)
    result = authoring.save_draft(
        session, reviewer.id, "D2-B-001", clean_item(difficulty="hard"), now=NOW
    )
    session.expire_all()
    assert result.changed
    assert not result.new_version
    assert result.fields == ("difficulty",)
    [version] = session.scalars(select(QuestionVersion)).all()
    assert version.difficulty == "hard"
    assert version.number == 1
    # The last person to write the content is its author (four eyes on every word).
    assert version.author_id == reviewer.id
    assert [e.action for e in events(session, "D2-B-001")] == ["create", "edit"]
    assert events(session, "D2-B-001")[-1].details == {"version": 1, "fields": ["difficulty"]}


def test_editing_a_published_version_makes_a_new_draft_and_keeps_it_live(
    session, author, reviewer
) -> None:
    key = published_item(session, author, reviewer)
    v1_id = session.scalar(select(QuestionVersion.id))
    new_stem = clean_item().stem.replace("retailer", "hospital")
    result = authoring.save_draft(session, author.id, key, clean_item(stem=new_stem), now=NOW)
    assert result.new_version
    assert result.version.number == 2
    assert result.version.status == "draft"
    session.expire_all()
    v1 = session.get(QuestionVersion, v1_id)
    assert v1.status == "published"
    assert "retailer" in v1.stem
    assert [p.version_id for p in pool.published_pool(session)] == [v1_id]
    assert events(session, key)[-1].action == "new_version"


def test_saving_the_same_content_changes_nothing(session, author) -> None:
    authoring.create_question(session, author.id, clean_item(), now=NOW)
    result = authoring.save_draft(session, author.id, "D2-B-001", clean_item(), now=NOW)
    assert not result.changed
    assert len(events(session, "D2-B-001")) == 1


def test_a_stale_editor_is_refused(session, author, reviewer) -> None:
    authoring.create_question(session, author.id, clean_item(), now=NOW)
    question = authoring.get_question(session, "D2-B-001")
    base = authoring.base_token(question)
    authoring.save_draft(session, reviewer.id, "D2-B-001", clean_item(difficulty="hard"), now=NOW)
    with pytest.raises(Conflict, match="changed by someone else"):
        authoring.save_draft(
            session, author.id, "D2-B-001", clean_item(difficulty="easy"), now=NOW, base=base
        )
    session.expire_all()
    assert session.scalar(select(QuestionVersion.difficulty)) == "hard"


def test_editing_cannot_change_the_key_or_break_the_rules(session, author) -> None:
    authoring.create_question(session, author.id, clean_item(), now=NOW)
    with pytest.raises(ItemInvalid) as caught:
        authoring.save_draft(session, author.id, "D2-B-001", clean_item(key="D2-B-002"), now=NOW)
    assert "cannot change" in caught.value.errors["key"][0]
    with pytest.raises(ItemInvalid):
        authoring.save_draft(session, author.id, "D2-B-001", clean_item(stem=""), now=NOW)
    with pytest.raises(NotFound):
        authoring.save_draft(session, author.id, "D2-B-404", clean_item(key="D2-B-404"), now=NOW)
    session.expire_all()
    assert session.scalar(select(QuestionVersion.stem)) == clean_item().stem


def test_editing_an_item_in_review_takes_it_back_to_draft(session, author) -> None:
    authoring.create_question(session, author.id, clean_item(), now=NOW)
    authoring.submit_for_review(session, author.id, "D2-B-001", now=NOW)
    result = authoring.save_draft(
        session, author.id, "D2-B-001", clean_item(difficulty="easy"), now=NOW
    )
    assert result.version.status == "draft"
    assert result.version.submitted_at is None
    assert "withdrawn from review" in events(session, "D2-B-001")[-1].summary


# --- workflow --------------------------------------------------------------------------------


def test_full_workflow_with_audit_trail(session, author, reviewer) -> None:
    later = NOW + timedelta(minutes=5)
    authoring.create_question(session, author.id, clean_item(), now=NOW)
    submitted = authoring.submit_for_review(session, author.id, "D2-B-001", now=NOW)
    assert submitted.status == "in_review"
    assert submitted.submitted_at == NOW
    published = authoring.publish(session, reviewer.id, "D2-B-001", now=later)
    assert published.status == "published"
    assert published.published_at == later
    assert published.reviewer_id == reviewer.id
    retired = authoring.retire(session, reviewer.id, "D2-B-001", now=later)
    assert retired.status == "retired"
    assert retired.retired_at == later
    trail = events(session, "D2-B-001")
    assert [(e.action, e.actor_id) for e in trail] == [
        ("create", author.id),
        ("submit", author.id),
        ("publish", reviewer.id),
        ("retire", reviewer.id),
    ]


def test_the_author_cannot_publish_their_own_version(session, author) -> None:
    authoring.create_question(session, author.id, clean_item(), now=NOW)
    authoring.submit_for_review(session, author.id, "D2-B-001", now=NOW)
    with pytest.raises(Forbidden, match="another instructor must review"):
        authoring.publish(session, author.id, "D2-B-001", now=NOW)
    session.expire_all()
    assert session.scalar(select(QuestionVersion.status)) == "in_review"
    assert [e.action for e in events(session, "D2-B-001")] == ["create", "submit"]


def test_an_admin_may_publish_their_own_version(session) -> None:
    admin = UserFactory(role="admin")
    authoring.create_question(session, admin.id, clean_item(), now=NOW)
    authoring.submit_for_review(session, admin.id, "D2-B-001", now=NOW)
    assert authoring.publish(session, admin.id, "D2-B-001", now=NOW).status == "published"


def test_a_candidate_cannot_publish(session, author) -> None:
    candidate = UserFactory(role="candidate")
    authoring.create_question(session, author.id, clean_item(), now=NOW)
    authoring.submit_for_review(session, author.id, "D2-B-001", now=NOW)
    with pytest.raises(Forbidden):
        authoring.publish(session, candidate.id, "D2-B-001", now=NOW)


def test_publishing_a_new_version_retires_the_old_one(session, author, reviewer) -> None:
    key = published_item(session, author, reviewer)
    authoring.save_draft(session, reviewer.id, key, clean_item(difficulty="hard"), now=NOW)
    authoring.submit_for_review(session, reviewer.id, key, now=NOW)
    authoring.publish(session, author.id, key, now=NOW)
    session.expire_all()
    statuses = dict(session.execute(select(QuestionVersion.number, QuestionVersion.status)).all())
    assert statuses == {1: "retired", 2: "published"}
    assert "retired v1" in events(session, key)[-1].summary


@pytest.mark.parametrize(
    ("step", "status_needed"),
    [
        (authoring.submit_for_review, "only a draft"),
        (authoring.publish, "only a version in review"),
    ],
)
def test_workflow_steps_refuse_the_wrong_status(
    session, author, reviewer, step, status_needed
) -> None:
    key = published_item(session, author, reviewer)
    with pytest.raises(Conflict, match=status_needed):
        step(session, reviewer.id, key, now=NOW)


def test_lint_errors_block_review_and_publication(session, author, reviewer) -> None:
    bad = clean_item(stem=clean_item().stem.replace("FIRST", "first"))  # no capital qualifier
    authoring.create_question(session, author.id, bad, now=NOW)
    with pytest.raises(LintErrors, match="qualifier"):
        authoring.submit_for_review(session, author.id, "D2-B-001", now=NOW)
    session.expire_all()
    assert session.scalar(select(QuestionVersion.status)) == "draft"
    assert [e.action for e in events(session, "D2-B-001")] == ["create"]
    # A duplicate written while the item waits in review blocks its publication.
    authoring.save_draft(session, author.id, "D2-B-001", clean_item(), now=NOW)
    authoring.submit_for_review(session, author.id, "D2-B-001", now=NOW)
    authoring.create_question(session, reviewer.id, clean_item(key="D2-B-002"), now=NOW)
    with pytest.raises(LintErrors, match="duplicate-stem"):
        authoring.publish(session, reviewer.id, "D2-B-001", now=NOW)
    session.expire_all()
    assert authoring.newest_of(authoring.get_question(session, "D2-B-001")).status == "in_review"


def test_return_to_draft_needs_a_note(session, author, reviewer) -> None:
    authoring.create_question(session, author.id, clean_item(), now=NOW)
    authoring.submit_for_review(session, author.id, "D2-B-001", now=NOW)
    with pytest.raises(ValidationFailed, match="note"):
        authoring.return_to_draft(session, reviewer.id, "D2-B-001", "  ", now=NOW)
    version = authoring.return_to_draft(
        session, reviewer.id, "D2-B-001", "Cite the clause.", now=NOW
    )
    assert version.status == "draft"
    assert version.review_note == "Cite the clause."
    assert version.reviewer_id == reviewer.id
    assert events(session, "D2-B-001")[-1].details["note"] == "Cite the clause."
    with pytest.raises(Conflict):
        authoring.return_to_draft(session, reviewer.id, "D2-B-001", "again", now=NOW)
    # Sending it to review again clears the old note.
    assert authoring.submit_for_review(session, author.id, "D2-B-001", now=NOW).review_note == ""


def test_retire_needs_a_published_version(session, author) -> None:
    authoring.create_question(session, author.id, clean_item(), now=NOW)
    with pytest.raises(Conflict, match="no published version"):
        authoring.retire(session, author.id, "D2-B-001", now=NOW)


def test_retire_takes_the_live_version_even_under_a_new_draft(session, author, reviewer) -> None:
    key = published_item(session, author, reviewer)
    authoring.save_draft(session, author.id, key, clean_item(difficulty="easy"), now=NOW)
    assert authoring.retire(session, reviewer.id, key, now=NOW).number == 1
    assert pool.published_pool(session) == []


def test_published_content_is_immutable(session, author, reviewer) -> None:
    key = published_item(session, author, reviewer)
    version = session.scalar(select(QuestionVersion))
    version.stem = "Changed? BEST"
    with pytest.raises(PublishedVersionImmutable):
        session.flush()
    session.rollback()
    assert authoring.newest_of(authoring.get_question(session, key)).stem == clean_item().stem


def test_attempts_keep_the_version_they_showed(session, author, reviewer) -> None:
    seed_bank(session, per_subdomain=2)
    key = published_item(session, author, reviewer, key="D2-B-003")
    session.add(
        ExamTemplate(
            name="d2b-only",
            title="D2-B only",
            blueprint="aaism",
            item_count=3,
            minutes=10,
            mode="exam",
            subdomains=["D2-B"],
        )
    )
    session.commit()
    candidate = UserFactory()
    attempt = attempts.start_attempt(session, candidate.id, "d2b-only", now=NOW, seed=1)
    v1 = authoring.get_question(session, key).versions[0]
    assert v1.id in {item.question_version_id for item in attempt.items}
    authoring.save_draft(session, author.id, key, clean_item(key=key, difficulty="hard"), now=NOW)
    authoring.submit_for_review(session, author.id, key, now=NOW)
    authoring.publish(session, reviewer.id, key, now=NOW)
    session.expire_all()
    shown = {item.question_version_id for item in session.scalars(select(AttemptItem))}
    assert v1.id in shown
    v2 = authoring.newest_of(authoring.get_question(session, key))
    assert v2.number == 2
    assert v2.id not in shown
    assert v2.id in {p.version_id for p in pool.published_pool(session)}


# --- history and diff ------------------------------------------------------------------------


def test_history_lists_versions_and_events_newest_first(session, author, reviewer) -> None:
    key = published_item(session, author, reviewer)
    authoring.save_draft(session, author.id, key, clean_item(difficulty="easy"), now=NOW)
    hist = authoring.history(session, key)
    assert [v.number for v in hist.versions] == [2, 1]
    assert [e.action for e in hist.events] == ["new_version", "publish", "submit", "create"]
    assert hist.name(author.id) == "Ada Author"
    assert hist.name(None) == ""
    with pytest.raises(NotFound):
        authoring.history(session, "D9-Z-001")


def test_diff_compares_field_by_field(session, author, reviewer) -> None:
    key = published_item(session, author, reviewer)
    changed = clean_item(
        stem=clean_item().stem.replace("retailer", "hospital"),
        answer="B",
        references=("ISO/IEC 42001:2023, clause 8.1", "NIST AI RMF 1.0, MAP 4"),
    )
    authoring.save_draft(session, author.id, key, changed, now=NOW)
    result = authoring.diff_versions(session, key, 1, 2)
    assert [f.name for f in result.changed] == ["stem", "answer", "references"]
    stem = result.changed[0]
    [row] = stem.rows
    assert row.kind == "replace"
    assert [s.text for s in row.left if s.changed] == ["retailer"]
    assert [s.text for s in row.right if s.changed] == ["hospital"]
    assert [line.kind for line in result.changed[2].unified] == ["hunk", "context", "added"]
    assert "Option A" in [f.label for f in result.unchanged]
    with pytest.raises(NotFound):
        authoring.diff_versions(session, key, 1, 3)


def test_diff_lines_pairs_insertions_and_deletions() -> None:
    rows = authoring.diff_lines(["a", "b", "c"], ["a", "x y", "c", "d"])
    assert [r.kind for r in rows] == ["equal", "replace", "equal", "insert"]
    assert rows[3].left is None
    assert rows[3].right[0].text == "d"
    rows = authoring.diff_lines(["a", "gone"], ["a"])
    assert [r.kind for r in rows] == ["equal", "delete"]
    assert rows[1].right is None


# --- browser ---------------------------------------------------------------------------------


@pytest.fixture
def small_bank(session, author, reviewer):
    seed_bank(session, per_subdomain=3)
    published_item(session, author, reviewer, key="D2-B-004")
    authoring.create_question(
        session,
        author.id,
        clean_item(
            key="D2-B-005",
            stem="Which control BEST limits prompt injection in a retrieval pipeline?",
            options=("Always filter inputs", "Use output encoding", "Rotate keys", "Log calls"),
        ),
        now=NOW,
    )
    authoring.create_question(
        session,
        author.id,
        clean_item(
            key="D2-B-006",
            stem="Which logging setting is first to enable for a model API?",
            # Options of its own: sharing D2-B-004's key would add a shared-key-idea warning.
            options=(
                "Record the caller of each request",
                "Cache responses for repeat prompts",
                "Turn off verbose debug output",
                "Rotate the API signing keys",
            ),
        ),
        now=NOW,
    )


def browse(session, **kwargs):
    return authoring.browse(session, BrowseQuery(**kwargs))


def test_browse_shows_the_newest_version_of_each_question(session, small_bank) -> None:
    page = browse(session, per_page=100)
    assert page.total == 13 * 3 + 3
    assert page.pages == 1
    keys = [r.key for r in page.rows]
    assert keys == sorted(keys)
    row = next(r for r in page.rows if r.key == "D2-B-005")
    assert row.version.status == "draft"
    assert row.live_number is None
    assert row.author == "Ada Author"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"text": "prompt injection"}, ["D2-B-005"]),
        ({"text": "ALWAYS FILTER"}, ["D2-B-005"]),
        ({"text": "d2-b-004"}, ["D2-B-004"]),
        ({"subdomain": "D2-B", "status": "draft"}, ["D2-B-005", "D2-B-006"]),
        ({"subdomain": "D2-B", "lint": "clean"}, ["D2-B-001", "D2-B-002", "D2-B-003", "D2-B-004"]),
        ({"lint": "warnings"}, ["D2-B-005"]),
        ({"lint": "errors"}, ["D2-B-006"]),
        (
            {"domain": "D2", "difficulty": "hard", "status": "published"},
            ["D2-A-002", "D2-B-002", "D2-C-002"],
        ),
        ({"status": "retired"}, []),
    ],
)
def test_browse_filters(session, small_bank, filters, expected) -> None:
    assert [r.key for r in browse(session, per_page=100, **filters).rows] == expected


def test_browse_sorts_and_pages(session, small_bank) -> None:
    first = browse(session, sort="key", descending=True, per_page=10)
    assert first.rows[0].key == "D3-E-003"
    assert first.pages == 5
    assert len(first.rows) == 10
    last = browse(session, sort="key", descending=True, per_page=10, page=99)
    assert last.page == 5
    assert len(last.rows) == 2
    assert last.first_index == 41
    by_status = browse(session, sort="status", per_page=100)
    assert by_status.rows[0].key == "D2-B-005"
    by_lint = browse(session, sort="lint", descending=True, per_page=100)
    assert [r.key for r in by_lint.rows[:2]] == ["D2-B-006", "D2-B-005"]
    unknown = browse(session, sort="nonsense", per_page=5)
    assert unknown.rows[0].key == "D1-A-001"
