"""Sign-in throttling: failures slow the next try per email, per address and per both.

A growing delay (429 with Retry-After), never a lock someone else can put on an account:
guesses from elsewhere cost the owner nothing on a new address and a bounded wait after a
typo of their own. Counted in memory or in Redis (shared by every worker and host).
"""

from __future__ import annotations

import re
import time

import pytest

from exam_engine.domain.backoff import Backoff, SignInPolicy
from exam_engine.services import sign_in_throttle
from tests.factories import DEFAULT_PASSWORD, UserFactory

SLOWED = "Too many failed sign-in attempts for this email from your network."
HOME, ELSEWHERE, CAFE = "192.0.2.10", "198.51.100.7", "203.0.113.5"
DEFAULT = SignInPolicy(
    pair=Backoff(free=5, base_seconds=1, cap_seconds=900),
    email=Backoff(free=5, base_seconds=1, cap_seconds=60),
    address=Backoff(free=50, base_seconds=1, cap_seconds=900),
)
# The same shape with 30-second steps, so no wait runs out while a slow machine serves a test.
SLOW = SignInPolicy(
    pair=Backoff(free=5, base_seconds=30, cap_seconds=900),
    email=Backoff(free=5, base_seconds=30, cap_seconds=60),
    address=Backoff(free=50, base_seconds=30, cap_seconds=900),
)


@pytest.fixture(params=["memory", "redis"])
def counters(request, app):
    """Failure counters of the given kind with the default policy; the app's put back after."""
    before = sign_in_throttle.current_counters()
    if request.param == "memory":
        fresh = sign_in_throttle.MemoryCounters()
    else:
        url, prefix = request.getfixturevalue("redis_prefix")
        fresh = sign_in_throttle.redis_counters(url, prefix)
    sign_in_throttle.configure(fresh, SLOW, 3600)
    yield fresh
    sign_in_throttle.configure(before, DEFAULT, 3600)


def sign_in(client, email: str, password: str, address: str):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def fail(client, email: str, times: int, address: str = HOME) -> list[int]:
    return [sign_in(client, email, "wrong-password", address).status_code for _ in range(times)]


def test_five_free_failures_then_429_with_retry_after(client, counters) -> None:
    UserFactory(email="victim@example.com")
    assert fail(client, "victim@example.com", 5) == [401] * 5
    blocked = sign_in(client, "victim@example.com", DEFAULT_PASSWORD, HOME)
    assert blocked.status_code == 429
    wait = int(blocked.headers["Retry-After"])
    assert 0 < wait <= 30
    assert SLOWED in blocked.get_data(as_text=True)
    assert f"Try again in {wait} second" in blocked.get_data(as_text=True)


