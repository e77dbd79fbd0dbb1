"""Forms made before the bell: prepared when assigned or joined, used at Start, kept current."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from exam_engine.models import (
    Attempt,
    AttemptItem,
    Membership,
    PreparedForm,
    QuestionVersion,
    utcnow,
)
from exam_engine.services import attempts, cohorts, my_data, prepared_forms
from exam_engine.services.authoring import workflow
from exam_engine.services.pool import fingerprint
from tests.factories import MembershipFactory, UserFactory
from tests.support import add_template, seed_bank, stored_attempt, student_of

NOW = utcnow().replace(microsecond=0)
GRACE = 30
LATER = NOW + timedelta(hours=2)


@pytest.fixture
def bank(session):
    versions = seed_bank(session, per_subdomain=4)
    add_template(session, "mini", item_count=6, minutes=10)
    return versions


def assign(session, instructor, cohort, *, opens=NOW - timedelta(hours=1), hours=48):
    return cohorts.create_assignment(
        session,
        instructor.id,
        cohort,
        "mini",
        opens_at=opens,
        closes_at=opens + timedelta(hours=hours),
    )


def form_of(session, assignment_id, user_id):
    return session.scalar(
        select(PreparedForm).where(
            PreparedForm.assignment_id == assignment_id, PreparedForm.user_id == user_id
        )
    )


def forms(session):
    return session.scalar(select(func.count()).select_from(PreparedForm))


def start(session, user_id, assignment_id, now=NOW):
    return cohorts.start_assignment(session, user_id, assignment_id, now=now, grace_seconds=GRACE)


def stored_items(session, attempt_id):
    return [
        [item.position, item.question_version_id, item.question_id, item.option_order]
        for item in session.scalars(
            select(AttemptItem)
            .where(AttemptItem.attempt_id == attempt_id)
            .order_by(AttemptItem.position)
        )
    ]


def no_assembly(monkeypatch):
    """Make any assembly, bank read or history read at Start fail the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("Start assembled a form although one was prepared")

    for name in ("assemble", "published_bank", "seen_counts", "usage_counts", "_left_out"):
        monkeypatch.setattr(f"exam_engine.services.attempts.start.{name}", refuse)


def test_every_student_gets_a_form_when_the_assignment_is_made(
    session, bank, instructor, cohort
) -> None:
    students = [student_of(cohort) for _ in range(3)]
    assignment = assign(session, instructor, cohort)
    published = {v.id for v in bank}
    for student in students:
        form = form_of(session, assignment.id, student.id)
        assert form is not None
        assert [row[0] for row in form.items] == [1, 2, 3, 4, 5, 6]
        assert {row[1] for row in form.items} <= published
        assert len({row[2] for row in form.items}) == 6
        assert all(sorted(row[3]) == [0, 1, 2, 3] for row in form.items)
        assert form.bank_fingerprint == fingerprint(session)
    assert forms(session) == 3  # the instructor gets none
    # A prepared form is nobody's attempt: not seen, not exposure, not in item statistics.
    for student in students:
        assert attempts.seen_counts(session, student.id) == {}
    template_id = assignment.template_id
    assert attempts.usage_counts(session, template_id, assignment.id) == {}
    assert session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_exposure_control_spreads_the_prepared_forms(session, bank, instructor, cohort) -> None:
    from exam_engine.models import ExamTemplate

    template = session.scalar(select(ExamTemplate).where(ExamTemplate.name == "mini"))
    template.exposure_cap = 1
    session.commit()
    students = [student_of(cohort) for _ in range(3)]
    assignment = assign(session, instructor, cohort)
    shown = [
        row[2] for student in students for row in form_of(session, assignment.id, student.id).items
    ]
    # With a cap of one use per item in the cohort, no two prepared forms share a question.
    assert len(shown) == 18
    assert len(set(shown)) == 18


def test_students_who_join_later_get_their_forms(session, bank, instructor, cohort) -> None:
    upcoming = assign(session, instructor, cohort, opens=LATER)
    closed = assign(session, instructor, cohort, opens=NOW - timedelta(days=3), hours=24)
    code = cohorts.new_join_code(session, instructor.id, cohort, now=NOW, days=7)
    by_code = UserFactory()
    cohorts.join_by_code(session, by_code.id, code, now=NOW)
    invited = UserFactory(email="invited@example.com")
    cohorts.upload_roster(session, instructor.id, cohort, "invited@example.com,Ivy", now=NOW)
    invitation_id = cohorts.pending_for(session, invited.id)[0].id
    cohorts.accept_invitation(session, invited.id, invitation_id, now=NOW)
    enrolled = UserFactory(email="enrolled@example.com")
    assert cohorts.enroll(session, cohort.id, ["enrolled@example.com"]) == ["enrolled@example.com"]
    for student in (by_code, invited, enrolled):
        assert form_of(session, upcoming.id, student.id) is not None
        assert form_of(session, closed.id, student.id) is None
    assert forms(session) == 3


