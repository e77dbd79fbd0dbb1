"""Authorization matrix: every cohort route x every role x own / other cohort."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from exam_engine.models import utcnow
from exam_engine.services import attempts, cohorts
from tests.factories import MembershipFactory, UserFactory
from tests.support import add_template, seed_bank

ROLES = ("anonymous", "candidate", "student", "instructor", "other_instructor", "admin")


@dataclass
class Side:
    """One cohort of the world, with the ids its routes need."""

    cohort_id: int
    student_id: int
    attempt_id: int
    assignment_id: int
    spare_assignment_id: int
    code: str


@pytest.fixture
def world(session):
    """Cohort A (taught by instructor@, student@ in it) and cohort B (other@ teaches it)."""
    seed_bank(session, per_subdomain=2)
    add_template(session, "tiny", item_count=4, minutes=10)
    now = utcnow()
    users = {
        "candidate": UserFactory(email="candidate@example.com", name="Casey Outsider"),
        "student": UserFactory(email="student@example.com", name="Sam Student"),
        "instructor": UserFactory(email="instructor@example.com", role="instructor"),
        "other_instructor": UserFactory(email="other@example.com", role="instructor"),
        "admin": UserFactory(email="admin@example.com", role="admin"),
    }
    sides = {}
    for label, teacher, student in (
        ("own", users["instructor"], users["student"]),
        ("other", users["other_instructor"], UserFactory(email="b@example.com", name="Bea B")),
    ):
        cohort = cohorts.create_cohort(session, f"Cohort {label}", teacher.id)
        MembershipFactory(cohort=cohort, user=student, role="student")
        window = {"opens_at": now - timedelta(hours=1), "closes_at": now + timedelta(days=1)}
        used = cohorts.create_assignment(session, teacher.id, cohort, "tiny", **window)
        spare = cohorts.create_assignment(session, teacher.id, cohort, "tiny", **window)
        attempt = cohorts.start_assignment(session, student.id, used.id, now=now, grace_seconds=30)
        attempts.submit_attempt(session, student.id, attempt.id, now=now, grace_seconds=30)
        code = cohorts.new_join_code(session, teacher.id, cohort, now=now, days=7)
        sides[label] = Side(cohort.id, student.id, attempt.id, used.id, spare.id, code)
    return users, sides


def _login(client, role):
    if role != "anonymous":
        response = client.login(f"{'other' if role == 'other_instructor' else role}@example.com")
        assert response.status_code == 302


# (method, path template, form data, status on success)
INSTRUCTOR_ROUTES = [
    ("GET", "/cohorts/{c}", None, 200),
    ("GET", "/cohorts/{c}/scorecard", None, 200),
    ("GET", "/cohorts/{c}/scorecard?sort=D1&dir=desc", None, 200),
    ("GET", "/cohorts/{c}/report", None, 200),
    ("GET", "/cohorts/{c}/scorecard.csv", None, 200),
    ("GET", "/cohorts/{c}/attempts.csv", None, 200),
    ("GET", "/cohorts/{c}/students/{s}", None, 200),
    ("GET", "/cohorts/{c}/attempts/{a}/scorecard", None, 200),
    ("GET", "/cohorts/{c}/attempts/{a}/review", None, 200),
    ("GET", "/cohorts/{c}/attempts/{a}/review?wrong=1", None, 200),
    ("POST", "/cohorts/{c}/join-code", {"days": "7"}, 303),
    ("POST", "/cohorts/{c}/join-code/revoke", {}, 303),
    ("POST", "/cohorts/{c}/roster", {"text": "new@example.com,New"}, 200),
    ("POST", "/cohorts/{c}/students/{s}/remove", {}, 303),
    ("POST", "/cohorts/{c}/students/{s}/time-multiplier", {"multiplier": "1.5"}, 303),
    (
        "POST",
        "/cohorts/{c}/assignments",
        {"template": "tiny", "opens_at": "2030-01-01T09:00", "closes_at": "2030-01-02T09:00"},
        303,
    ),
    ("POST", "/cohorts/{c}/assignments/{x}/delete", {}, 303),
]

TEACHES = {"own": {"instructor", "admin"}, "other": {"other_instructor", "admin"}}


def _path(template, side):
    return template.format(
        c=side.cohort_id, s=side.student_id, a=side.attempt_id, x=side.spare_assignment_id
    )


@pytest.mark.parametrize("target", ["own", "other"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "template", "data", "ok"),
    INSTRUCTOR_ROUTES,
    ids=[r[0] + r[1] for r in INSTRUCTOR_ROUTES],
)
def test_instructor_routes(client, world, role, target, method, template, data, ok) -> None:
    _, sides = world
    _login(client, role)
    path = _path(template, sides[target])
    response = client.get(path) if method == "GET" else client.post(path, data=data)
    if role == "anonymous":
        assert response.status_code == 302
        assert response.location.startswith("/login?next=")
    elif role in ("candidate", "student"):
        assert response.status_code == 403
    elif role in TEACHES[target]:
        assert response.status_code == ok, response.get_data(as_text=True)[:500]
    else:
        assert response.status_code == 404
        # Nothing about the cohort leaks into the refusal.
        assert f"Cohort {target}" not in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_cohort_list_and_create(client, world, role) -> None:
    _login(client, role)
    listing = client.get("/cohorts/")
    created = client.post("/cohorts/", data={"name": "Brand new"})
    if role == "anonymous":
        assert listing.status_code == 302
        assert created.status_code == 302
        return
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert ("Cohort own" in html) == (role in ("student", "instructor", "admin"))
    assert ("Cohort other" in html) == (role in ("other_instructor", "admin"))
    assert created.status_code == (
        303 if role in ("instructor", "other_instructor", "admin") else 403
    )


@pytest.mark.parametrize("target", ["own", "other"])
@pytest.mark.parametrize("role", ROLES)
def test_start_assignment_only_for_its_students(client, world, role, target) -> None:
    _, sides = world
    _login(client, role)
    response = client.post(f"/cohorts/assignments/{sides[target].spare_assignment_id}/start")
    if role == "anonymous":
        assert response.status_code == 302
        assert response.location.startswith("/login")
    elif role == "student" and target == "own":
        assert response.status_code == 303
        assert "/attempts/" in response.location
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_join_page(client, world, role) -> None:
    _, sides = world
    _login(client, role)
    response = client.get(f"/cohorts/join?code={sides['own'].code}")
    if role == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == 200
    assert "Cohort own" in response.get_data(as_text=True)
    joined = client.post("/cohorts/join", data={"code": sides["own"].code})
    if role in ("candidate", "student"):
        assert joined.status_code == 303
    else:
        assert joined.status_code == 409


def test_students_never_see_other_students(client, world) -> None:
    users, sides = world
    MembershipFactory(cohort_id=sides["own"].cohort_id, user=users["candidate"], role="student")
    client.login("student@example.com")
    pages = [
        client.get("/dashboard"),
        client.get("/cohorts/"),
        client.get(f"/cohorts/join?code={sides['own'].code}"),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "Casey Outsider" not in html
        assert "candidate@example.com" not in html
    # Their own result is theirs to see; a classmate's is not.
    assert client.get(f"/attempts/{sides['own'].attempt_id}/scorecard").status_code == 200
    assert client.get(f"/attempts/{sides['other'].attempt_id}/scorecard").status_code == 404


def test_an_attempt_of_another_cohort_is_not_found_under_this_one(client, world) -> None:
    _, sides = world
    client.login("instructor@example.com")
    own, other = sides["own"], sides["other"]
    assert (
        client.get(f"/cohorts/{own.cohort_id}/attempts/{other.attempt_id}/scorecard").status_code
        == 404
    )
    assert client.get(f"/cohorts/{own.cohort_id}/students/{other.student_id}").status_code == 404
    review = f"/cohorts/{own.cohort_id}/attempts/{other.attempt_id}/review"
    assert client.get(review).status_code == 404
    assert (
        client.post(f"/cohorts/{own.cohort_id}/students/{other.student_id}/remove").status_code
        == 404
    )
    assert (
        client.post(
            f"/cohorts/{own.cohort_id}/assignments/{other.spare_assignment_id}/delete"
        ).status_code
        == 404
    )
