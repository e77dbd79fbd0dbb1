"""Server-side sessions: logout, a password change and a deactivation end them for good.

Each test runs against the database store and against Redis (the store a deployment with
``EXAM_ENGINE_REDIS_URL`` uses), since a replayed cookie must fail the same way on both.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from exam_engine.domain.session_expiry import SessionTimeouts
from exam_engine.models import LoginSession, User, utcnow
from exam_engine.services import admin_accounts, login_sessions
from tests.factories import DEFAULT_PASSWORD, UserFactory

EMAIL = "cand@example.com"


@pytest.fixture(params=["database", "redis"])
def store(request, app):
    """The session store under test, put back to the app's own afterwards."""
    if request.param == "database":
        yield login_sessions.current_store()
        return
    url, prefix = request.getfixturevalue("redis_prefix")
    before = login_sessions.current_store()
    redis_store = login_sessions.redis_store(url, prefix)
    login_sessions.configure(redis_store, login_sessions.DEFAULT_TIMEOUTS)
    yield redis_store
    login_sessions.configure(before, login_sessions.DEFAULT_TIMEOUTS)
    redis_store.client.close()


@pytest.fixture
def user(session, client):
    """The account; ``client`` makes every test client send CSRF tokens like a browser."""
    return UserFactory(email=EMAIL)


def signed_in(app):
    """A new browser signed in as the test user; return it and its session cookie."""
    browser = app.test_client()
    assert browser.login(EMAIL).status_code == 302
    return browser, browser.get_cookie("session").value


def replay(app, cookie: str):
    """A browser that never signed in, holding a copied cookie."""
    browser = app.test_client()
    browser.set_cookie("session", cookie)
    return browser


def test_logout_ends_the_session_for_a_replayed_cookie_web_and_api(app, store, user) -> None:
    browser, cookie = signed_in(app)
    assert replay(app, cookie).get("/dashboard").status_code == 200
    assert replay(app, cookie).get("/api/v1/review/due").status_code == 200
    assert browser.post("/logout").status_code == 302
    page = replay(app, cookie).get("/dashboard")
    assert page.status_code == 302
    assert page.location.startswith("/login")
    api = replay(app, cookie).get("/api/v1/review/due")
    assert api.status_code == 401
    assert api.get_json()["error"] == "authentication required"


def test_logout_ends_only_that_browser(app, store, user) -> None:
    first, _ = signed_in(app)
    second, _ = signed_in(app)
    first.post("/logout")
    assert second.get("/dashboard").status_code == 200


def test_password_change_ends_other_sessions_and_keeps_this_browser(app, store, user) -> None:
    browser, before = signed_in(app)
    other, other_cookie = signed_in(app)
    data = {
        "current_password": DEFAULT_PASSWORD,
        "new_password": "a-brand-new-passphrase",
        "confirm": "a-brand-new-passphrase",
    }
    assert browser.post("/account/password", data=data).status_code == 303
    assert browser.get("/dashboard").status_code == 200
    for stale in (before, other_cookie):
        assert replay(app, stale).get("/dashboard").location.startswith("/login")
        assert replay(app, stale).get("/api/v1/review/due").status_code == 401
    assert other.get("/dashboard").status_code == 302


def test_deactivation_ends_sessions(app, store, session, user) -> None:
    _, cookie = signed_in(app)
    admin = UserFactory(email="admin@example.com", role="admin")
    admin_accounts.set_active(session, admin.id, user.id, active=False)
    assert replay(app, cookie).get("/dashboard").location.startswith("/login")
    admin_accounts.set_active(session, admin.id, user.id, active=True)
    assert replay(app, cookie).get("/dashboard").location.startswith("/login")


def test_an_inactive_user_is_refused_even_with_a_session_left_behind(app, store, session, user):
    _, cookie = signed_in(app)
    # Deactivated behind the services' back (a database console): the loader still refuses.
    session.get(User, user.id).is_active = False
    session.commit()
    assert replay(app, cookie).get("/api/v1/review/due").status_code == 401


