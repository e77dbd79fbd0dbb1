"""Until an attempt is finished, nothing its candidate receives tells the key apart.

The test captures every candidate-facing response of an in-progress exam (pages, JSON,
data attributes), checks that no rationale text appears, then moves each item's key to
another option directly in the database and captures everything again: the bytes must be
identical, so nothing sent can depend on the key.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from exam_engine.models import AttemptItem, QuestionVersion, utcnow
from tests.factories import UserFactory
from tests.support import seed_bank

CSRF = re.compile(r"[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}")


@pytest.fixture
def frozen(app):
    moment = utcnow()
    app.config["CLOCK"] = lambda: moment
    yield moment
    app.config.pop("CLOCK", None)


def capture(client, attempt_id: int, total: int) -> dict[str, str]:
    """Every candidate-facing response of the in-progress attempt."""
    pages = {
        "dashboard": client.get("/dashboard"),
        "summary": client.get(f"/attempts/{attempt_id}/summary"),
        "api": client.get(f"/api/v1/attempts/{attempt_id}"),
        "scorecard": client.get(f"/attempts/{attempt_id}/scorecard", follow_redirects=True),
    }
    for position in range(1, total + 1):
        pages[f"q{position}"] = client.get(f"/attempts/{attempt_id}/q/{position}")
    for name, response in pages.items():
        assert response.status_code == 200, name
    # A save's response is candidate-facing too (same seq again: nothing changes).
    pages["save"] = client.put(
        f"/api/v1/attempts/{attempt_id}/responses/1", json={"choice": "A", "seq": 1}
    )
    # CSRF tokens are signed with a timestamp; they are the only thing allowed to vary.
    return {
        name: CSRF.sub("CSRF", response.get_data(as_text=True)) for name, response in pages.items()
    }


def assert_no_key_marks(pages: dict[str, str]) -> None:
    """No rationale, stored key or key marker in anything captured."""
    for name, body in pages.items():
        assert "rationale" not in body.lower(), f"{name} leaks a rationale"
        assert "answer_index" not in body, name
        assert "is-key" not in body, name
        assert not re.search(r"option_order|\"key\"", body), name


def move_keys(session, attempt_id: int) -> None:
    """Give every version the attempt shows another key, straight in the database."""
    version_ids = session.scalars(
        select(AttemptItem.question_version_id).where(AttemptItem.attempt_id == attempt_id)
    ).all()
    # Bypass the ORM's immutability guard: this simulates a different key, not an edit.
    session.execute(
        update(QuestionVersion)
        .where(QuestionVersion.id.in_(version_ids))
        .values(answer_index=(QuestionVersion.answer_index + 1) % 4)
    )
    session.commit()


def test_nothing_sent_mid_exam_depends_on_the_key(client, session, frozen) -> None:
    seed_bank(session, per_subdomain=4)
    UserFactory(email="leak@example.com")
    client.login("leak@example.com")
    attempt = client.post("/api/v1/attempts", json={"template": "quiz-20"}).get_json()
    attempt_id, total = attempt["id"], len(attempt["items"])
    client.put(f"/api/v1/attempts/{attempt_id}/responses/1", json={"choice": "A", "seq": 1})

    before = capture(client, attempt_id, total)
    assert_no_key_marks(before)
    move_keys(session, attempt_id)
    after = capture(client, attempt_id, total)
    for name in before:
        assert before[name] == after[name], f"{name} changes with the key"


def test_nothing_sent_mid_readiness_check_depends_on_the_key(client, session, frozen) -> None:
    """The check's pages and JSON at a fixed state (two items given) carry nothing of the key.

    Which item comes next does depend on the answers so far: that is what adaptive means, and
    the randomesque choice among the five most informative items blurs it. Here the state is
    held still (asking for the next item before answering gives the same one back).
    """
    seed_bank(session, per_subdomain=4)
    UserFactory(email="leak@example.com")
    client.login("leak@example.com")
    started = client.post("/api/v1/attempts", json={"template": "readiness-check"}).get_json()
    attempt_id = started["id"]
    client.put(f"/api/v1/attempts/{attempt_id}/responses/1", json={"choice": "B", "seq": 1})
    assert client.get(f"/api/v1/attempts/{attempt_id}/next").get_json()["position"] == 2

    def pages() -> dict[str, str]:
        captured = capture(client, attempt_id, 2)
        for name, path in (
            ("next-api", f"/api/v1/attempts/{attempt_id}/next"),
            ("next-page", f"/attempts/{attempt_id}/next"),
        ):
            response = client.get(path)
            assert response.status_code in (200, 303), name
            captured[name] = CSRF.sub("CSRF", response.get_data(as_text=True)) + str(
                response.headers.get("Location")
            )
        return captured

    before = pages()
    assert_no_key_marks(before)
    move_keys(session, attempt_id)
    after = pages()
    for name in before:
        assert before[name] == after[name], f"{name} changes with the key"
