"""Mail and rosters with a queue: requests only queue, ``flask worker --burst`` does the rest.

Account mail is queued alike for known and unknown addresses; the worker sends it, or
retries a refusing server and then shows the job failed with the server's answer. A large
roster's job counts its rows. Redis as in test_jobs_worker.py (``TEST_REDIS_URL``).
"""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from exam_engine.models import CohortInvitation, Job, User, utcnow
from exam_engine.services import cohorts, email_verification, password_reset
from exam_engine.services.account_links import Links
from exam_engine.services.cohorts import roster_jobs
from exam_engine.services.jobs import names
from tests.factories import UserFactory
from tests.support import TEST_SECRET, Client, make_queued_app, scoped_to_test, worker_burst

WAIT_SECONDS = 120


@pytest.fixture
def queued_app(tmp_path, database_url, redis_prefix, request):
    """An app whose jobs go to Redis; retries at once, so one burst runs every attempt."""
    application = make_queued_app(
        database_url, str(tmp_path / "app"), redis_prefix, JOB_RETRY_DELAYS=[0, 0]
    )
    return scoped_to_test(request, application)


def _burst(tmp_path, database_url, redis_prefix, mail_host: str, mail_port: int) -> str:
    """Run ``flask worker --burst --no-schedule`` to the end; return its output."""
    return worker_burst(
        database_url,
        str(tmp_path / "worker"),
        redis_prefix,
        JOB_RETRY_DELAYS="[0, 0]",
        MAIL_SERVER=mail_host,
        MAIL_PORT=str(mail_port),
        BASE_URL="http://exam.test",
        LOG_FORMAT="text",
    )


def _links() -> Links:
    return Links(secret=TEST_SECRET, now=time.time(), page=lambda name, token: f"http://x/{name}")


def _mail_jobs(session) -> list[Job]:
    session.expire_all()
    return list(session.scalars(select(Job).where(Job.name == names.SEND_MAIL).order_by(Job.id)))


def test_account_mail_is_only_queued_in_the_request_and_a_worker_sends_it(
    tmp_path, database_url, redis_prefix, queued_app, session, smtp_server, inbox
) -> None:
    UserFactory(email="known@example.com")
    with queued_app.app_context():
        deliveries = [
            password_reset.request_reset(session, _links(), "known@example.com"),
            password_reset.request_reset(session, _links(), "nobody@example.com"),
            email_verification.register(
                session, _links(), "new@example.com", "quartz-lantern-orbit-71"
            ),
            email_verification.register(
                session, _links(), "known@example.com", "quartz-lantern-orbit-71"
            ),
        ]
    # Every way answers alike: one queued mail, no file, nothing sent yet.
    assert [d.file for d in deliveries] == [None] * 4
    rows = _mail_jobs(session)
    assert [(row.status, row.arguments["to"]) for row in rows] == [
        ("queued", "known@example.com"),
        ("queued", "nobody@example.com"),
        ("queued", "new@example.com"),
        ("queued", "known@example.com"),
    ]
    assert inbox.messages == []
    controller, _ = smtp_server
    _burst(tmp_path, database_url, redis_prefix, controller.hostname, controller.port)
    rows = _mail_jobs(session)
    assert {row.status for row in rows} == {"done"}
    # The body (a reset link) is not kept once the mail went.
    assert {row.arguments["body"] for row in rows} == {"(removed)"}
    assert sorted(m.to for m in inbox.messages) == sorted(
        ["known@example.com", "nobody@example.com", "new@example.com", "known@example.com"]
    )


def test_the_reset_page_answers_the_same_with_a_queue_for_known_and_unknown(
    queued_app, session, inbox
) -> None:
    UserFactory(email="known@example.com")
    queued_app.test_client_class = Client
    client = queued_app.test_client()
    pages = [
        client.post("/account/reset", data={"email": email})
        for email in ("known@example.com", "nobody@example.com")
    ]
    assert [page.status_code for page in pages] == [200, 200]
    # The CSRF token is signed with the time: two requests a second apart differ there only.
    texts = [
        re.sub(r'(name="csrf[-_]token"[^>]*?(?:content|value)=")[^"]+', r"\1", page.text).replace(
            email, "ADDRESS"
        )
        for page, email in zip(pages, ("known@example.com", "nobody@example.com"), strict=True)
    ]
    assert texts[0] == texts[1] and "Check your mail" in texts[0]
    assert len(_mail_jobs(session)) == 2 and inbox.messages == []