def test_the_delay_doubles_with_each_failure_up_to_the_cap(counters) -> None:
    sign_in_throttle.configure(counters, DEFAULT, 3600)
    now = time.time()
    waits = []
    for _ in range(16):
        sign_in_throttle.record_failure("v@example.com", HOME, now)
        waits.append(sign_in_throttle.seconds_to_wait("v@example.com", HOME, now))
    assert waits == [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    # The wait runs down with the clock, and at its end the next try is allowed.
    assert sign_in_throttle.seconds_to_wait("v@example.com", HOME, now + 899.5) == 1
    assert sign_in_throttle.seconds_to_wait("v@example.com", HOME, now + 900) == 0


def test_waiting_out_the_delay_lets_the_right_password_in(client, counters) -> None:
    UserFactory(email="patient@example.com")
    for _ in range(6):
        sign_in_throttle.record_failure("patient@example.com", HOME, time.time() - 600)
    assert sign_in(client, "patient@example.com", DEFAULT_PASSWORD, HOME).status_code == 302


def test_others_failures_do_not_block_the_owner_on_a_new_address(client, counters) -> None:
    UserFactory(email="owner@example.com")
    codes = [code for n in range(8) for code in fail(client, "owner@example.com", 5, f"10.0.0.{n}")]
    # Five free guesses, then one per new address: each address that failed waits after.
    assert codes.count(401) == 5 + 7
    assert codes.count(429) == 40 - 12
    assert sign_in(client, "owner@example.com", DEFAULT_PASSWORD, CAFE).status_code == 302


def test_after_a_typo_of_their_own_the_owner_waits_at_most_the_email_cap(
    app, client, counters
) -> None:
    UserFactory(email="owner@example.com")
    for n in range(8):
        fail(client, "owner@example.com", 5, address=f"10.0.0.{n}")
    assert fail(client, "owner@example.com", 1, address=CAFE) == [401]
    slowed = sign_in(client, "owner@example.com", DEFAULT_PASSWORD, CAFE)
    assert slowed.status_code == 429
    assert 0 < int(slowed.headers["Retry-After"]) <= 60
    # Sixty seconds later (the email's cap, however many guesses came) the owner is in.
    later = time.time() + 61
    assert sign_in_throttle.seconds_to_wait("owner@example.com", CAFE, later) == 0


def test_the_answer_is_the_same_for_unknown_emails(client, counters) -> None:
    UserFactory(email="real@example.com")
    assert fail(client, "real@example.com", 1) == fail(client, "ghost@example.com", 1) == [401]
    now = time.time()  # the same moment for both, so the same wait is due
    for email in ("real@example.com", "ghost@example.com"):
        for _ in range(4):
            sign_in_throttle.record_failure(email, HOME, now)
    real = sign_in(client, "real@example.com", "wrong-password", HOME)
    ghost = sign_in(client, "ghost@example.com", "wrong-password", HOME)
    assert real.status_code == ghost.status_code == 429
    # The same wait, give or take the second that may tick between the two requests.
    assert abs(int(real.headers["Retry-After"]) - int(ghost.headers["Retry-After"])) <= 1

    def page(response, email: str) -> str:
        html = response.get_data(as_text=True).replace(email, "EMAIL")
        return re.sub(r"in \d+ seconds?", "in N seconds", html)

    assert page(real, "real@example.com") == page(ghost, "ghost@example.com")


def test_a_blocked_try_is_not_checked_and_not_counted(client, session, counters) -> None:
    UserFactory(email="victim@example.com")
    fail(client, "victim@example.com", 5)
    for _ in range(5):
        assert sign_in(client, "victim@example.com", "wrong", HOME).status_code == 429
    # Still five failures: the wait is still the first step's, not a longer one.
    assert sign_in_throttle.seconds_to_wait("victim@example.com", HOME, time.time() + 31) == 0


def test_a_success_forgets_the_emails_failures(client, counters) -> None:
    UserFactory(email="often@example.com")
    for _ in range(3):
        assert fail(client, "often@example.com", 4) == [401] * 4
        assert sign_in(client, "often@example.com", DEFAULT_PASSWORD, HOME).status_code == 302
        client.post("/logout")


def test_other_accounts_on_the_same_address_are_not_slowed(client, counters) -> None:
    UserFactory(email="a@example.com")
    UserFactory(email="b@example.com")
    fail(client, "a@example.com", 6)
    assert sign_in(client, "b@example.com", DEFAULT_PASSWORD, HOME).status_code == 302


def test_guessing_at_many_accounts_from_one_address_slows_that_address(client, counters) -> None:
    sign_in_throttle.configure(
        counters,
        SignInPolicy(pair=SLOW.pair, email=SLOW.email, address=Backoff(3, 30, 900)),
        3600,
    )
    UserFactory(email="sprayed@example.com")
    assert [fail(client, f"n{n}@example.com", 1)[0] for n in range(3)] == [401] * 3
    blocked = sign_in(client, "sprayed@example.com", DEFAULT_PASSWORD, HOME)
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 30
    # The address's own count does not spill over to anyone else's.
    assert sign_in(client, "sprayed@example.com", DEFAULT_PASSWORD, ELSEWHERE).status_code == 302


def test_every_attempt_per_address_is_also_rate_limited(app, client) -> None:
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [client.login(f"x{n}@example.com", "pw").status_code for n in range(4)]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "30 per minute"
    assert codes[:3] == [401, 401, 401]
    assert codes[3] == 429


def test_memory_counts_forget_after_their_memory(counters) -> None:
    now = time.time()
    for _ in range(6):
        sign_in_throttle.record_failure("old@example.com", HOME, now - 3601)
    assert sign_in_throttle.seconds_to_wait("old@example.com", HOME, now) == 0
    (pair,) = counters.read(["pair:old@example.com|" + HOME])
    assert pair.count == (0 if isinstance(counters, sign_in_throttle.MemoryCounters) else 6)


def test_session_cookie_is_secure_over_https(client) -> None:
    UserFactory(email="tls@example.com")
    plain = client.login("tls@example.com")
    assert "Secure" not in plain.headers["Set-Cookie"]
    client.post("/logout")
    secure = client.post(
        "/login",
        data={"email": "tls@example.com", "password": "password-123456"},
        base_url="https://localhost",
    )
    cookie = secure.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
