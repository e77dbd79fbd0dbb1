"""Request ids, /metrics behind its token, /healthz with the queue, and a job's page."""

from __future__ import annotations

import pytest

from exam_engine.extensions import db
from exam_engine.services.jobs import names
from exam_engine.web import sign_in
from tests.factories import UserFactory
from tests.support import Client, make_app

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def other_app(app, database_url, tmp_path):
    """Make a second app on the test database; afterwards the test app's sign-in counters
    (a process-wide choice each app makes at creation) are the test app's again."""

    made = []

    def make(**settings):
        # The limiter too is process-wide: keep it in memory as the test app has it.
        made.append(
            make_app(database_url, str(tmp_path), RATELIMIT_STORAGE_URI="memory://", **settings)
        )
        return made[-1]

    yield make
    sign_in.init_app(app)
    for other in made:
        # Close its pooled connections now (a garbage-collected one warns, failing a test).
        with other.app_context():
            db.engine.dispose()


def test_a_request_id_is_kept_or_made_and_returned(client) -> None:
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-1234.abc"})
    assert kept.headers["X-Request-ID"] == "lb-1234.abc"
    made = client.get("/healthz")
    assert len(made.headers["X-Request-ID"]) == 32
    # Anything but a short plain id is replaced, never echoed (no header or log injection).
    odd = client.get("/healthz", headers={"X-Request-ID": "x" * 65})
    assert odd.headers["X-Request-ID"] != "x" * 65


def test_metrics_are_hidden_without_a_token_setting(client) -> None:
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_token_and_list_latency_saves_attempts_and_jobs(
    session, other_app
) -> None:
    metered = other_app(METRICS_TOKEN=TOKEN)
    metered.test_client_class = Client
    client = metered.test_client()
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    client.get("/healthz")
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert 'exam_engine_request_seconds_bucket{endpoint="health.healthz"' in text
    assert "exam_engine_saves_total" in text or "# HELP exam_engine_saves" in text
    assert "exam_engine_attempts_in_progress 0.0" in text
    assert 'exam_engine_jobs{status="failed"} 0.0' in text


def test_healthz_reports_an_unreachable_queue_as_degraded(other_app) -> None:
    broken = other_app(REDIS_URL="redis://127.0.0.1:1/0")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert (body["status"], body["database"], body["queue"]) == ("degraded", "ok", "unreachable")


def test_healthz_reports_the_queue_when_redis_answers(other_app, redis_prefix) -> None:
    url, prefix = redis_prefix
    queued = other_app(REDIS_URL=url, REDIS_KEY_PREFIX=prefix)
    response = queued.test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["queue"], body["queued"]) == ("ok", "ok", 0)


def test_recompute_shows_its_job_and_only_its_owner_sees_the_job_page(client, session) -> None:
    UserFactory(email="staff@example.com", role="instructor")
    UserFactory(email="other@example.com", role="instructor")
    client.login("staff@example.com")
    response = client.post("/item-analysis/recompute", data={"template": ""})
    assert response.status_code == 303
    page = client.get("/item-analysis/").get_data(as_text=True)
    assert "Last recompute:" in page and ">done</a>" in page
    from sqlalchemy import select

    from exam_engine.models import Job

    job = session.scalars(select(Job).where(Job.name == names.RECOMPUTE)).one()
    own = client.get(f"/jobs/{job.id}")
    assert own.status_code == 200 and "Item statistics recompute" in own.get_data(as_text=True)
    assert client.get(f"/jobs/{job.id}.json").get_json()["status"] == "done"
    client.post("/logout")
    client.login("other@example.com")
    assert client.get(f"/jobs/{job.id}").status_code == 404
    assert client.get(f"/jobs/{job.id}.json").status_code == 404
