"""Each user's time zone: from the browser once, changeable on the account page, used by
every page; cohort windows typed in the instructor's zone are stored in UTC; the API stays UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from exam_engine.models import Assignment, User
from exam_engine.services import cohorts
from tests.factories import MembershipFactory, UserFactory
from tests.support import add_template, seed_bank


@pytest.fixture
def user(session):
    return UserFactory(email="zoe@example.com")


def zone_of(session, email: str) -> str | None:
    session.expire_all()
    return session.scalar(select(User.time_zone).where(User.email == email))


def test_a_user_without_a_zone_is_asked_for_the_browsers(client, session, user) -> None:
    client.login(user.email)
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'data-detect-zone="/account/time-zone/detect"' in html
    response = client.post("/account/time-zone/detect", data={"time_zone": "Asia/Tokyo"})
    assert response.status_code == 204
    assert zone_of(session, user.email) == "Asia/Tokyo"
    assert "data-detect-zone" not in client.get("/dashboard").get_data(as_text=True)


def test_the_browser_never_overrides_a_chosen_zone(client, session, user) -> None:
    user.time_zone = "Europe/Paris"
    session.commit()
    client.login(user.email)
    assert (
        client.post("/account/time-zone/detect", data={"time_zone": "Asia/Tokyo"}).status_code
        == 204
    )
    assert zone_of(session, user.email) == "Europe/Paris"


@pytest.mark.parametrize("bad", ["Mars/Olympus", "", "../../etc/passwd", "x" * 500])
def test_a_bad_zone_from_the_browser_is_400_and_changes_nothing(client, session, user, bad):
    client.login(user.email)
    response = client.post("/account/time-zone/detect", data={"time_zone": bad})
    assert response.status_code == 400
    assert "is not a time zone name" in response.get_json()["error"]
    assert zone_of(session, user.email) is None


def test_the_zone_report_needs_csrf_and_a_signed_in_user(client, raw_client, session, user):
    assert raw_client.post("/account/time-zone/detect", data={"time_zone": "UTC"}).status_code in (
        302,
        400,
        401,
    )
    client.login(user.email)
    refused = client.post("/account/time-zone/detect", data={"time_zone": "UTC"}, csrf=False)
    assert refused.status_code == 400
    assert zone_of(session, user.email) is None


def test_the_account_page_changes_the_zone(client, session, user) -> None:
    client.login(user.email)
    page = client.get("/account").get_data(as_text=True)
    assert '<option selected value="UTC">UTC</option>' in page
    assert 'value="America/New_York">America/New York</option>' in page
    done = client.post("/account", data={"time_zone": "America/New_York"})
    assert done.status_code == 303
    assert zone_of(session, user.email) == "America/New_York"
    page = client.get("/account").get_data(as_text=True)
    assert "Times are now shown in America/New_York." in page
    assert '<option selected value="America/New_York">' in page


def test_the_account_page_refuses_an_unknown_zone(client, session, user) -> None:
    user.time_zone = "Europe/Paris"
    session.commit()
    client.login(user.email)
    response = client.post("/account", data={"time_zone": "Europe/Atlantis"})
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert zone_of(session, user.email) == "Europe/Paris"


@pytest.fixture
def teacher(session):
    return UserFactory(email="teach@example.com", role="instructor", time_zone="Europe/Paris")


@pytest.fixture
def cohort(session, teacher):
    seed_bank(session, per_subdomain=2)
    add_template(session, "tiny", item_count=4, minutes=10)
    return cohorts.create_cohort(session, "Evening group", teacher.id)


def test_a_window_is_typed_in_the_instructors_zone_and_stored_in_utc(
    client, session, teacher, cohort
) -> None:
    client.login(teacher.email)
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert "Opens (Europe/Paris)" in page
    # Across the spring change: Paris is UTC+1 on the 28th and UTC+2 on the 30th.
    response = client.post(
        f"/cohorts/{cohort.id}/assignments",
        data={"template": "tiny", "opens_at": "2030-03-30T09:00", "closes_at": "2030-04-01T09:00"},
    )
    assert response.status_code == 303
    assignment = session.scalar(select(Assignment))
    assert assignment.opens_at.replace(tzinfo=UTC) == datetime(2030, 3, 30, 8, 0, tzinfo=UTC)
    assert assignment.closes_at.replace(tzinfo=UTC) == datetime(2030, 4, 1, 7, 0, tzinfo=UTC)
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert "30 Mar 2030, 09:00 CET" in page
    assert "1 Apr 2030, 09:00 CEST" in page


def test_a_window_time_the_clocks_skip_is_an_error_on_its_field(client, session, teacher, cohort):
    client.login(teacher.email)
    response = client.post(
        f"/cohorts/{cohort.id}/assignments",
        data={"template": "tiny", "opens_at": "2030-03-31T02:30", "closes_at": "2030-04-02T09:00"},
    )
    assert response.status_code == 400
    assert "2030-03-31 02:30 does not exist in Europe/Paris" in response.get_data(as_text=True)
    assert session.scalar(select(Assignment)) is None


def test_students_see_the_window_in_their_zone_and_the_api_stays_utc(
    client, session, teacher, cohort
) -> None:
    opens = datetime.now(UTC) + timedelta(days=2)
    opens = opens.replace(hour=23, minute=30, second=0, microsecond=0)
    cohorts.create_assignment(
        session, teacher.id, cohort, "tiny", opens_at=opens, closes_at=opens + timedelta(days=1)
    )
    student = UserFactory(email="kim@example.com", time_zone="Asia/Tokyo")
    MembershipFactory(cohort=cohort, user=student)
    session.commit()
    client.login(student.email)
    html = client.get("/dashboard").get_data(as_text=True)
    tokyo = (opens + timedelta(hours=9)).strftime("%H:%M")
    assert f"{tokyo} JST" in html
    assert f"{(opens + timedelta(hours=9)).day} {(opens + timedelta(hours=9)):%b %Y}" in html
    assert "UTC" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_the_api_keeps_utc_whatever_the_users_zone(client, session, cohort) -> None:
    student = UserFactory(email="kim@example.com", time_zone="Asia/Tokyo")
    session.commit()
    client.login(student.email)
    body = client.post("/api/v1/attempts", json={"template": "tiny"}).get_json()
    for key in ("started_at", "deadline"):
        assert body[key].endswith("Z"), body[key]
        moment = datetime.fromisoformat(body[key].replace("Z", "+00:00"))
        assert abs(moment - datetime.now(UTC)) < timedelta(hours=1)  # not shifted by +9 h