def test_a_mail_job_whose_server_fails_is_retried_then_failed_with_its_answer(
    tmp_path, database_url, redis_prefix, queued_app, session, client, inbox
) -> None:
    UserFactory(email="root@example.com", role="admin")
    with queued_app.app_context():
        password_reset.request_reset(session, _links(), "someone@example.com")
    # Nothing listens on port 1: every attempt is refused.
    _burst(tmp_path, database_url, redis_prefix, "127.0.0.1", 1)
    (row,) = _mail_jobs(session)
    assert (row.status, row.attempts, row.max_attempts) == ("failed", 3, 3)
    assert row.error.startswith("mail to someone@example.com not sent: ")
    assert "ConnectionRefusedError" in row.error
    assert row.arguments["body"] == "(removed)"
    assert inbox.messages == []
    # An admin finds it among the failed jobs, with its reason.
    client.login("root@example.com")
    text = client.get("/jobs?status=failed").get_data(as_text=True)
    assert f"/jobs/{row.id}" in text and "mail to someone@example.com not sent" in text


def test_a_large_roster_job_runs_in_the_worker_and_counts_its_rows(
    tmp_path,
    database_url,
    redis_prefix,
    queued_app,
    session,
    smtp_server,
    inbox,
    monkeypatch,
    instructor,
    cohort,
) -> None:
    monkeypatch.setattr(roster_jobs, "ROSTER_JOB_ROWS", 3)
    lines = [f"s{i}@example.com" for i in range(6)]
    with queued_app.app_context():
        job_id = cohorts.submit_roster(
            session, instructor.id, cohort, "\n".join(lines), now=utcnow()
        )
    assert isinstance(job_id, int)
    assert session.get(Job, job_id).status == "queued"
    assert session.scalars(select(CohortInvitation)).all() == []
    controller, _ = smtp_server
    _burst(tmp_path, database_url, redis_prefix, controller.hostname, controller.port)
    session.expire_all()
    row = session.get(Job, job_id)
    assert (row.status, row.progress_done, row.progress_total) == ("done", 6, 6)
    assert [entry["email"] for entry in row.result["invited"]] == lines
    assert sorted(session.scalars(select(CohortInvitation.email))) == lines
    # The roster job queued each invitation's mail; the same burst sent them.
    assert {job.status for job in _mail_jobs(session)} == {"done"}
    assert sorted(m.to for m in inbox.messages) == lines


def _unreachable_app(tmp_path, database_url, smtp_server, request):
    """An app whose Redis is configured but down (nothing listens on port 1)."""
    controller, _ = smtp_server
    application = make_queued_app(
        database_url,
        str(tmp_path / "app"),
        ("redis://127.0.0.1:1/12", "down:"),
        MAIL_SERVER=controller.hostname,
        MAIL_PORT=controller.port,
        BASE_URL="http://exam.test",
    )
    return scoped_to_test(request, application)


def test_account_mail_with_the_queue_unreachable_is_sent_in_the_request(
    tmp_path, database_url, session, smtp_server, inbox, request
) -> None:
    unreachable = _unreachable_app(tmp_path, database_url, smtp_server, request)
    with unreachable.app_context():
        password_reset.request_reset(session, _links(), "nobody@example.com")
        email_verification.register(session, _links(), "new@example.com", "quartz-lantern-orbit-71")
    # Both went at once, as without Redis: the registration is not left half done.
    assert sorted(m.to for m in inbox.messages) == ["new@example.com", "nobody@example.com"]
    rows = _mail_jobs(session)
    assert [(row.status, row.attempts, row.error) for row in rows] == [("done", 1, "")] * 2
    assert {row.arguments["body"] for row in rows} == {"(removed)"}
    new = session.scalar(select(User).where(User.email == "new@example.com"))
    assert new is not None
    assert new.email_verified is False


def test_account_mail_with_the_queue_unreachable_and_the_server_refusing_says_try_again(
    tmp_path, database_url, session, smtp_server, inbox, request
) -> None:
    from exam_engine.services.mail import MailNotSent

    unreachable = _unreachable_app(tmp_path, database_url, smtp_server, request)
    with unreachable.app_context():
        # The test server refuses this domain for good (550): one attempt, then failed.
        with pytest.raises(MailNotSent, match="try again"):
            password_reset.request_reset(session, _links(), "someone@rejects.example")
    assert inbox.messages == []
    (row,) = _mail_jobs(session)
    assert (row.status, row.attempts, row.arguments["body"]) == ("failed", 1, "(removed)")
    assert "not sent" in row.error


def test_a_mail_refused_for_good_in_a_worker_ends_without_idle_retries(
    tmp_path, database_url, redis_prefix, queued_app, session, smtp_server, inbox
) -> None:
    with queued_app.app_context():
        password_reset.request_reset(session, _links(), "someone@rejects.example")
    controller, _ = smtp_server
    output = _burst(tmp_path, database_url, redis_prefix, controller.hostname, controller.port)
    (row,) = _mail_jobs(session)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "550" in row.error
    # The worker did not hand RQ a failure to retry: no later delivery found the row ended.
    assert "is not queued" not in output
    assert output.count("started, attempt") == 1
