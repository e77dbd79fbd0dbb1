"""Sign-in, registration and sign-out through the real forms."""

from __future__ import annotations

from exam_engine.models import User
from tests.factories import UserFactory
from tests.support import csrf_from_html
from tests.support.smtp import BASE_URL


def test_login_page_has_fields_and_csrf(client) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="email"' in html
    assert 'name="password"' in html
    assert 'name="csrf_token"' in html
    assert csrf_from_html(html)


def test_login_success_and_logout(client) -> None:
    UserFactory(email="cand@example.com")
    response = client.login("cand@example.com")
    assert response.status_code == 302
    assert response.location == "/"
    assert "cand@example.com" in client.get("/dashboard").get_data(as_text=True)
    assert client.post("/logout").status_code == 302
    assert client.get("/").location.startswith("/login")


def test_wrong_password_is_401_with_a_neutral_message(client) -> None:
    UserFactory(email="cand@example.com")
    response = client.login("cand@example.com", "wrong-password")
    assert response.status_code == 401
    assert "Invalid email or password." in response.get_data(as_text=True)
    unknown = client.login("ghost@example.com", "wrong-password")
    assert unknown.status_code == 401
    assert "Invalid email or password." in unknown.get_data(as_text=True)


def test_empty_login_form_is_400(client) -> None:
    assert client.post("/login", data={}).status_code == 400


def test_next_only_follows_local_paths(client) -> None:
    UserFactory(email="cand@example.com")
    response = client.post(
        "/login?next=https://evil.example/steal",
        data={"email": "cand@example.com", "password": "password-123456"},
    )
    assert response.location == "/"


def test_next_local_path_is_followed(client) -> None:
    UserFactory(email="cand@example.com", role="instructor")
    response = client.post(
        "/login?next=/instructor",
        data={"email": "cand@example.com", "password": "password-123456"},
    )
    assert response.location == "/instructor"


def test_register_creates_an_unverified_candidate_and_mails_the_link(
    client, session, inbox
) -> None:
    response = client.post(
        "/register",
        data={
            "name": "New Person",
            "email": "New@Example.com",
            "password": "long-enough-pw",
            "confirm": "long-enough-pw",
        },
    )
    assert response.status_code == 200
    assert "Check your mail" in response.get_data(as_text=True)
    user = session.query(User).filter_by(email="new@example.com").one()
    assert user.role == "candidate"
    assert user.email_verified is False
    assert inbox.only().to == "new@example.com"
    # Not signed in: the address is not proven yet.
    assert client.get("/dashboard").location.startswith("/login")


def test_register_mismatched_passwords_is_400(client, session) -> None:
    response = client.post(
        "/register",
        data={"email": "x@example.com", "password": "long-enough-pw", "confirm": "other-password"},
    )
    assert response.status_code == 400
    assert "Passwords do not match." in response.get_data(as_text=True)
    assert session.query(User).count() == 0


def test_register_escapes_the_name(client, inbox) -> None:
    client.post(
        "/register",
        data={
            "name": "<script>alert(1)</script>",
            "email": "xss@example.com",
            "password": "long-enough-pw",
            "confirm": "long-enough-pw",
        },
    )
    client.get(inbox.only().path(BASE_URL))
    client.login("xss@example.com", "long-enough-pw")
    html = client.get("/dashboard").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_register_refuses_a_weak_password_and_says_why(client, session) -> None:
    for password, reason in (
        ("password12", "Field must be between 12 and 1024 characters long."),
        ("password1234", "too easy to guess. This is a very common password."),
        ("new.person@example.com", "too easy to guess. It contains your email address"),
        ("Nadia Novak 1985", "It contains your email address or your name."),
    ):
        response = client.post(
            "/register",
            data={
                "name": "Nadia Novak",
                "email": "new.person@example.com",
                "password": password,
                "confirm": password,
            },
        )
        assert response.status_code == 400, password
        assert reason in response.get_data(as_text=True)
    assert session.query(User).count() == 0
