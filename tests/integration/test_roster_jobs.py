"""Large rosters as a job: checked in the request (per-row errors, nothing added), invited by
a job that reports rows done of the total and keeps each row's outcome for its page; a job
that fails leaves nobody half-invited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from exam_engine.models import CohortInvitation, Job, utcnow
from exam_engine.services import cohorts, jobs
from exam_engine.services.cohorts import roster, roster_jobs
from exam_engine.services.jobs import names, runner
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def small_threshold(monkeypatch) -> None:
    """Rosters over three rows run as a job here (200 in the app)."""
    monkeypatch.setattr(roster_jobs, "ROSTER_JOB_ROWS", 3)
    # In-process retries would wait up to two seconds: record instead.
    monkeypatch.setattr(runner, "sleep", lambda seconds: None)


def upload(client, cohort, lines: list[str]):
    return client.post(f"/cohorts/{cohort.id}/roster", data={"text": "\n".join(lines)})


def test_a_large_roster_is_a_job_whose_page_shows_each_rows_outcome(
    client, session, instructor, cohort, inbox
) -> None:
    member = UserFactory(email="member@example.com")
    MembershipFactory(cohort=cohort, user=member)
    client.login(instructor.email)
    response = upload(
        client,
        cohort,
        ["email,name", "a@example.com,Ann", "member@example.com", "b@example.com", "c@example.com"],
    )
    assert response.status_code == 303
    job = session.scalars(select(Job).where(Job.name == names.ROSTER)).one()
    assert response.location.endswith(f"/jobs/{job.id}")
    assert (job.status, job.user_id) == ("done", instructor.id)
    assert (job.progress_done, job.progress_total) == (4, 4)
    page = client.get(response.location)
    text = page.get_data(as_text=True)
    assert "4 rows for Spring bootcamp: 3 invited; 1 already in the cohort" in text
    assert "line 2: a@example.com (Ann)" in text
    assert "Skipped: already in the cohort (1)" in text and "line 3: member@example.com" in text
    assert page.headers["Cache-Control"] == "no-store"
    invited = set(session.scalars(select(CohortInvitation.email)))
    assert invited == {"a@example.com", "b@example.com", "c@example.com"}
    # Each invitation's mail is a job of the instructor's own, and went out.
    mails = session.scalars(select(Job).where(Job.name == names.SEND_MAIL)).all()
    assert {(m.user_id, m.status) for m in mails} == {(instructor.id, "done")}
    assert sorted(m.to for m in inbox.messages) == sorted(invited)
    # Another instructor cannot see the job (its result lists people's addresses).
    UserFactory(email="other@example.com", role="instructor")
    client.post("/logout")
    client.login("other@example.com")
    assert client.get(response.location).status_code == 404


def test_a_large_roster_with_bad_rows_answers_at_once_and_adds_nothing(
    client, session, instructor, cohort
) -> None:
    client.login(instructor.email)
    response = upload(
        client, cohort, ["a@example.com", "not-an-address", "b@example.com", "a@example.com"]
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "line 2: &#39;not-an-address&#39; is not a valid email address" in text
    assert "line 4: a@example.com is already on line 1" in text
    assert session.scalars(select(Job)).all() == []
    assert session.scalars(select(CohortInvitation)).all() == []


def test_a_roster_job_that_fails_is_retried_then_failed_and_invites_nobody(
    client, session, instructor, cohort, monkeypatch
) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("audit store down")

    # The audit line is written last in the roster's transaction: everything before it is
    # undone with it.
    monkeypatch.setattr(roster, "audit_cohort", broken)
    client.login(instructor.email)
    response = upload(client, cohort, [f"s{i}@example.com" for i in range(5)])
    assert response.status_code == 303
    view = jobs.job_view(session, int(response.location.rsplit("/", 1)[1]))
    assert (view.status, view.attempts, view.max_attempts) == ("failed", 3, 3)
    assert view.error == "RuntimeError: audit store down"
    assert session.scalars(select(CohortInvitation)).all() == []
    assert session.scalars(select(Job).where(Job.name == names.SEND_MAIL)).all() == []
    assert "failed: RuntimeError: audit store down" in client.get(response.location).get_data(
        as_text=True
    )


def test_a_roster_job_for_a_cohort_its_instructor_lost_fails_and_invites_nobody(
    session, instructor, cohort
) -> None:
    stranger = UserFactory(email="stranger@example.com", role="instructor")
    job_id = jobs.enqueue(
        session,
        names.ROSTER,
        user_id=stranger.id,
        by=stranger.id,
        cohort_id=cohort.id,
        rows=[[1, "a@example.com", ""]],
    )
    view = jobs.job_view(session, job_id)
    assert view.status == "failed" and "not found" in view.error
    assert session.scalars(select(CohortInvitation)).all() == []


def test_a_small_roster_is_still_invited_in_the_request(client, session, instructor, cohort):
    client.login(instructor.email)
    response = upload(client, cohort, ["a@example.com", "b@example.com"])
    assert response.status_code == 200
    assert "2 invited" in response.get_data(as_text=True)
    assert session.scalars(select(Job).where(Job.name == names.ROSTER)).all() == []


def test_the_roster_job_counts_rows_without_an_invitation_as_done_first(
    app_ctx, session, instructor, cohort
) -> None:
    MembershipFactory(cohort=cohort, user=UserFactory(email="in@example.com"))
    seen: list[tuple[int, int]] = []
    rows = [[1, "in@example.com", ""], [2, "new1@example.com", ""], [3, "new2@example.com", ""]]
    result = cohorts.run_roster(
        session,
        instructor.id,
        cohort.id,
        rows,
        now=utcnow(),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert [row["email"] for row in result["invited"]] == ["new1@example.com", "new2@example.com"]
    assert result["already_member"] == [{"line": 1, "email": "in@example.com", "name": ""}]
