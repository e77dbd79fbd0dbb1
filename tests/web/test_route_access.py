"""Access rules generated from the URL map, so a new route is covered the day it is added.

Anonymous users reach only the public endpoints; candidates never reach instructor areas;
objects that are not the caller's are 404. Finer per-area matrices live beside each area
(tests/web/test_cohorts_access.py, test_authoring_access.py).
"""

from __future__ import annotations

import re

import pytest

from tests.factories import UserFactory

PUBLIC = {
    "auth.login",
    "auth.register",
    "health.healthz",
    "api.csrf_token",
    "api.openapi",
    "static",
    "assets.serve",
    "main.favicon",
    # Mailed links and the form that asks for one: a token that is not one gets 400.
    "auth.reset_request",
    "auth.reset_password",
    "auth.verify_email",
    # Prometheus scrapes with its own bearer token (404 unless one is set; tested beside it).
    "observability.metrics",
}
INSTRUCTOR_AREAS = ("authoring.", "stats.")


def get_routes(app) -> list[tuple[str, str]]:
    """(endpoint, concrete path) for every GET rule, parameters filled with 1."""
    routes = []
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or set()):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", "1", rule.rule)
            routes.append((rule.endpoint, path))
    return sorted(routes)


def test_anonymous_reaches_only_public_endpoints(app, client) -> None:
    leaks = []
    for endpoint, path in get_routes(app):
        if endpoint in PUBLIC or endpoint == "main.index":
            continue
        response = client.get(path)
        refused = (response.status_code == 302 and "/login" in response.location) or (
            response.status_code == 401
        )
        if not refused:
            leaks.append(f"{path} ({endpoint}) -> {response.status_code}")
    assert leaks == []


def test_unverified_accounts_reach_only_the_verification_pages(app, client) -> None:
    from exam_engine.web.auth.account_mail import ALLOWED_BEFORE_VERIFICATION

    UserFactory(email="unverified@example.com", email_verified=False)
    client.login("unverified@example.com")
    reached = []
    for endpoint, path in get_routes(app):
        if endpoint in ALLOWED_BEFORE_VERIFICATION:
            continue
        response = client.get(path)
        held = (response.status_code == 302 and response.location == "/account/verify") or (
            response.status_code == 403 and path.startswith("/api/")
        )
        if not held:
            reached.append(f"{path} ({endpoint}) -> {response.status_code}")
    assert reached == []
    assert client.get("/account/verify").status_code == 200


def test_index_sends_anonymous_users_to_login(client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.location.startswith("/login")


@pytest.mark.parametrize("role", ["candidate"])
def test_candidates_never_reach_instructor_areas(app, client, role) -> None:
    UserFactory(email="cand@example.com", role=role)
    client.login("cand@example.com")
    reached = []
    for endpoint, path in get_routes(app):
        if endpoint.startswith(INSTRUCTOR_AREAS):
            status = client.get(path).status_code
            if status not in (403, 404):
                reached.append(f"{path} ({endpoint}) -> {status}")
    assert reached == []


@pytest.mark.parametrize("role", ["instructor", "admin"])
def test_instructor_area_home_pages_open_for_staff(client, role) -> None:
    UserFactory(email=f"{role}@example.com", role=role)
    client.login(f"{role}@example.com")
    for path in ("/authoring/", "/item-analysis/", "/cohorts/"):
        assert client.get(path).status_code == 200, path


def test_other_users_attempt_pages_are_404_for_every_role(app, client, session) -> None:
    from exam_engine.models import utcnow
    from exam_engine.services import attempts
    from tests.support import seed_bank

    seed_bank(session, per_subdomain=4)
    owner = UserFactory(email="owner@example.com")
    attempt = attempts.start_attempt(session, owner.id, "quiz-20", now=utcnow())
    attempts.submit_attempt(session, owner.id, attempt.id, now=utcnow(), grace_seconds=30)
    paths = [
        path.replace("/1", f"/{attempt.id}", 1)
        for endpoint, path in get_routes(app)
        if path.startswith("/attempts/1") or path.startswith("/api/v1/attempts/1")
    ]
    assert len(paths) >= 5
    for role in ("candidate", "instructor", "admin"):
        UserFactory(email=f"other-{role}@example.com", role=role)
        client.post("/logout")
        client.login(f"other-{role}@example.com")
        for path in paths:
            assert client.get(path).status_code == 404, (role, path)


# Explicit rows for the account routes (admin, my data, invitations): every method, every role.
# (method, path, form data, {role: status}); "login" means a redirect to the sign-in page.
STAFF_ONLY = {"candidate": 403, "instructor": 403, "admin": 303}
ACCOUNT_ROUTES = [
    ("GET", "/admin", None, {"candidate": 403, "instructor": 403, "admin": 200}),
    ("GET", "/admin?q=target&page=1", None, {"candidate": 403, "instructor": 403, "admin": 200}),
    ("POST", "/admin/users/{target}/role", {"role": "instructor"}, STAFF_ONLY),
    ("POST", "/admin/users/{target}/deactivate", {}, STAFF_ONLY),
    ("POST", "/admin/users/{target}/reactivate", {}, STAFF_ONLY),
    ("POST", "/admin/users/{target}/time-multiplier", {"multiplier": "2"}, STAFF_ONLY),
    ("GET", "/account/data", None, {"candidate": 200, "instructor": 200, "admin": 200}),
    ("GET", "/account/data.json", None, {"candidate": 200, "instructor": 200, "admin": 200}),
    # An empty form: reaching the view is what is checked here, not deleting anyone.
    ("POST", "/account/delete", {}, {"candidate": 400, "instructor": 400, "admin": 400}),
    # The invitation is made out to the candidate: for anyone else it does not exist.
    (
        "POST",
        "/cohorts/invitations/{invitation}/accept",
        {},
        {"candidate": 303, "instructor": 404, "admin": 404},
    ),
    (
        "POST",
        "/cohorts/invitations/{invitation}/decline",
        {},
        {"candidate": 303, "instructor": 404, "admin": 404},
    ),
]


@pytest.mark.parametrize("role", ["anonymous", "candidate", "instructor", "admin"])
@pytest.mark.parametrize(
    ("method", "template", "data", "expected"),
    ACCOUNT_ROUTES,
    ids=[f"{r[0]} {r[1]}" for r in ACCOUNT_ROUTES],
)
def test_account_routes(client, session, role, method, template, data, expected) -> None:
    from sqlalchemy import select

    from exam_engine.models import CohortInvitation, utcnow
    from exam_engine.services import cohorts

    for name in ("candidate", "instructor", "admin"):
        UserFactory(email=f"{name}@example.com", role=name)
    target = UserFactory(email="target@example.com")
    teacher = UserFactory(email="teacher@example.com", role="instructor")
    cohort = cohorts.create_cohort(session, "Invited group", teacher.id)
    cohorts.upload_roster(session, teacher.id, cohort, "candidate@example.com", now=utcnow())
    invitation = session.scalar(select(CohortInvitation.id))
    path = template.format(target=target.id, invitation=invitation)
    if role != "anonymous":
        assert client.login(f"{role}@example.com").status_code == 302
    response = client.get(path) if method == "GET" else client.post(path, data=data)
    if role == "anonymous":
        assert response.status_code == 302
        assert response.location.startswith("/login")
    else:
        assert response.status_code == expected[role], response.get_data(as_text=True)[:300]
