"""Who may reach each authoring route: anonymous -> sign in, candidate -> 403, staff -> ok."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from exam_engine.models import AuditEvent, QuestionVersion, utcnow
from exam_engine.services import authoring
from tests.factories import UserFactory
from tests.integration.test_authoring import clean_item
from tests.web.test_authoring_editor import form_data

KEY = "D2-B-001"
GET_ROUTES = [
    "/authoring/",
    "/authoring/?q=vendor&status=in_review",
    "/authoring/questions/new",
    f"/authoring/questions/{KEY}",
    f"/authoring/questions/{KEY}/edit",
    f"/authoring/questions/{KEY}/diff",
    "/authoring/next-key?subdomain=D2-B",
    "/authoring/transfer",
]
POST_ROUTES = [
    ("/authoring/questions/new", form_data(clean_item(key="D2-B-002", stem="Other? BEST"))),
    (f"/authoring/questions/{KEY}/edit", form_data(difficulty="hard")),
    (f"/authoring/questions/{KEY}/submit", {}),
    (f"/authoring/questions/{KEY}/publish", {}),
    (f"/authoring/questions/{KEY}/return", {"note": "Fix it."}),
    (f"/authoring/questions/{KEY}/retire", {}),
    ("/authoring/lint", None),
    ("/authoring/import", {"fmt": "yaml"}),
]
EXPORT = "/authoring/export/yaml"


@pytest.fixture
def question(session):
    author = UserFactory(role="instructor", email="author@example.com")
    authoring.create_question(session, author.id, clean_item(), now=utcnow())
    authoring.submit_for_review(session, author.id, KEY, now=utcnow())


def unchanged(session) -> bool:
    session.expire_all()
    versions = session.scalars(select(QuestionVersion)).all()
    # By id: without an order PostgreSQL returns rows as they sit in the heap, which after
    # other tests' deletes need not be the order they were written in.
    events = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    return [(v.number, v.status, v.difficulty) for v in versions] == [
        (1, "in_review", "medium")
    ] and events == ["create", "submit"]


def post(client, path, data):
    if data is None:
        return client.post(path, json=form_data())
    return client.post(path, data=data)


@pytest.mark.parametrize("path", [*GET_ROUTES, EXPORT])
def test_anonymous_get_goes_to_sign_in(client, question, path) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


@pytest.mark.parametrize(("path", "data"), POST_ROUTES)
def test_anonymous_post_goes_to_sign_in_and_writes_nothing(
    client, session, question, path, data
) -> None:
    response = post(client, path, data)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    assert unchanged(session)


def test_anonymous_json_lint_is_401_json(client, question) -> None:
    response = client.post(
        "/authoring/lint", json=form_data(), headers={"Accept": "application/json"}
    )
    assert response.status_code == 401
    assert response.is_json


@pytest.mark.parametrize("path", [*GET_ROUTES, EXPORT])
def test_candidate_get_is_forbidden(client, question, path) -> None:
    UserFactory(email="cand@example.com", role="candidate")
    client.login("cand@example.com")
    assert client.get(path).status_code == 403


@pytest.mark.parametrize(("path", "data"), POST_ROUTES)
def test_candidate_post_is_forbidden_and_writes_nothing(
    client, session, question, path, data
) -> None:
    UserFactory(email="cand@example.com", role="candidate")
    client.login("cand@example.com")
    assert post(client, path, data).status_code == 403
    assert unchanged(session)


@pytest.mark.parametrize("role", ["instructor", "admin"])
@pytest.mark.parametrize("path", [*GET_ROUTES, EXPORT])
def test_staff_can_open_every_page(client, question, role, path) -> None:
    UserFactory(email=f"{role}@example.com", role=role)
    client.login(f"{role}@example.com")
    response = client.get(path)
    assert response.status_code == 200
    assert b"Traceback" not in response.get_data()


@pytest.mark.parametrize("role", ["instructor", "admin"])
def test_staff_can_run_the_workflow(client, session, question, role) -> None:
    UserFactory(email=f"{role}@example.com", role=role)
    client.login(f"{role}@example.com")
    assert client.post(f"/authoring/questions/{KEY}/publish").status_code == 303
    assert client.post(f"/authoring/questions/{KEY}/retire").status_code == 303
    assert client.post("/authoring/lint", json=form_data()).status_code == 200


def test_nav_links_to_the_bank_browser_for_staff_only(client, session) -> None:
    UserFactory(email="cand@example.com", role="candidate")
    client.login("cand@example.com")
    assert 'href="/authoring/"' not in client.get("/dashboard").get_data(as_text=True)
