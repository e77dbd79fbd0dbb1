"""A timed mock sits like the real one: instructions first, the clock from Start."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from exam_engine.models import Attempt
from tests.factories import UserFactory
from tests.support import seed_bank


@pytest.fixture
def candidate(client, session, clock):
    seed_bank(session, per_subdomain=4)
    user = UserFactory(email="sitter@example.com", time_multiplier=1.5)
    client.login("sitter@example.com")
    return user


def test_dashboard_sends_timed_mocks_to_their_instructions(client, candidate) -> None:
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/exams/quiz-20/instructions"' in html
    # Practice starts at once: no clock to explain.
    assert 'value="drill-d1"' in html


def test_instructions_say_what_the_sitting_is_and_start_nothing(client, candidate, session):
    page = client.get("/exams/quiz-20/instructions")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Before you start: Short mixed quiz" in html
    assert "20, four options each" in html
    assert "60 minutes (40 &times; your time multiplier of 1.5)" in html
    assert "the clock keeps running" in html
    assert "submitted and graded automatically" in html
    assert "<kbd>F</kbd>" in html
    assert re.search(r'<form method="post" action="/attempts"', html)
    assert 'name="csrf_token"' in html
    assert session.scalar(select(Attempt).where(Attempt.user_id == candidate.id)) is None


def test_the_clock_starts_at_start_not_at_the_instructions(client, candidate, session, clock):
    client.get("/exams/quiz-20/instructions")
    clock["now"] += timedelta(minutes=10)
    started = clock["now"]
    response = client.post("/attempts", data={"template": "quiz-20"})
    assert response.status_code == 303
    attempt = session.scalar(select(Attempt).where(Attempt.user_id == candidate.id))
    assert attempt.deadline_at - started == timedelta(minutes=60)
    # Instructions of a mock already running send the candidate back into it.
    again = client.get("/exams/quiz-20/instructions")
    assert again.status_code == 303
    assert again.location.endswith(f"/attempts/{attempt.id}/resume")


def test_instructions_only_for_timed_mocks(client, candidate) -> None:
    assert client.get("/exams/drill-d1/instructions").status_code == 404
    assert client.get("/exams/nope/instructions").status_code == 404


def test_instructions_need_sign_in(app, candidate) -> None:
    anonymous = app.test_client()
    response = anonymous.get("/exams/quiz-20/instructions")
    assert response.status_code in (302, 303, 401)


class _Item:
    def __init__(self, position: int, flagged: bool) -> None:
        self.position, self.flagged = position, flagged


def test_moves_in_a_full_and_a_flagged_only_pass() -> None:
    from exam_engine.web.candidate.moves import pass_moves

    items = [_Item(p, p in (2, 5, 7)) for p in range(1, 9)]
    full = pass_moves(items, 5, only_flagged=False)
    assert (full.previous, full.next, full.next_flagged) == (4, 6, 7)
    # Next flagged cycles back to the first after the last.
    assert pass_moves(items, 7, only_flagged=False).next_flagged == 2
    assert pass_moves(items, 8, only_flagged=False).next is None
    flagged = pass_moves(items, 5, only_flagged=True)
    assert (flagged.previous, flagged.next, flagged.flagged) == (2, 7, (2, 5, 7))
    assert pass_moves(items, 7, only_flagged=True).next is None  # then the summary
    # Nothing flagged: no flagged pass, no next flagged.
    none = pass_moves([_Item(p, False) for p in range(1, 4)], 2, only_flagged=True)
    assert (none.only_flagged, none.next_flagged, none.next) == (False, None, 3)


def test_flagged_only_pass_pages(client, candidate, session) -> None:
    client.post("/attempts", data={"template": "quiz-20"})
    attempt = session.scalar(select(Attempt).where(Attempt.user_id == candidate.id))
    base = f"/attempts/{attempt.id}/q"
    for position in (3, 9):
        client.post(f"{base}/{position}", data={"flagged": "y", "go": "stay"})
    html = client.get(f"{base}/1").get_data(as_text=True)
    assert 'id="next-flagged"' in html
    assert 'value="3"' in html
    assert "Flagged only (2)" in html
    only = client.get(f"{base}/3?only=flagged").get_data(as_text=True)
    # Only the flagged cells (and the current one) are listed.
    assert re.findall(r'/q/(\d+)\?only=flagged"\s+class="nav-cell', only) == ["3", "9"]
    assert "Save and next flagged" in only
    moved = client.post(f"{base}/3", data={"go": "9", "only": "flagged", "flagged": "y"})
    assert moved.location.endswith(f"{base}/9?only=flagged")
    last = client.get(f"{base}/9?only=flagged").get_data(as_text=True)
    assert "Save and review" in last


def test_instructions_of_an_assignment_not_yours_are_404(client, candidate) -> None:
    response = client.get("/assignments/999/instructions")
    assert response.status_code == 404
    assert "not one of yours" in response.get_data(as_text=True)
