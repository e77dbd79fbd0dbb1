"""Every response to a signed-in user carries ``Cache-Control: no-store``, static files aside.

Results, keys, reviews, scorecards and bank exports must not be kept by a shared cache or
shown again from the browser's history to the next person at the machine.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from exam_engine.services import attempts, interchange
from tests.factories import UserFactory
from tests.support import seed_bank

PUBLIC_FILES = {"static", "assets.serve", "main.favicon"}
_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def no_store(response) -> bool:
    return response.headers.get("Cache-Control") == "no-store"


def every_request(app):
    """(method, path) for every rule but static files, parameters filled with 1."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in PUBLIC_FILES:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield method, _PARAM.sub("1", rule.rule)


def test_every_route_answers_a_signed_in_user_with_no_store(app, client, session):
    seed_bank(session, per_subdomain=2)
    UserFactory(email="root@example.com", role="admin")
    client.login("root@example.com")
    cached = []
    seen = 0
    for method, path in every_request(app):
        if path == "/logout":
            continue
        response = client.open(path, method=method)
        seen += 1
        if not no_store(response):
            cached.append(f"{method} {path} -> {response.status_code}")
    assert seen > 60
    assert cached == []


def test_results_keys_reviews_and_exports_are_no_store(app, client, session):
    seed_bank(session, per_subdomain=2)
    user = UserFactory(email="cand@example.com")
    mock = attempts.start_attempt(session, user.id, "quiz-20", now=T0)
    attempts.submit_attempt(
        session, user.id, mock.id, now=T0 + timedelta(minutes=1), grace_seconds=30
    )
    client.login("cand@example.com")
    for path in (
        f"/attempts/{mock.id}/scorecard",
        f"/attempts/{mock.id}/review",
        f"/api/v1/attempts/{mock.id}",
        f"/api/v1/attempts/{mock.id}/result",
        "/history",
        "/dashboard",
        "/study/",
        "/api/v1/review/due",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert no_store(response), path
    # Signing out answers the now anonymous visitor like any other.
    assert client.post("/logout").status_code in (302, 303)

    UserFactory(email="author@example.com", role="instructor")
    client.login("author@example.com")
    for fmt in interchange.FORMATS:
        response = client.get(f"/authoring/export/{fmt}")
        assert response.status_code == 200, fmt
        assert "attachment" in response.headers["Content-Disposition"]
        assert no_store(response), fmt


def test_the_sign_in_response_itself_is_no_store(client):
    UserFactory(email="cand@example.com")
    response = client.login("cand@example.com")
    assert response.status_code in (302, 303)
    assert no_store(response)


def test_static_files_stay_cacheable_for_everyone(app, client):
    for signed_in in (False, True):
        if signed_in:
            UserFactory(email="cand@example.com")
            client.login("cand@example.com")
        for path in ("/static/favicon.svg", "/favicon.ico"):
            response = client.get(path)
            response.close()  # a static file is streamed from an open handle
            assert response.status_code == 200, path
            assert "no-store" not in response.headers.get("Cache-Control", ""), path


def test_pages_for_anonymous_visitors_are_not_forced_to_no_store(client):
    # The sign-in page holds nothing of anyone's; the header is for signed-in users.
    assert not no_store(client.get("/login"))
