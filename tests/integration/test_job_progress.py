"""Job progress: done of total in the job's unit, written at most once a second, shown on
the job's page and in its JSON to its owner and admins only."""

from __future__ import annotations

from sqlalchemy import select

from exam_engine.models import Job
from exam_engine.services import jobs
from exam_engine.services.jobs import names
from exam_engine.services.jobs.registry import job
from exam_engine.services.jobs.runner import ProgressWriter
from tests.factories import UserFactory


@job("test.counts-rows", label="Test rows", unit="rows")
def _counts_rows(session, progress, total: int):
    for done in range(total):
        progress(done, total)
    return {"rows": total}


def _running(session, **values) -> int:
    """A running job's row; its id, with the session left outside any transaction (as the
    runner leaves a job's)."""
    row = Job(
        name=values.pop("name", "test.counts-rows"),
        arguments={},
        status="running",
        max_attempts=3,
        attempts=1,
        **values,
    )
    session.add(row)
    session.commit()
    row_id = row.id
    session.rollback()
    return row_id


def test_ten_thousand_reports_in_ten_seconds_are_ten_writes(session) -> None:
    row_id = _running(session)
    ticks = iter(range(10_000))
    now = {"t": 0.0}

    def clock() -> float:
        return now["t"]

    writer = ProgressWriter(session, row_id, clock=clock)
    for done in ticks:
        # A report every millisecond of a fake clock: exact multiples of a second.
        now["t"] = done / 1000
        writer(done, 10_000)
    assert writer.writes == 10
    session.expire_all()
    stored = session.get(Job, row_id)
    assert (stored.progress_done, stored.progress_total, stored.progress) == (9000, 10_000, 90)


def test_progress_is_not_written_inside_the_jobs_transaction_on_sqlite(session) -> None:
    row_id = _running(session)
    writer = ProgressWriter(session, row_id, clock=lambda: 0.0)
    session.execute(select(Job.id))  # the job's session is in a transaction now
    writer(3, 10)
    sqlite = session.get_bind().dialect.name == "sqlite"
    # SQLite has one writer: the count waits for the job's next report between transactions.
    assert writer.writes == (0 if sqlite else 1)
    session.rollback()
    writer(4, 10)
    # (Elsewhere the first count was written, and the clock has not moved a second since.)
    assert writer.writes == 1
    session.expire_all()
    assert session.get(Job, row_id).progress_done == (4 if sqlite else 3)


def test_a_counting_job_ends_with_its_total_done(session) -> None:
    job_id = jobs.enqueue(session, "test.counts-rows", total=5000)
    view = jobs.job_view(session, job_id)
    assert (view.status, view.progress, view.progress_done, view.progress_total) == (
        "done",
        100,
        5000,
        5000,
    )
    assert view.counted == "5,000 of 5,000 rows"


def test_a_retried_job_starts_its_count_again(session) -> None:
    from exam_engine.services.jobs.runner import _claim

    row_id = _running(session, progress=40, progress_done=400, progress_total=1000)
    session.get(Job, row_id).status = "queued"
    session.commit()
    _claim(session, row_id)
    session.expire_all()
    stored = session.get(Job, row_id)
    assert (stored.progress, stored.progress_done, stored.progress_total) == (0, None, None)


def test_the_page_and_json_show_the_count_to_the_owner_and_admins_only(client, session) -> None:
    owner = UserFactory(email="owner@example.com", role="instructor")
    UserFactory(email="other@example.com", role="instructor")
    UserFactory(email="root@example.com", role="admin")
    row_id = _running(
        session,
        name=names.ROSTER,
        user_id=owner.id,
        progress=41,
        progress_done=412,
        progress_total=1000,
    )
    client.login("owner@example.com")
    page = client.get(f"/jobs/{row_id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "running 41% (412 of 1,000 rows)" in text
    assert 'http-equiv="refresh"' in text  # it polls until the job ends
    assert page.headers["Cache-Control"] == "no-store"
    data = client.get(f"/jobs/{row_id}.json").get_json()
    assert (data["done"], data["total"], data["unit"]) == (412, 1000, "rows")
    client.post("/logout")
    client.login("other@example.com")
    assert client.get(f"/jobs/{row_id}").status_code == 404
    assert client.get(f"/jobs/{row_id}.json").status_code == 404
    client.post("/logout")
    client.login("root@example.com")
    assert client.get(f"/jobs/{row_id}.json").get_json()["done"] == 412


def test_the_jobs_list_shows_ones_own_jobs_and_an_admin_every_failed_one(client, session):
    owner = UserFactory(email="owner@example.com", role="instructor")
    UserFactory(email="root@example.com", role="admin")
    mine = jobs.enqueue(session, names.SWEEP, user_id=owner.id)
    failed = jobs.enqueue(session, names.CALIBRATE, model="3pl")  # nobody's: account-mail-like
    client.login("owner@example.com")
    text = client.get("/jobs").get_data(as_text=True)
    assert f"/jobs/{mine}" in text and f"/jobs/{failed}" not in text
    client.post("/logout")
    client.login("root@example.com")
    listing = client.get("/jobs?status=failed")
    text = listing.get_data(as_text=True)
    assert f"/jobs/{failed}" in text and f"/jobs/{mine}" not in text
    assert "3pl" in text  # the failure's reason
    assert listing.headers["Cache-Control"] == "no-store"


def test_the_export_and_recompute_jobs_count_their_steps(session, bank) -> None:
    for name, arguments in [
        (names.EXPORT_BANK, {"fmt": "csv", "by": None}),
        (names.RECOMPUTE, {}),
    ]:
        view = jobs.job_view(session, jobs.enqueue(session, name, **arguments))
        assert view.status == "done", view.error
        assert (view.progress_done, view.progress_total, view.unit) == (3, 3, "steps")


def test_the_steps_are_reported_in_order(app_ctx, session, bank) -> None:
    from exam_engine.models import utcnow
    from exam_engine.services import calibration, interchange, item_stats

    for run in (
        lambda report: interchange.export(session, "csv", progress=report),
        lambda report: item_stats.recompute(session, now=utcnow(), progress=report),
        lambda report: calibration.recalibrate(session, now=utcnow(), progress=report),
    ):
        seen: list[tuple[int, int]] = []
        run(lambda done, total, seen=seen: seen.append((done, total)))
        assert [done for done, _ in seen] == sorted(done for done, _ in seen)
        assert {total for _, total in seen} == {3} and len(seen) >= 3
