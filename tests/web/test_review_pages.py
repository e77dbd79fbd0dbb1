"""The answer review: paged, a jump list by number, domain and result, stem search, time spent."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from exam_engine.models import utcnow
from exam_engine.services import attempts
from tests.factories import UserFactory
from tests.web.test_results import EMAIL, GRACE, finish, html


@pytest.fixture
def user(session):
    return UserFactory(email=EMAIL)


def headings(page: str) -> list[int]:
    return [int(p) for p in re.findall(r'<h2 id="q(\d+)-heading"', page)]


def test_results_filter_and_the_jump_list_marks_each_question(client, session, bank, user) -> None:
    # Position 1 unanswered, odd wrong, even right; 2 and 3 flagged.
    attempt = finish(
        session, user, "quiz-20", right=lambda item: item.position % 2 == 0, flag=(2, 3)
    )
    attempt.items[0].choice = None
    session.commit()
    client.login(EMAIL)
    url = f"/attempts/{attempt.id}/review"
    assert headings(html(client.get(f"{url}?result=unanswered"))) == [1]
    assert headings(html(client.get(f"{url}?result=wrong"))) == list(range(3, 20, 2))
    assert headings(html(client.get(f"{url}?result=flagged"))) == [2, 3]
    assert headings(html(client.get(f"{url}?result=correct"))) == list(range(2, 21, 2))
    page = html(client.get(f"{url}?result=wrong"))
    # Every question is in the jump list with its result; a matching one links to its page.
    assert page.count('class="jump jump-') == 20
    assert re.search(r'class="jump jump-unanswered is-out">1<', page)
    assert re.search(
        rf'class="jump jump-wrong is-flagged on-page" href="{url}\?result=wrong&amp;page=1#q3"'
        r' aria-label="Question 3, Wrong, flagged"',
        page,
    )
    assert 'aria-label="Question 19, Wrong"' in page


def test_search_in_stems_works_as_a_plain_query_parameter(client, session, bank, user) -> None:
    attempt = finish(session, user, "quiz-20")
    client.login(EMAIL)
    target = attempt.items[4].version.stem
    words = " ".join(target.split()[:3])
    page = html(client.get(f"/attempts/{attempt.id}/review", query_string={"q": words.upper()}))
    shown = headings(page)
    assert 5 in shown
    assert all(words.casefold() in attempt.items[p - 1].version.stem.casefold() for p in shown)
    assert 'name="q"' in page
    assert f'value="{words.upper()}"' in page
    none = html(client.get(f"/attempts/{attempt.id}/review?q=zzzz-no-such-words"))
    assert "No questions match these filters." in none


@pytest.mark.parametrize(
    ("query", "name"), [("result=maybe", "result"), ("page=0", "page"), ("page=x", "page")]
)
def test_bad_review_parameters_are_a_clear_400(client, session, bank, user, query, name) -> None:
    attempt = finish(session, user, "quiz-20")
    client.login(EMAIL)
    response = client.get(f"/attempts/{attempt.id}/review?{query}")
    assert response.status_code == 400
    assert f"The filter was not applied: {name}:" in html(response)


def test_a_page_past_the_end_shows_the_last(client, session, bank, user) -> None:
    attempt = finish(session, user, "quiz-20")
    client.login(EMAIL)
    page = html(client.get(f"/attempts/{attempt.id}/review?page=9"))
    assert headings(page) == list(range(11, 21))
    assert '<span aria-current="page">2</span>' in page


def test_time_per_question_comes_from_the_saves(client, session, bank, user) -> None:
    start = utcnow() - timedelta(hours=1)
    attempt = attempts.start_attempt(session, user.id, "quiz-20", now=start)
    for seq, (position, seconds) in enumerate([(1, 40), (2, 100), (1, 130)], start=1):
        attempts.save_response(
            session,
            user.id,
            attempt.id,
            position,
            choice="A",
            flagged=False,
            seq=seq,
            now=start + timedelta(seconds=seconds),
            grace_seconds=GRACE,
        )
    attempts.submit_attempt(
        session, user.id, attempt.id, now=start + timedelta(minutes=5), grace_seconds=GRACE
    )
    client.login(EMAIL)
    page = html(client.get(f"/attempts/{attempt.id}/review"))

    def time_of(position: int) -> str:
        block = page.split(f'id="q{position}"', 1)[1].split("</header>", 1)[0]
        return re.search(r'class="muted small time-spent">Time: ([^<]+)<', block).group(1)

    assert time_of(1) == "1 min 10 s"  # 40 s to the first save, 30 s more to the third
    assert time_of(2) == "1 min"
    assert time_of(3) == "none recorded"
    assert "Time per question is measured from your saves" in page
