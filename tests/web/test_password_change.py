"""Changing one's own password: rules, CSRF, throttling, audit and the end of other sessions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from exam_engine.models import AuditEvent, User
from exam_engine.services.passwords import hash_password, verify_password
from tests.factories import DEFAULT_PASSWORD, UserFactory

EMAIL = "cand@example.com"
NEW = "a-brand-new-passphrase"
URL = "/account/password"


@pytest.fixture
def user(session):
    return UserFactory(email=EMAIL)


@pytest.fixture
def signed_in(client, user):
    assert client.login(EMAIL).status_code == 302
    return client


def change(client, current=DEFAULT_PASSWORD, new=NEW, confirm=None):
    data = {"current_password": current, "new_password": new, "confirm": confirm or new}
    response = client.post(URL, data=data)
    if response.status_code == 303:
        client._token = None  # the session was regenerated, with a new CSRF token
    return response


def stored_hash(session, user) -> str:
    session.expire_all()
    return session.get(User, user.id).password_hash


def test_page_has_the_three_fields_and_a_token(signed_in) -> None:
    page = signed_in.get(URL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name, autocomplete in (
        ("current_password", "current-password"),
        ("new_password", "new-password"),
        ("confirm", "new-password"),
    ):
        assert f'name="{name}"' in html
        assert f'autocomplete="{autocomplete}"' in html
    assert 'name="csrf_token"' in html
    assert "At least 12 characters" in html


def test_the_account_page_links_the_page_for_signed_in_users_only(client, user) -> None:
    assert 'href="/account"' not in client.get("/login").get_data(as_text=True)
    client.login(EMAIL)
    assert 'href="/account">Account</a>' in client.get("/dashboard").get_data(as_text=True)
    assert f'href="{URL}">Change password</a>' in client.get("/account").get_data(as_text=True)


def test_good_path_changes_the_password_flashes_and_keeps_the_user_signed_in(
    signed_in, session, user
) -> None:
    response = change(signed_in)
    assert response.status_code == 303
    assert response.location == "/dashboard"
    assert verify_password(stored_hash(session, user), NEW)
    dashboard = signed_in.get("/dashboard")
    assert dashboard.status_code == 200
    assert "Password changed." in dashboard.get_data(as_text=True)


def test_old_password_stops_working_and_the_new_one_works(signed_in, user) -> None:
    change(signed_in)
    signed_in.post("/logout")
    old = signed_in.login(EMAIL, DEFAULT_PASSWORD)
    assert old.status_code == 401
    new = signed_in.login(EMAIL, NEW)
    assert new.status_code == 302
    assert signed_in.get("/dashboard").status_code == 200


def test_other_sessions_of_the_account_are_signed_out(app, signed_in, user) -> None:
    other = app.test_client()  # a second browser (the auto-CSRF Client class)
    assert other.login(EMAIL).status_code == 302
    assert other.get("/dashboard").status_code == 200
    old_cookie = signed_in.get_cookie("session").value
    change(signed_in)
    assert signed_in.get_cookie("session").value != old_cookie
    assert signed_in.get("/dashboard").status_code == 200
    assert other.get("/dashboard").location.startswith("/login")
    # Replaying the cookie from before the change does not sign anyone in either.
    replay = app.test_client()
    replay.set_cookie("session", old_cookie)
    assert replay.get("/dashboard").location.startswith("/login")


def test_the_change_is_audited_without_the_password(signed_in, session, user) -> None:
    change(signed_in)
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "account.password"))
    event = events.one()
    assert (event.actor_id, event.object_type, event.object_id) == (user.id, "user", str(user.id))
    assert EMAIL in event.summary
    recorded = f"{event.summary} {event.details}"
    assert NEW not in recorded
    assert DEFAULT_PASSWORD not in recorded


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"current": "not-my-password"}, 401, "that is not your current password"),
        ({"new": "short", "confirm": "short"}, 400, "Must be at least 12 characters."),
        ({"new": "password1234"}, 400, "too easy to guess. This is a very common password."),
        ({"new": EMAIL}, 400, "too easy to guess. It is built from your own email or name."),
        ({"confirm": "something-else-entirely"}, 400, "Passwords do not match."),
        ({"new": DEFAULT_PASSWORD}, 400, "must differ from your current password"),
        ({"current": ""}, 400, "This field is required."),
    ],
    ids=[
        "wrong-current",
        "short",
        "common",
        "own-email",
        "mismatch",
        "same-as-current",
        "no-current",
    ],
)
def test_bad_input_is_a_field_error_and_changes_nothing(
    signed_in, session, user, data, status, message
) -> None:
    before = stored_hash(session, user)
    response = change(signed_in, **data)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert message in html
    assert 'class="error"' in html
    assert 'aria-invalid="true"' in html
    assert stored_hash(session, user) == before
    assert (
        session.scalar(select(AuditEvent.id).where(AuditEvent.action == "account.password")) is None
    )


def test_missing_csrf_token_is_400(app, raw_client, session, user) -> None:
    token = raw_client.get("/api/v1/csrf-token").get_json()["csrf_token"]
    raw_client.post(
        "/login",
        data={"email": EMAIL, "password": DEFAULT_PASSWORD},
        headers={"X-CSRFToken": token},
    )
    before = stored_hash(session, user)
    response = raw_client.post(
        URL, data={"current_password": DEFAULT_PASSWORD, "new_password": NEW, "confirm": NEW}
    )
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert stored_hash(session, user) == before


def test_anonymous_users_are_sent_to_sign_in(client, session, user) -> None:
    before = stored_hash(session, user)
    for response in (client.get(URL), change(client)):
        assert response.status_code == 302
        assert response.location.startswith("/login?next=/account/password")
    assert stored_hash(session, user) == before


def test_wrong_current_passwords_lock_the_form_for_that_account(
    app, client, signed_in, session, user
) -> None:
    codes = [change(signed_in, current="wrong-password").status_code for _ in range(5)]
    assert codes == [401] * 5
    blocked = change(signed_in)
    assert blocked.status_code == 429
    assert "Too many wrong current passwords" in blocked.get_data(as_text=True)
    assert verify_password(stored_hash(session, user), DEFAULT_PASSWORD)
    # Another account on the same address is not affected.
    UserFactory(email="other@example.com")
    other = app.test_client()
    assert other.login("other@example.com").status_code == 302
    assert change(other).status_code == 303


def test_rule_failures_do_not_count_toward_the_lock(signed_in, session, user) -> None:
    for _ in range(6):
        assert change(signed_in, new="short", confirm="short").status_code == 400
    assert change(signed_in).status_code == 303
    assert verify_password(stored_hash(session, user), NEW)


def _roster_account(session) -> str:
    """An account still on a one-time password; return that password.

    (Roster uploads no longer make accounts; an operator-made account can still carry one.)
    """
    one_time = "one-time-password-42"
    UserFactory(
        email="fresh@example.com",
        password_hash=hash_password(one_time),
        must_change_password=True,
    )
    return one_time


def test_a_roster_account_must_replace_its_one_time_password_first(client, session) -> None:
    one_time = _roster_account(session)
    signed_in = client.login("fresh@example.com", one_time)
    assert signed_in.status_code == 302
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 302
    assert dashboard.location.endswith(URL)
    page = client.get(URL).get_data(as_text=True)
    assert "one-time password" in page
    assert "Cancel" not in page
    api = client.get("/api/v1/attempts/1")
    assert api.status_code == 403
    assert "/account/password" in api.get_json()["error"]
    assert client.get("/favicon.ico").status_code == 200
    assert change(client, current=one_time).status_code == 303
    assert client.get("/dashboard").status_code == 200
    assert not session.scalar(
        select(User).where(User.email == "fresh@example.com")
    ).must_change_password


def test_accounts_made_otherwise_are_not_sent_to_change_their_password(signed_in) -> None:
    assert signed_in.get("/dashboard").status_code == 200
    assert "Cancel" in signed_in.get(URL).get_data(as_text=True)


def test_a_roster_account_replaces_its_one_time_password(client, session) -> None:
    one_time = _roster_account(session)
    assert client.login("fresh@example.com", one_time).status_code == 302
    assert change(client, current=one_time).status_code == 303
    client.post("/logout")
    assert client.login("fresh@example.com", one_time).status_code == 401
    assert client.login("fresh@example.com", NEW).status_code == 302
