"""Registration, verification and password reset end to end, over SMTP to a real server.

The app mails through aiosmtpd on loopback (tests/conftest.py); each test reads what arrived
there and follows the links as a person would.
"""

from __future__ import annotations

import re
import threading
import time

import pytest

from exam_engine.models import AuditEvent, User
from exam_engine.services.account_links import RESET, VERIFY, Links
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.support import TEST_SECRET
from tests.support.smtp import BASE_URL

NEW_PASSWORD = "a-brand-new-password"


def register(client, email: str, password: str = "long-enough-pw", name: str = ""):
    """Post the registration form."""
    return client.post(
        "/register",
        data={"name": name, "email": email, "password": password, "confirm": password},
    )


def comparable(response, *emails: str) -> tuple[int, str]:
    """Status and page with the per-session CSRF token and the given addresses blanked."""
    html = re.sub(r'(name="csrf[-_]token"[^>]*?(?:content|value)=")[^"]+', r"\1", response.text)
    for email in emails:
        html = html.replace(email, "EMAIL")
    return response.status_code, html


def token_made_at(session, purpose: str, email: str, seconds_ago: float) -> str:
    """A genuine link token for ``email`` as if mailed ``seconds_ago``."""
    user = session.query(User).filter_by(email=email).one()
    links = Links(secret=TEST_SECRET, now=time.time() - seconds_ago, page=lambda *_: "")
    return links.token(purpose, user)


def stored(session, email: str) -> User:
    """The user as stored now (the session's cache expired first)."""
    session.expire_all()
    return session.query(User).filter_by(email=email).one()


# Registration and verification


def test_register_mail_link_verified_then_sign_in(client, session, inbox) -> None:
    response = register(client, "new@example.com", name="New Person")
    assert response.status_code == 200
    assert "We sent a message to <strong>new@example.com</strong>" in response.text
    assert stored(session, "new@example.com").email_verified is False

    mail = inbox.only()
    assert mail.to == "new@example.com"
    assert mail.sender == "no-reply@localhost"
    assert "Confirm your email" in mail.subject
    path = mail.path(BASE_URL)
    assert path.startswith("/account/verify/")

    followed = client.get(path)
    assert followed.status_code == 302
    assert followed.location == "/login"
    assert stored(session, "new@example.com").email_verified is True
    assert session.query(AuditEvent).filter_by(action="account.verified").count() == 1

    assert client.login("new@example.com", "long-enough-pw").location == "/"
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200
    assert "New Person" in dashboard.text