def test_start_writes_the_prepared_form_and_assembles_nothing(
    session, bank, instructor, cohort, monkeypatch
) -> None:
    student = UserFactory()
    MembershipFactory(cohort=cohort, user=student, role="student", time_multiplier=1.5)
    assignment = assign(session, instructor, cohort)
    form = form_of(session, assignment.id, student.id)
    expected, seed = form.items, form.seed
    before = prepared_forms.START_PATHS["prepared"]
    no_assembly(monkeypatch)
    attempt = start(session, student.id, assignment.id)
    assert stored_items(session, attempt.id) == expected
    assert (attempt.seed, attempt.started_at, attempt.kind) == (seed, NOW, "mock")
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=15)
    assert prepared_forms.START_PATHS["prepared"] == before + 1
    assert form_of(session, assignment.id, student.id) is None  # used up
    # Pressing again resumes the same sitting.
    assert start(session, student.id, assignment.id, NOW + timedelta(minutes=1)).id == attempt.id
    # Once started, the form counts as seen and as exposure, like any sitting.
    assert sum(attempts.seen_counts(session, student.id).values()) == 6
    assert sum(attempts.usage_counts(session, assignment.template_id, assignment.id).values()) == 6


def test_a_bank_change_before_the_window_remakes_the_forms(
    session, bank, instructor, cohort, monkeypatch
) -> None:
    student = student_of(cohort)
    assignment = assign(session, instructor, cohort, opens=LATER)
    old = form_of(session, assignment.id, student.id)
    old_fingerprint = old.bank_fingerprint
    version = session.get(QuestionVersion, old.items[0][1])
    workflow.retire(session, instructor.id, version.question.key, now=NOW)
    new = form_of(session, assignment.id, student.id)
    assert new.bank_fingerprint == fingerprint(session) != old_fingerprint
    assert version.id not in [row[1] for row in new.items]
    no_assembly(monkeypatch)
    attempt = start(session, student.id, assignment.id, LATER + timedelta(minutes=1))
    assert stored_items(session, attempt.id) == new.items


def test_an_outdated_bank_alone_remakes_forms_only_when_asked_to(session, bank, instructor, cohort):
    """A publish pays only for forms it made unusable; an import (remake_all) re-makes all."""
    student = student_of(cohort)
    assignment = assign(session, instructor, cohort, opens=LATER)
    form = form_of(session, assignment.id, student.id)
    items = [list(row) for row in form.items]
    form.bank_fingerprint = "an earlier bank"
    session.commit()
    assert prepared_forms.refresh_prepared_forms(session, NOW) == 0
    kept = form_of(session, assignment.id, student.id)
    assert kept.bank_fingerprint == "an earlier bank"
    assert [list(row) for row in kept.items] == items
    remade = prepared_forms.refresh_prepared_forms(session, NOW, remake_all=True)
    assert remade == forms(session)
    assert remade >= 1
    assert form_of(session, assignment.id, student.id).bank_fingerprint == fingerprint(session)


def test_a_form_unusable_at_start_falls_back_to_assembly(session, bank, instructor, cohort):
    student = student_of(cohort)
    assignment = assign(session, instructor, cohort)  # open: refreshing leaves it alone
    form = form_of(session, assignment.id, student.id)
    retired = form.items[0][1]
    key = session.get(QuestionVersion, retired).question.key
    workflow.retire(session, instructor.id, key, now=NOW)
    assert form_of(session, assignment.id, student.id).items[0][1] == retired
    before = prepared_forms.START_PATHS["assembled: a version on it was retired"]
    attempt = start(session, student.id, assignment.id)
    versions = [row[1] for row in stored_items(session, attempt.id)]
    assert len(versions) == 6
    assert retired not in versions
    assert prepared_forms.START_PATHS["assembled: a version on it was retired"] == before + 1
    assert forms(session) == 0


