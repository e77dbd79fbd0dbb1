"""Jobs seen from pages: the bank export made in the background, roster mail as jobs, and a
job left running by a killed worker shown as failed by the sweep."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from exam_engine.models import Job, utcnow
from exam_engine.services import jobs
from exam_engine.services.jobs import names
from tests.factories import UserFactory


def test_an_export_made_in_the_background_is_downloaded_from_its_page_by_its_owner(
    client, session, bank
) -> None:
    UserFactory(email="staff@example.com", role="instructor")
    UserFactory(email="other@example.com", role="instructor")
    client.login("staff@example.com")
    response = client.post("/authoring/export/csv/job")
    assert response.status_code == 303
    page = client.get(response.location)
    text = page.get_data(as_text=True)
    assert "Bank export" in text and "done" in text and "Download" in text
    job = session.scalars(select(Job).where(Job.name == names.EXPORT_BANK)).one()
    download = client.get(f"/jobs/{job.id}/download")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    direct = client.get("/authoring/export/csv")
    assert download.data.splitlines()[0] == direct.data.splitlines()[0]
    client.post("/logout")
    client.login("other@example.com")
    assert client.get(f"/jobs/{job.id}/download").status_code == 404


def test_an_unknown_export_format_is_a_404_and_queues_nothing(client, session) -> None:
    UserFactory(email="staff@example.com", role="instructor")
    client.login("staff@example.com")
    assert client.post("/authoring/export/docx/job").status_code == 404
    assert session.scalars(select(Job)).all() == []


def test_each_roster_invitation_mail_is_a_job(client, session, inbox) -> None:
    from exam_engine.services import cohorts

    teacher = UserFactory(email="teach@example.com", role="instructor")
    cohort = cohorts.create_cohort(session, "Evening group", teacher.id)
    client.login("teach@example.com")
    client.post(f"/cohorts/{cohort.id}/roster", data={"text": "a@example.com\nb@example.com"})
    rows = session.scalars(select(Job).where(Job.name == names.SEND_MAIL)).all()
    assert sorted(row.arguments["to"] for row in rows) == ["a@example.com", "b@example.com"]
    assert {row.status for row in rows} == {"done"}
    assert {row.user_id for row in rows} == {teacher.id}
    assert sorted(m.to for m in inbox.messages) == ["a@example.com", "b@example.com"]


def test_the_sweep_marks_a_job_abandoned_by_its_worker_failed(session) -> None:
    stuck = Job(
        name=names.RECOMPUTE,
        arguments={},
        status="running",
        progress=40,
        max_attempts=3,
        attempts=1,
        started_at=utcnow() - timedelta(hours=2),
    )
    fresh = Job(
        name=names.RECOMPUTE,
        arguments={},
        status="running",
        max_attempts=3,
        attempts=1,
        started_at=utcnow(),
    )
    session.add_all([stuck, fresh])
    session.commit()
    sweep_id = jobs.enqueue(session, names.SWEEP)
    assert jobs.job_view(session, sweep_id).result == {
        "finalized": 0,
        "abandoned_jobs": 1,
        "requeued_jobs": 0,
    }
    assert jobs.job_view(session, stuck.id).summary.startswith("failed: the worker running it")
    assert jobs.job_view(session, fresh.id).status == "running"
