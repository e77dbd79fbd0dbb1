"""Every state-changing route refuses a request without a CSRF token, for every role.

The routes come from the app's URL map, so a new route is covered the day it is added.
"""

from __future__ import annotations

import re

import pytest

from tests.factories import UserFactory

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# Routes that intentionally accept requests without a session token.
EXEMPT: set[str] = set()


def state_changing_routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, concrete path) for every state-changing rule."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXEMPT or rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", "1", rule.rule)
        for method in sorted((rule.methods or set()) & STATE_CHANGING):
            routes.append((rule.endpoint, method, path))
    return routes


def test_there_are_state_changing_routes(app) -> None:
    endpoints = {endpoint for endpoint, _, _ in state_changing_routes(app)}
    assert {
        "auth.login",
        "auth.logout",
        "auth.change_password",
        "api.put_response",
        "candidate.submit",
    } <= endpoints


@pytest.mark.parametrize("role", [None, "candidate", "instructor", "admin"])
def test_no_token_no_state_change(app, raw_client, session, role) -> None:
    if role:
        UserFactory(email=f"{role}@example.com", role=role)
        token = raw_client.get("/api/v1/csrf-token").get_json()["csrf_token"]
        signed_in = raw_client.post(
            "/login",
            data={"email": f"{role}@example.com", "password": "password-123456"},
            headers={"X-CSRFToken": token},
        )
        assert signed_in.status_code == 302
    failures = []
    for endpoint, method, path in state_changing_routes(app):
        response = raw_client.open(path, method=method, data={"x": "1"})
        if role is None and path.startswith("/api/"):
            # An API call without a signed-in session is told to sign in first.
            refused = response.status_code == 401
        else:
            refused = response.status_code == 400 and "security token" in response.get_data(
                as_text=True
            )
        if not refused:
            failures.append(f"{method} {path} ({endpoint}) -> {response.status_code}")
    assert failures == []