def test_a_form_clashing_with_unfinished_practice_is_not_used(session, bank, instructor, cohort):
    student = student_of(cohort)
    assignment = assign(session, instructor, cohort)
    form = form_of(session, assignment.id, student.id)
    clashing = session.get(QuestionVersion, form.items[0][1])
    drill = add_template(session, "drill-mini", item_count=1, minutes=10, mode="practice")
    stored_attempt(
        session, student, drill, [(clashing, None)], started=NOW, kind="drill", status="in_progress"
    )
    session.commit()
    attempt = start(session, student.id, assignment.id)
    # The mock leaves out the question the running drill shows, as any mock start does.
    assert clashing.question_id not in [row[2] for row in stored_items(session, attempt.id)]


def test_a_form_clashing_with_another_unfinished_mock_is_not_used(
    session, bank, instructor, cohort
):
    student = student_of(cohort)
    assignment = assign(session, instructor, cohort)
    form = form_of(session, assignment.id, student.id)
    clashing = session.get(QuestionVersion, form.items[0][1])
    other = add_template(session, "other-mini", item_count=1, minutes=10)
    stored_attempt(
        session, student, other, [(clashing, None)], started=NOW, kind="mock", status="in_progress"
    )
    session.commit()
    path = "assembled: an unfinished practice set or mock holds one of its questions"
    before = prepared_forms.START_PATHS[path]
    attempt = start(session, student.id, assignment.id)
    # Submitting the other mock would show its review, with this question's key, while this
    # one runs: the sitting is assembled without it instead.
    assert clashing.question_id not in [row[2] for row in stored_items(session, attempt.id)]
    assert prepared_forms.START_PATHS[path] == before + 1


def test_withdrawal_and_removal_drop_the_forms(session, bank, instructor, cohort) -> None:
    stays, leaves = student_of(cohort), student_of(cohort)
    first = assign(session, instructor, cohort, opens=LATER)
    second = assign(session, instructor, cohort, opens=LATER)
    assert forms(session) == 4
    cohorts.delete_assignment(session, instructor.id, cohort, first.id)
    assert forms(session) == 2
    cohorts.remove_student(session, instructor.id, cohort, leaves.id)
    assert form_of(session, second.id, leaves.id) is None
    assert form_of(session, second.id, stays.id) is not None
    assert session.scalar(select(func.count()).select_from(Membership)) == 2


def test_nothing_prepared_reaches_the_candidate(session, bank, instructor, cohort, client) -> None:
    student = student_of(cohort, email="sam@example.com")
    assignment = assign(session, instructor, cohort, opens=LATER)
    form = form_of(session, assignment.id, student.id)
    stems = [session.get(QuestionVersion, row[1]).stem for row in form.items]
    exported = str(my_data.export(session, student.id, now=NOW))
    client.login("sam@example.com")
    pages = [
        client.get("/dashboard").get_data(as_text=True),
        client.get("/account/data.json").get_data(as_text=True),
        client.get("/account/data").get_data(as_text=True),
    ]
    for text in (exported, *pages):
        assert "prepared" not in text.lower()
        assert not any(stem in text for stem in stems)


def test_the_forms_job_counts_the_students_it_assembled(session, bank, instructor, cohort):
    from exam_engine.models import Job
    from exam_engine.services.jobs import names

    for _ in range(3):
        student_of(cohort)
    assignment = assign(session, instructor, cohort)
    job = session.scalars(select(Job).where(Job.name == names.PREPARE_FORMS)).one()
    assert (job.status, job.progress_done, job.progress_total) == ("done", 3, 3)
    seen: list[tuple[int, int]] = []
    prepared_forms.prepare_forms(
        session, assignment.id, progress=lambda done, total: seen.append((done, total))
    )
    assert seen == [(0, 3), (1, 3), (2, 3)]


def test_a_refresh_counts_students_across_its_assignments(session, bank, instructor, cohort):
    for _ in range(2):
        student_of(cohort)
    assign(session, instructor, cohort, opens=LATER)
    assign(session, instructor, cohort, opens=LATER + timedelta(days=1))
    # Made from another bank: every form outdated.
    from sqlalchemy import update

    session.execute(update(PreparedForm).values(bank_fingerprint="an earlier bank"))
    session.commit()
    seen: list[tuple[int, int]] = []
    made = prepared_forms.refresh_prepared_forms(
        session, NOW, remake_all=True, progress=lambda done, total: seen.append((done, total))
    )
    assert made == 4
    # Two students of each of two assignments: 4 in all, counted on across them.
    assert seen == [(0, 4), (1, 4), (2, 4), (2, 4), (3, 4), (4, 4)]
