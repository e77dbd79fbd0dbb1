"""The /api/v1 OpenAPI description: complete, and true of the running app (Schemathesis).

Schemathesis reads the description from a live server and, for every operation, sends a
fixed number of generated requests as a signed-in candidate: each must be answered without
a 500 and as described (status, headers, body schema). Each generated request is sent once
as generated and once more against each of the candidate's own attempts (one finished, one
open practice drill), so the answers with content are checked too, not only the 404s.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from exam_engine.services import attempts
from exam_engine.web.api import description
from tests.factories import UserFactory
from tests.support import seed_bank
from tests.support.properties import examples

EXAMPLES_PER_OPERATION = examples(25)
_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
METHODS = {"get", "put", "post", "patch", "delete"}


def openapi_path(rule: str) -> str:
    """A Werkzeug rule as an OpenAPI path: ``<int:attempt_id>`` becomes ``{attempt_id}``."""
    return _PARAM.sub(r"{\1}", rule)


def api_rules(app) -> set[tuple[str, str]]:
    return {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def described(spec) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in spec["paths"].items()
        for method in item
        if method in METHODS
    }


def test_every_api_route_is_described_and_nothing_else(app) -> None:
    routes = api_rules(app)
    assert len(routes) >= 8
    assert routes - described(description()) == set(), "routes missing from openapi.yaml"
    assert described(description()) - routes == set(), "openapi.yaml describes no such route"


def test_path_parameters_match_the_rules(app) -> None:
    spec = description()
    shared = spec["components"]["parameters"]
    for path, item in spec["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        for method in set(item) & METHODS:
            declared = set()
            for param in item.get("parameters", []) + item[method].get("parameters", []):
                if "$ref" in param:
                    param = shared[param["$ref"].rsplit("/", 1)[1]]
                if param["in"] == "path":
                    declared.add(param["name"])
            assert declared == names, f"{method.upper()} {path}"


def test_the_description_is_served_as_json_to_anyone(client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body == description()
    assert body["openapi"] == "3.1.0"
    assert "/api/v1/attempts/{attempt_id}/responses/{position}" in body["paths"]


# Loaded from the data file at collection time (Schemathesis's fixture-based loader does not
# work with pytest 9.2); a test above checks that the server serves exactly this file.
schema = schemathesis.openapi.from_dict(description())
# The signed-in candidate of the running test (set by ``candidate``).
CREDENTIALS: dict[str, str] = {}


@schema.auth(refresh_interval=None)
class SignedIn:
    """The candidate's session cookie and CSRF token, given to Schemathesis as the API's auth.

    Through this, and not a cookie jar, Schemathesis knows them: it also sends requests
    without them or with made-up ones, and expects a 401 then.
    """

    def get(self, case, context) -> dict[str, str] | None:
        # Schemathesis also builds cases while collecting, before anyone is signed in.
        return dict(CREDENTIALS) or None

    def set(self, case, data, context) -> None:
        if not data:
            return
        case.cookies = {**(case.cookies or {}), "session": data["session"]}
        case.headers = {**(case.headers or {}), "X-CSRFToken": data["csrf"]}


@pytest.fixture
def candidate(live_server, session) -> Iterator[list[int]]:
    """Sign a candidate in (credentials in CREDENTIALS); yield their finished and open attempts."""
    seed_bank(session, per_subdomain=8)
    user = UserFactory(email="api@example.com")
    now = datetime.now(UTC)
    finished = attempts.start_attempt(session, user.id, "quiz-20", now=now - timedelta(hours=1))
    attempts.submit_attempt(session, user.id, finished.id, now=now, grace_seconds=30)
    drill = attempts.start_attempt(session, user.id, "drill-d1", now=now)
    http = requests.Session()
    token = http.get(f"{live_server}/api/v1/csrf-token").json()["csrf_token"]
    signed_in = http.post(
        f"{live_server}/login",
        data={"email": "api@example.com", "password": "password-123456", "csrf_token": token},
        allow_redirects=False,
    )
    assert signed_in.status_code in (302, 303), signed_in.text
    CREDENTIALS.update(session=http.cookies["session"], csrf=token)
    http.close()
    yield [finished.id, drill.id]
    CREDENTIALS.clear()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_running_api_answers_as_described(case, candidate, live_server) -> None:
    case.call_and_validate(base_url=live_server)
    params = case.path_parameters or {}
    if "attempt_id" in params:
        # Again on the candidate's own attempts, at a position their forms have.
        if isinstance(params.get("position"), int):
            params["position"] = params["position"] % 20 + 1
        for attempt_id in candidate:
            params["attempt_id"] = attempt_id
            case.call_and_validate(base_url=live_server)
    elif case.operation.path == "/api/v1/attempts" and isinstance(case.body, dict):
        # Again with templates that exist: a start, then a resume of the same one.
        for template in ("quiz-20", "drill-weak-areas", "drill-weak-areas"):
            case.body = {**case.body, "template": template}
            case.call_and_validate(base_url=live_server)


# --- what Schemathesis found, pinned as plain tests ------------------------------------------


def test_a_wrong_method_is_405_and_says_which_are_allowed(client) -> None:
    response = client.delete("/api/v1/review/due")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET"}
    assert response.get_json()["status"] == 405


def test_an_api_write_without_a_signed_in_session_is_401_not_a_csrf_error(raw_client) -> None:
    response = raw_client.post("/api/v1/attempts", json={"template": "quiz-20"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "authentication required"


def test_starting_with_an_unknown_field_is_400_naming_it(client, session) -> None:
    UserFactory(email="api@example.com")
    client.login("api@example.com")
    response = client.post("/api/v1/attempts", json={"template": "quiz-20", "tempalte": "x"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "body: unknown field tempalte"


def test_a_seq_written_as_a_whole_float_is_that_integer(client, session) -> None:
    seed_bank(session, per_subdomain=2)
    UserFactory(email="api@example.com")
    client.login("api@example.com")
    started = client.post("/api/v1/attempts", json={"template": "quiz-20"}).get_json()
    saved = client.put(
        f"/api/v1/attempts/{started['id']}/responses/1", json={"choice": "B", "seq": 3.0}
    )
    assert saved.status_code == 200
    assert saved.get_json()["seq"] == 3
    refused = client.put(
        f"/api/v1/attempts/{started['id']}/responses/1", json={"choice": "B", "seq": 3.5}
    )
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "seq: expected a positive integer"
