"""CSRF refusal, role checks and security headers."""

from __future__ import annotations

import pytest

from exam_engine.models import User
from tests.factories import UserFactory


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/login", {"email": "a@example.com", "password": "password-123456"}),
        ("/register", {"email": "n@example.com", "password": "x" * 12, "confirm": "x" * 12}),
        ("/logout", {}),
    ],
)
def test_state_changes_without_csrf_are_refused(raw_client, session, path, data) -> None:
    UserFactory(email="a@example.com")
    response = raw_client.post(path, data=data)
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert session.query(User).count() == 1


def test_wrong_csrf_token_is_refused(raw_client) -> None:
    raw_client.get("/login")
    response = raw_client.post(
        "/login", data={"email": "a@example.com", "password": "p", "csrf_token": "forged"}
    )
    assert response.status_code == 400


def test_json_csrf_refusal_is_json(raw_client) -> None:
    response = raw_client.post("/api/v1/csrf-token", json={})
    assert response.status_code in (400, 405)
    assert response.is_json


ROLE_PAGES = {"/admin": {"admin"}, "/instructor": {"instructor", "admin"}}


@pytest.mark.parametrize("path", sorted(ROLE_PAGES))
def test_anonymous_is_sent_to_login(client, path) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=" + path)


@pytest.mark.parametrize("role", ["candidate", "instructor", "admin"])
@pytest.mark.parametrize("path", sorted(ROLE_PAGES))
def test_role_pages(client, role, path) -> None:
    UserFactory(email=f"{role}@example.com", role=role)
    client.login(f"{role}@example.com")
    expected = 200 if role in ROLE_PAGES[path] else 403
    assert client.get(path).status_code == expected


def test_security_headers_and_cookie_flags(client) -> None:
    UserFactory(email="a@example.com")
    response = client.login("a@example.com")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    page = client.get("/")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_layout_uses_no_external_assets(client) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert "http://" not in html
    assert "https://" not in html
    assert "<script>" not in html


def test_unknown_page_is_a_clean_404(client) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)
