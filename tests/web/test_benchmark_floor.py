"""The load benchmark's floor endpoint: never in the shipped app; added by the benchmark, it needs
sign-in and the CSRF token like the real autosave, and its UPSERT keeps the newest seq."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from benchmarks.load.floor import FLOOR, register
from exam_engine.extensions import db
from tests.factories import UserFactory
from tests.support import Client, make_app

PATH = "/api/v1/benchmark-floor/7/responses/3"


def test_floor_is_not_served_by_default(client, session) -> None:
    UserFactory(email="floor@example.com")
    client.login("floor@example.com")
    response = client.put(PATH, json={"choice": "A", "flagged": False, "seq": 1})
    assert response.status_code == 404
    assert not any(
        rule.rule.startswith("/api/v1/benchmark-floor")
        for rule in client.application.url_map.iter_rules()
    )


@pytest.fixture
def floor_app(app: Flask, database_url: str, tmp_path) -> Iterator[Flask]:
    """A second app on the same database with the floor on, and the scratch table."""
    on = make_app(database_url, str(tmp_path))
    register(on)
    on.test_client_class = Client
    with on.app_context():
        FLOOR.create(db.engine)
    yield on
    with on.app_context():
        db.session.remove()
        FLOOR.drop(db.engine)
        db.engine.dispose()


def stored(app: Flask) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(select(FLOOR.c.choice, FLOOR.c.flagged, FLOOR.c.last_seq)).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def test_floor_needs_sign_in_and_csrf_then_keeps_the_newest_seq(floor_app, session) -> None:
    UserFactory(email="floor@example.com")
    anonymous = floor_app.test_client()
    assert anonymous.put(PATH, json={"choice": "A", "seq": 1}).status_code == 401
    client = floor_app.test_client()
    client.login("floor@example.com")
    no_token = client.put(PATH, json={"choice": "A", "seq": 1}, csrf=False)
    assert no_token.status_code == 400
    assert "security token" in no_token.get_json()["error"]
    assert stored(floor_app) == []

    assert client.put(PATH, json={"choice": "B", "flagged": True, "seq": 5}).status_code == 200
    assert client.put(PATH, json={"choice": "D", "seq": 4}).status_code == 200  # older: ignored
    assert stored(floor_app) == [(1, True, 5)]
    assert client.put(PATH, json={"choice": None, "seq": 6}).status_code == 200
    assert stored(floor_app) == [(None, False, 6)]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"choice": "E", "seq": 1}, "choice: 'E' is not one of A, B, C, D or null"),
        ({"choice": "A", "seq": "1"}, "seq: expected a positive integer"),
        ({"choice": "A", "seq": True}, "seq: expected a positive integer"),
        ([1, 2], "body: expected a JSON object"),
    ],
)
def test_floor_rejects_bad_bodies(floor_app, session, body, message) -> None:
    UserFactory(email="floor@example.com")
    client = floor_app.test_client()
    client.login("floor@example.com")
    response = client.put(PATH, json=body)
    assert response.status_code == 400
    assert response.get_json()["error"] == message
    assert stored(floor_app) == []