def test_sessions_expire_when_idle_and_after_the_absolute_limit(app, store, session, user):
    timeouts = SessionTimeouts(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
    key = login_sessions.start_session(session, user.id)
    start = login_sessions.load_user(session, key) and _stored(store, session, key).created_at
    assert start is not None
    assert login_sessions.load_user(session, key, start + timedelta(minutes=29)).id == user.id
    # That use moved the idle clock: 29 more minutes are still fine, then 31 idle are not.
    assert login_sessions.load_user(session, key, start + timedelta(minutes=58)).id == user.id
    assert login_sessions.load_user(session, key, start + timedelta(minutes=89)) is None
    assert _stored(store, session, key) is None  # an expired session is deleted when seen

    # Used every 20 minutes, a session still ends at the absolute limit.
    key = login_sessions.start_session(session, user.id)
    start = _stored(store, session, key).created_at
    moment = start
    while moment + timedelta(minutes=20) < start + timeouts.absolute:
        moment += timedelta(minutes=20)
        assert login_sessions.load_user(session, key, moment) is not None
    assert login_sessions.load_user(session, key, start + timeouts.absolute) is None


def test_the_cookie_holds_a_random_key_and_the_store_only_its_digest(app, store, session, user):
    browser, _ = signed_in(app)
    with browser.session_transaction() as cookie:
        key = cookie["_user_id"]
    assert len(key) >= 40
    assert str(user.id) != key.partition(".")[0]
    assert login_sessions.load_user(session, key).id == user.id
    assert login_sessions.load_user(session, key + "x") is None
    assert login_sessions.load_user(session, "") is None
    if isinstance(store, login_sessions.DatabaseStore):
        stored = session.scalars(select(LoginSession.key_hash)).all()
        assert len(stored) == 1
        assert key not in stored
    else:
        stored = list(store.client.scan_iter(f"{store.prefix}login-session:*"))
        assert len(stored) == 1
        assert key.encode() not in stored[0]
        # Redis drops an unused session by itself once the idle timeout has passed.
        assert 0 < store.client.ttl(stored[0]) <= 30 * 60 + 1  # expiry rounds up a second


def test_end_sessions_ends_all_or_all_but_one(app, store, session, user) -> None:
    other = UserFactory(email="other@example.com")
    keys = [login_sessions.start_session(session, user.id) for _ in range(3)]
    theirs = login_sessions.start_session(session, other.id)
    assert login_sessions.end_sessions(session, user.id, keep=keys[0]) == 2
    assert [login_sessions.load_user(session, key) is not None for key in keys] == [
        True,
        False,
        False,
    ]
    assert login_sessions.end_sessions(session, user.id) == 1
    assert login_sessions.load_user(session, keys[0]) is None
    assert login_sessions.load_user(session, theirs).id == other.id
    assert login_sessions.end_sessions(session, user.id) == 0


def test_ending_a_session_twice_is_harmless(app, store, session, user) -> None:
    key = login_sessions.start_session(session, user.id)
    login_sessions.end_session(session, key)
    login_sessions.end_session(session, key)
    assert login_sessions.load_user(session, key) is None


def _stored(store, session, key):
    return store.get(session, login_sessions._digest(key))


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "SESSION_IDLE_MINUTES",
            "soon",
            "EXAM_ENGINE_SESSION_IDLE_MINUTES: 'soon' is not a number",
        ),
        ("SESSION_ABSOLUTE_HOURS", 0, "EXAM_ENGINE_SESSION_ABSOLUTE_HOURS: must be at least 1"),
        ("LOGIN_MAX_DELAY_SECONDS", None, "EXAM_ENGINE_LOGIN_MAX_DELAY_SECONDS: None is not a"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_it_and_changes_nothing(app, name, value, message):
    from flask import Flask

    from exam_engine.config import DEFAULTS
    from exam_engine.services import sign_in_throttle
    from exam_engine.web import sign_in

    before = (login_sessions.current_store(), sign_in_throttle.current_counters())
    bare = Flask("bad-settings")
    bare.config.update(DEFAULTS)
    bare.config[name] = value
    with pytest.raises(ValueError, match=message):
        sign_in.init_app(bare)
    assert (login_sessions.current_store(), sign_in_throttle.current_counters()) == before


def test_a_late_touch_does_not_bring_an_ended_session_back(app, store, session, user) -> None:
    """A request that loaded the session just before a logout must not recreate it."""
    key = login_sessions.start_session(session, user.id)
    login_sessions.end_session(session, key)
    now = utcnow()
    store.touch(session, login_sessions._digest(key), now, now + timedelta(minutes=30))
    session.commit()
    assert _stored(store, session, key) is None
    assert login_sessions.load_user(session, key, now) is None