def test_unverified_account_signs_in_only_to_the_verification_page(client, inbox) -> None:
    register(client, "new@example.com")
    assert client.login("new@example.com", "long-enough-pw").status_code == 302
    for path in ("/", "/dashboard", "/account/password", "/study/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.location == "/account/verify", path
    page = client.get("/account/verify")
    assert page.status_code == 200
    assert "Confirm your email address" in page.text
    assert "new@example.com" in page.text
    api = client.get("/api/v1/review/due")
    assert api.status_code == 403
    assert "verify your email address first" in api.get_json()["error"]

    # Following the link while signed in lets the same session in.
    followed = client.get(inbox.only().path(BASE_URL))
    assert followed.location == "/"
    assert client.get("/dashboard").status_code == 200
    assert client.get("/account/verify").location == "/"


def test_verification_link_works_once(client, inbox) -> None:
    register(client, "new@example.com")
    path = inbox.only().path(BASE_URL)
    assert client.get(path).status_code == 302
    again = client.get(path)
    assert again.status_code == 410
    assert "already used" in again.text


def test_expired_verification_link_is_refused(client, session, inbox) -> None:
    register(client, "new@example.com")
    token = token_made_at(session, VERIFY, "new@example.com", 48 * 3600 + 5)
    response = client.get(f"/account/verify/{token}")
    assert response.status_code == 410
    assert "expired" in response.text
    assert stored(session, "new@example.com").email_verified is False


def test_forged_cut_or_wrong_kind_of_link_is_400(client, session, inbox) -> None:
    register(client, "new@example.com")
    path = inbox.only().path(BASE_URL)
    assert client.get(path[:-4]).status_code == 400
    assert client.get("/account/verify/not-a-token").status_code == 400
    # A reset token is signed for another purpose: no use as a verification link.
    reset = token_made_at(session, RESET, "new@example.com", 0)
    refused = client.get(f"/account/verify/{reset}")
    assert refused.status_code == 400
    assert "not valid" in refused.text
    assert stored(session, "new@example.com").email_verified is False


def test_register_answers_the_same_for_known_and_unknown_addresses(client, session, inbox):
    UserFactory(email="known@example.com")
    unknown = register(client, "unknown@example.com")
    known = register(client, "KNOWN@example.com")
    assert comparable(known, "KNOWN@example.com") == comparable(unknown, "unknown@example.com")
    assert session.query(User).filter_by(email="known@example.com").count() == 1

    # The owner hears of it, with a way back in; their password is unchanged.
    notice = inbox.only("known@example.com")
    assert "Registration attempt" in notice.subject
    assert "already has an account" in notice.body
    assert notice.path(BASE_URL).startswith("/account/reset/")
    assert client.login("known@example.com", DEFAULT_PASSWORD).location == "/"


def test_register_form_errors_are_the_same_for_known_and_unknown(client, session, inbox):
    UserFactory(email="known@example.com")
    short = {"password": "short", "confirm": "short"}
    known = client.post("/register", data={"email": "known@example.com", **short})
    unknown = client.post("/register", data={"email": "unknown@example.com", **short})
    assert known.status_code == unknown.status_code == 400
    assert comparable(known, "known@example.com") == comparable(unknown, "unknown@example.com")
    assert inbox.messages == []


def test_pre_registered_address_is_taken_back_by_its_owner(client, app, session, inbox):
    """Account pre-hijack: someone registers a student's address before the student does."""
    register(client, "student@example.com", password="quartz-lantern-orbit-71")
    inbox.clear()
    owner = app.test_client()
    register(owner, "student@example.com", password="violet-harbor-compass-58")
    notice = inbox.only()
    reset_page = owner.get(notice.path(BASE_URL))
    assert reset_page.status_code == 200
    owner.post(
        notice.path(BASE_URL),
        data={
            "csrf_token": csrf_of(reset_page.text),
            "new_password": "violet-harbor-compass-58",
            "confirm": "violet-harbor-compass-58",
        },
    )
    user = stored(session, "student@example.com")
    assert user.email_verified is True
    assert client.login("student@example.com", "quartz-lantern-orbit-71").status_code == 401
    assert (
        owner.post(
            "/login",
            data={"email": "student@example.com", "password": "violet-harbor-compass-58"},
            headers={"X-CSRFToken": owner.get("/api/v1/csrf-token").get_json()["csrf_token"]},
        ).location
        == "/"
    )


def csrf_of(html: str) -> str:
    """The form's csrf_token value in a page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no csrf_token field"
    return match.group(1)


def test_resend_mails_a_new_link_and_is_throttled(client, inbox) -> None:
    register(client, "new@example.com")
    client.login("new@example.com", "long-enough-pw")
    codes = [client.post("/account/verify/resend").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert len(inbox.messages) == 1 + 3
    # The newest link works.
    assert client.get(inbox.messages[-1].path(BASE_URL)).location == "/"


def test_resend_for_a_verified_account_is_409(client, inbox) -> None:
    UserFactory(email="done@example.com")
    client.login("done@example.com")
    response = client.post("/account/verify/resend")
    assert response.status_code == 409
    assert "already verified" in response.text
    assert inbox.messages == []


def test_registration_is_throttled_per_address_whether_known_or_not(app, client, inbox):
    UserFactory(email="known@example.com")
    known = [register(client, "known@example.com").status_code for _ in range(4)]
    unknown = [register(client, f"{c}nknown@example.com".lower()).status_code for c in "uUUU"]
    assert known == [200, 200, 200, 429]
    assert unknown == [200, 200, 200, 429]
    assert "Too many mails" in register(client, "Known@Example.com").text


def test_registration_is_throttled_per_client(app, client, inbox) -> None:
    app.config["ACCOUNT_MAIL_CLIENT_LIMIT"] = "2 per hour"
    try:
        codes = [register(client, f"n{i}@example.com").status_code for i in range(3)]
    finally:
        app.config["ACCOUNT_MAIL_CLIENT_LIMIT"] = "20 per hour"
    assert codes == [200, 200, 429]


# Password reset


def signed_in_client(app, email: str):
    """Another browser, signed in as ``email``."""
    from tests.support import Client

    app.test_client_class = Client
    other = app.test_client()
    assert other.login(email).location == "/"
    return other


def test_reset_end_to_end_ends_every_session(app, client, session, inbox) -> None:
    UserFactory(email="cand@example.com")
    laptop = signed_in_client(app, "cand@example.com")
    phone = signed_in_client(app, "cand@example.com")
    assert laptop.get("/dashboard").status_code == 200

    asked = client.post("/account/reset", data={"email": "Cand@Example.com"})
    assert asked.status_code == 200
    mail = inbox.only()
    assert mail.to == "cand@example.com"
    assert "60 minutes" in mail.body
    path = mail.path(BASE_URL)
    form = client.get(path)
    assert form.status_code == 200
    assert "Choose a new password" in form.text
    assert 'name="current_password"' not in form.text

    done = client.post(path, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303
    assert done.location == "/login"
    for browser in (laptop, phone):
        assert browser.get("/dashboard").location.startswith("/login")
    client._token = None  # the reset cleared this browser's session, CSRF token included
    assert client.login("cand@example.com", DEFAULT_PASSWORD).status_code == 401
    assert client.login("cand@example.com", NEW_PASSWORD).location == "/"
    events = session.query(AuditEvent).filter_by(action="account.password").all()
    assert [e.summary for e in events] == ["cand@example.com reset their password by a mailed link"]

    # The link is used up: neither the form nor a second post works.
    assert client.get(path).status_code == 410
    another = {"new_password": "yet-another-one", "confirm": "yet-another-one"}
    again = client.post(path, data=another)
    assert again.status_code == 410
    assert "already used" in again.text
    assert client.login("cand@example.com", NEW_PASSWORD).status_code in (302, 303)


def test_reset_answers_the_same_for_known_and_unknown_addresses(client, inbox) -> None:
    UserFactory(email="known@example.com")
    known = client.post("/account/reset", data={"email": "known@example.com"})
    unknown = client.post("/account/reset", data={"email": "nobody@example.com"})
    assert comparable(known, "known@example.com") == comparable(unknown, "nobody@example.com")
    assert known.status_code == 200
    # One mail each: a link to the owner, a "no account here" note to the other address.
    assert inbox.only("known@example.com").path(BASE_URL).startswith("/account/reset/")
    note = inbox.only("nobody@example.com")
    assert "no account uses it" in note.body
    assert note.links() == [f"{BASE_URL}/register"]


def test_expired_reset_link_is_refused(client, session, inbox) -> None:
    UserFactory(email="cand@example.com")
    token = token_made_at(session, RESET, "cand@example.com", 3600 + 5)
    page = client.get(f"/account/reset/{token}")
    assert page.status_code == 410
    assert "expired" in page.text
    posted = client.post(
        f"/account/reset/{token}", data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert posted.status_code == 410
    assert client.login("cand@example.com", NEW_PASSWORD).status_code == 401


def test_a_link_just_inside_the_hour_works(client, session, inbox) -> None:
    UserFactory(email="cand@example.com")
    token = token_made_at(session, RESET, "cand@example.com", 3600 - 60)
    assert client.get(f"/account/reset/{token}").status_code == 200


def test_reset_with_a_weak_or_mismatched_password_changes_nothing(client, session, inbox):
    UserFactory(email="cand@example.com")
    client.post("/account/reset", data={"email": "cand@example.com"})
    path = inbox.only().path(BASE_URL)
    weak = client.post(path, data={"new_password": "short", "confirm": "short"})
    assert weak.status_code == 400
    assert "at least 12 characters" in weak.text
    mismatch = client.post(path, data={"new_password": NEW_PASSWORD, "confirm": "other-one-x"})
    assert mismatch.status_code == 400
    assert "Passwords do not match." in mismatch.text
    assert client.login("cand@example.com", DEFAULT_PASSWORD).location == "/"
    # Still unused, so it still works.
    client.post("/logout")
    assert client.get(path).status_code == 200


def test_reset_request_with_a_malformed_address_is_400_and_mails_nothing(client, inbox):
    for data in ({"email": "not-an-address"}, {}):
        response = client.post("/account/reset", data=data)
        assert response.status_code == 400
    assert inbox.messages == []


def test_a_newer_reset_link_or_a_password_change_kills_older_links(client, inbox) -> None:
    UserFactory(email="cand@example.com")
    client.post("/account/reset", data={"email": "cand@example.com"})
    first = inbox.only().path(BASE_URL)
    client.login("cand@example.com")
    changed = client.post(
        "/account/password",
        data={
            "current_password": DEFAULT_PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 303
    assert client.get(first).status_code == 410


def test_reset_of_a_closed_account_mails_no_link(client, session, inbox) -> None:
    UserFactory(email="gone@example.com", is_active=False)
    response = client.post("/account/reset", data={"email": "gone@example.com"})
    assert response.status_code == 200
    note = inbox.only()
    assert "closed" in note.body
    assert note.links() == []


def test_reset_is_throttled_per_address(client, inbox) -> None:
    codes = [
        client.post("/account/reset", data={"email": "x@example.com"}).status_code for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    assert len(inbox.messages) == 3


@pytest.mark.parametrize("path", ["/account/reset/", "/account/verify/"])
def test_links_need_a_token(client, path) -> None:
    assert client.get(path + "x").status_code == 400


def test_one_reset_link_followed_twice_at_once_is_used_once(app, client, session, inbox):
    UserFactory(email="cand@example.com")
    client.post("/account/reset", data={"email": "cand@example.com"})
    path = inbox.only().path(BASE_URL)
    browsers = [signed_in_client(app, "cand@example.com") for _ in range(2)]
    for browser in browsers:
        browser.csrf_token()
    barrier = threading.Barrier(len(browsers))
    statuses: list[int] = []

    def follow(browser, password: str) -> None:
        barrier.wait()
        response = browser.post(path, data={"new_password": password, "confirm": password})
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=follow, args=(browser, f"{NEW_PASSWORD}-{n}"))
        for n, browser in enumerate(browsers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # Exactly one request sets a password; the other finds the link used (410) or, on
    # SQLite, the database busy with the winner (503); which one wins is up to timing.
    assert sorted(statuses)[0] == 303
    assert sorted(statuses)[1] in (410, 503)
    assert session.query(AuditEvent).filter_by(action="account.password").count() == 1
