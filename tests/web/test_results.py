"""Results pages and the result API: scorecard, review, history, /api/v1/attempts/<id>/result."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from exam_engine.models import utcnow
from exam_engine.services import attempts
from tests.factories import UserFactory

GRACE = 30
EMAIL = "cand@example.com"


@pytest.fixture
def user(session):
    return UserFactory(email=EMAIL)


def finish(session, user, template="aaism-full", *, right=lambda item: True, flag=(), when=None,
           submit=True):  # fmt: skip
    """Start an attempt, answer every item (right or wrong), optionally submit it."""
    when = when or utcnow() - timedelta(hours=1)
    attempt = attempts.start_attempt(session, user.id, template, now=when)
    for item in attempt.items:
        key = item.version.answer_index
        item.choice = key if right(item) else (key + 1) % 4
        item.flagged = item.position in flag
    session.commit()
    if submit:
        attempts.submit_attempt(
            session, user.id, attempt.id, now=when + timedelta(minutes=30), grace_seconds=GRACE
        )
    session.refresh(attempt)
    return attempt


def html(response) -> str:
    return response.get_data(as_text=True)


def svgs(page: str) -> list[ET.Element]:
    """Parse every inline SVG of a page as XML."""
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", page, flags=re.S)]


def assert_no_script_needed(page: str) -> None:
    """The page works without JavaScript and needs no inline style or script.

    Every page loads the site script (the phone menu, the browser's time zone), nothing more.
    """
    scripts = re.findall(r"<script[^>]*>", page)
    assert len(scripts) == 1 and re.fullmatch(
        r'<script src="/assets/\w+/js/site\.js" defer>', scripts[0]
    )
    assert not re.search(r"\sstyle=", page)
    assert re.search(r"<svg[^>]*role=\"img\"", page)


# ---- scorecard -----------------------------------------------------------------------------


def test_scorecard_shows_score_domains_subdomains_chart_and_labelled_estimates(
    client, session, bank, user
) -> None:
    attempt = finish(session, user, right=lambda item: item.version.subdomain != "D2-B")
    client.login(EMAIL)
    response = client.get(f"/attempts/{attempt.id}/scorecard")
    assert response.status_code == 200
    page = html(response)
    d2b = sum(1 for i in attempt.items if i.version.subdomain == "D2-B")
    assert f"{90 - d2b} / 90" in page
    assert "AI Governance and Program Management" in page
    assert "Stakeholder Considerations, Industry Frameworks, and Regulatory Requirements" in page
    # Estimates say so, and say ISACA's mapping is not public.
    assert page.count(">Estimate<") >= 2
    assert "Estimate by this practice engine, not an ISACA score" in page
    assert "raw-to-scaled mapping is not public" in page
    assert "Estimated pass probability" in page
    assert "Estimated scaled score" in page
    # Weak area and the suggested drill, as a real (CSRF-protected) form.
    assert re.search(r"D2-B</span> AI Threat and Vulnerability Management</strong>", page)
    assert 'class="status status-weak">Weak<' in page
    assert 'name="template" value="drill-d2"' in page
    assert 'name="csrf_token"' in page
    # Pacing against the allowance.
    assert "Pacing" in page
    assert "2 min per question" in page
    # The chart is server-rendered, accessible SVG; no script needed.
    assert_no_script_needed(page)
    (chart,) = svgs(page)
    assert chart.get("aria-labelledby") == "domain-chart-title"
    assert "95% intervals" in "".join(chart.itertext())
    assert f'href="/attempts/{attempt.id}/review"' in page
    assert '/bundle/app-scorecard.css"' in page


def test_scorecard_of_an_expired_attempt_says_time_ran_out(client, session, bank, user) -> None:
    attempt = finish(session, user, "quiz-20", when=utcnow() - timedelta(hours=2), submit=False)
    client.login(EMAIL)
    page = html(client.get(f"/attempts/{attempt.id}/scorecard"))
    assert "Time ran out" in page
    assert "20 / 20" in page
    # No calibration here: the note explains the classical estimates the tiles show.
    assert "Beta-binomial prediction" in page
    assert "item-response estimate" not in page


def test_scorecard_in_progress_goes_back_to_the_summary(client, session, bank, user) -> None:
    attempt = finish(session, user, "quiz-20", when=utcnow(), submit=False)
    client.login(EMAIL)
    response = client.get(f"/attempts/{attempt.id}/scorecard")
    assert response.status_code == 302
    assert response.location.endswith(f"/attempts/{attempt.id}/summary")
    as_json = client.get(
        f"/attempts/{attempt.id}/scorecard", headers={"Accept": "application/json"}
    )
    assert as_json.status_code == 409
    assert "still in progress" in as_json.get_json()["error"]


def test_another_users_results_are_not_found(client, session, bank, user) -> None:
    attempt = finish(session, UserFactory(), "quiz-20")
    client.login(EMAIL)
    for path in ("scorecard", "review"):
        response = client.get(f"/attempts/{attempt.id}/{path}")
        assert response.status_code == 404
        assert "Synthetic scenario" not in html(response)
    assert client.get("/attempts/999999/scorecard").status_code == 404


@pytest.mark.parametrize(
    "path", ["/attempts/1/scorecard", "/attempts/1/review", "/history", "/api/v1/attempts/1/result"]
)
def test_results_need_a_login(client, path) -> None:
    response = client.get(path)
    if path.startswith("/api/"):
        assert response.status_code == 401
        assert response.is_json
    else:
        assert response.status_code == 302
        assert response.location.startswith("/login?next=")


def test_a_drill_scorecard_without_mocks_has_no_readiness_numbers(
    client, session, bank, user
) -> None:
    attempt = finish(session, user, "drill-d1")
    client.login(EMAIL)
    page = html(client.get(f"/attempts/{attempt.id}/scorecard"))
    assert "Untimed practice" in page
    assert page.count("Finish a timed mock to get this estimate.") == 1
    assert "Weak areas come from your finished timed mocks" in page


# ---- review --------------------------------------------------------------------------------


def test_review_lists_every_item_with_choice_key_rationales_and_references(
    client, session, bank, user
) -> None:
    attempt = finish(session, user, "quiz-20", right=lambda item: item.position != 1, flag=(2,))
    client.login(EMAIL)
    response = client.get(f"/attempts/{attempt.id}/review")
    assert response.status_code == 200
    page = html(response)
    # Paged by ten, with a jump list to all twenty.
    assert "Showing 1&ndash;10 of 20 questions, page 1 of 2." in page
    assert page.count('class="card review-item') == 10
    assert page.count('class="jump jump-') == 20
    first = attempt.items[0]
    version = first.version
    key = attempts.stored_to_choice(first, version.answer_index)
    chosen = attempts.stored_to_choice(first, first.choice)
    block = page.split('id="q1"', 1)[1].split('id="q2"', 1)[0]
    # Options in the order the candidate saw them, under the ids they saw.
    shown = [version.options[k] for k in first.option_order]
    positions = [block.index(text) for text in shown]
    assert positions == sorted(positions)
    for shown_id, stored in zip("ABCD", first.option_order, strict=True):
        assert f'<span class="option-id">{shown_id}</span> <span>{version.options[stored]}' in block
    assert all(r in block for r in version.rationales)
    assert f"You chose {chosen}; the best answer is {key}." in block
    assert "Wrong" in block
    assert "NIST AI RMF 1.0, GOVERN function" in block
    assert "Flagged" in page.split('id="q2"', 1)[1].split('id="q3"', 1)[0]
    assert [tag for tag in re.findall(r"<script[^>]*>", page) if "/js/site.js" not in tag] == []


def test_review_filters_by_query_string(client, session, bank, user) -> None:
    attempt = finish(session, user, right=lambda item: item.position % 2 == 0, flag=(1, 2, 3))
    client.login(EMAIL)
    url = f"/attempts/{attempt.id}/review"

    def shown(query: str) -> list[int]:
        """Positions shown over every page of the review with this query."""
        found: list[int] = []
        for number in range(1, 11):
            response = client.get(f"{url}?{query}&page={number}")
            assert response.status_code == 200
            on_page = [int(p) for p in re.findall(r'<h2 id="q(\d+)-heading"', html(response))]
            if number > 1 and on_page and on_page[0] in found:
                break  # past the last page: the last one is shown again
            found += on_page
        return found

    d2 = [i.position for i in attempt.items if i.version.domain == "D2"]
    assert shown("domain=D2") == d2
    d3c = [i.position for i in attempt.items if i.version.subdomain == "D3-C"]
    assert shown("subdomain=D3-C") == d3c
    assert shown("domain=D3&subdomain=D3-C") == d3c
    assert shown("wrong=y") == list(range(1, 91, 2))
    assert shown("flagged=y") == [1, 2, 3]
    assert shown("wrong=y&flagged=y") == [1, 3]
    assert shown("domain=&subdomain=&wrong=") == list(range(1, 91))
    page = html(client.get(f"{url}?domain=D2&wrong=y"))
    matched = sum(1 for p in d2 if p % 2)
    assert f"Showing 1&ndash;10 of {matched} matching questions (90 in all)" in page
    # The form shows what is applied, and is a plain GET form.
    assert '<option selected value="D2">' in page
    assert re.search(r'<input checked id="wrong" name="wrong" type="checkbox" value="y">', page)
    assert re.search(r'<form method="get" action="/attempts/\d+/review"', page)


@pytest.mark.parametrize(
    ("query", "message", "field"),
    [
        ("domain=D9", "domain: &#39;D9&#39; is not one of this exam&#39;s domains", "domain"),
        (
            "subdomain=X",
            "subdomain: &#39;X&#39; is not one of this exam&#39;s subdomains",
            "subdomain",
        ),
        ("domain=D1&subdomain=D2-B", "subdomain: D2-B belongs to domain D2, not D1", "subdomain"),
    ],
)
def test_review_refuses_unknown_filters_with_a_clear_400(
    client, session, bank, user, query, message, field
) -> None:
    attempt = finish(session, user, "quiz-20")
    client.login(EMAIL)
    response = client.get(f"/attempts/{attempt.id}/review?{query}")
    assert response.status_code == 400
    page = html(response)
    assert f'<p class="error" id="{field}-error">{message}' in page
    assert 'aria-invalid="true"' in page
    assert "The filter was not applied" in page
    assert "review-item" not in page
    as_json = client.get(
        f"/attempts/{attempt.id}/review?{query}", headers={"Accept": "application/json"}
    )
    assert as_json.status_code == 400
    assert as_json.get_json()["error"].startswith(field)


def test_review_of_an_attempt_in_progress_reveals_nothing(client, session, bank, user) -> None:
    attempt = finish(session, user, "quiz-20", when=utcnow(), submit=False)
    client.login(EMAIL)
    response = client.get(f"/attempts/{attempt.id}/review", follow_redirects=False)
    assert response.status_code == 302
    assert response.location.endswith(f"/attempts/{attempt.id}/summary")
    followed = client.get(f"/attempts/{attempt.id}/review", follow_redirects=True)
    page = html(followed)
    assert "still in progress" in page
    assert "rationale" not in page
    assert "best answer" not in page.lower()
    as_json = client.get(f"/attempts/{attempt.id}/review", headers={"Accept": "application/json"})
    assert as_json.status_code == 409
    assert as_json.is_json


# ---- history -------------------------------------------------------------------------------


def test_history_lists_mocks_with_a_trend_chart_and_keeps_drills_apart(
    client, session, bank, user
) -> None:
    base = utcnow() - timedelta(days=20)
    mocks = [
        finish(session, user, when=base + timedelta(days=d), right=lambda i, d=d: i.position > d)
        for d in (0, 7, 14)
    ]
    drill = finish(session, user, "drill-d2", when=base + timedelta(days=15))
    client.login(EMAIL)
    response = client.get("/history")
    assert response.status_code == 200
    page = html(response)
    assert "3 finished mocks" in page
    for mock in mocks:
        assert f'href="/attempts/{mock.id}/scorecard"' in page
        assert f'href="/attempts/{mock.id}/review"' in page
    assert "Drills and other attempts" in page
    assert f'href="/attempts/{drill.id}/review"' in page
    assert_no_script_needed(page)
    # The charts are the labelled images; the mastery table's sparklines are decorative.
    wide, narrow = [svg for svg in svgs(page) if svg.get("role") == "img"]
    assert wide.get("aria-labelledby") == "trend-chart-title"
    assert narrow.get("aria-labelledby") == "trend-chart-narrow-title"
    assert "3 finished mocks, oldest first" in "".join(wide.itertext())
    assert "Estimate by this practice engine, not an ISACA score" in page
    # Newest mock first in the table; its scaled estimate is labelled as an estimate.
    table = page.split("Your mocks", 1)[1]
    assert table.index(f"/attempts/{mocks[2].id}/scorecard") < table.index(
        f"/attempts/{mocks[0].id}/scorecard"
    )
    assert "Scaled (est.)" in table


def test_history_of_a_new_candidate(client, session, bank, user) -> None:
    client.login(EMAIL)
    page = html(client.get("/history"))
    assert "0 finished mocks" in page
    assert "No finished mocks yet." in page
    assert "<svg" not in page
    assert "Your trend appears here once you finish a timed mock." in page


def test_history_finalizes_an_attempt_whose_time_ran_out(client, session, bank, user) -> None:
    attempt = finish(session, user, "quiz-20", when=utcnow() - timedelta(hours=2), submit=False)
    client.login(EMAIL)
    page = html(client.get("/history"))
    assert "1 finished mock" in page
    assert "(time ran out)" in page
    session.refresh(attempt)
    assert attempt.status == "expired"


# ---- JSON ----------------------------------------------------------------------------------


def test_result_api_returns_scores_weak_areas_and_estimates(client, session, bank, user) -> None:
    attempt = finish(session, user, right=lambda item: item.version.subdomain != "D2-B")
    client.login(EMAIL)
    response = client.get(f"/api/v1/attempts/{attempt.id}/result")
    assert response.status_code == 200
    data = response.get_json()
    d2b = sum(1 for i in attempt.items if i.version.subdomain == "D2-B")
    assert data["score"]["correct"] == 90 - d2b
    assert data["score"]["total"] == 90
    assert data["score"]["percent"] == pytest.approx(100 * (90 - d2b) / 90, abs=0.01)
    assert list(data["by_domain"]) == ["D1", "D2", "D3"]
    for scores in (data["by_domain"], data["by_subdomain"]):
        for value in scores.values():
            assert {"correct", "total", "percent", "ci"} <= set(value)
            low, high = value["ci"]
            assert 0 <= low <= value["percent"] <= high <= 100
    assert data["by_subdomain"]["D2-B"]["correct"] == 0
    assert [w["code"] for w in data["weak_areas"]] == ["D2-B"]
    assert data["weak_areas"][0]["status"] == "weak"
    assert 0 <= data["pass_probability"] <= 1
    assert isinstance(data["scaled_estimate"], int)
    assert 200 <= data["scaled_estimate"] <= 800
    assert "not an ISACA score" in data["estimate_label"]
    assert data["next_drill"]["template"] == "drill-d2"
    assert data["review_url"] == f"/attempts/{attempt.id}/review"
    # Nothing the candidate has not earned: no stems or options in the result.
    assert "Synthetic scenario" not in response.get_data(as_text=True)


def test_result_api_is_409_in_progress_and_404_for_another_user(
    client, session, bank, user
) -> None:
    running = finish(session, user, "quiz-20", when=utcnow(), submit=False)
    theirs = finish(session, UserFactory(), "quiz-20")
    client.login(EMAIL)
    response = client.get(f"/api/v1/attempts/{running.id}/result")
    assert response.status_code == 409
    assert response.get_json()["error"].startswith(f"attempt {running.id} is still in progress")
    response = client.get(f"/api/v1/attempts/{theirs.id}/result")
    assert response.status_code == 404
    assert response.is_json
    assert client.get("/api/v1/attempts/424242/result").status_code == 404


def test_dashboard_links_each_result_to_its_review_and_to_the_history(
    client, session, bank, user
) -> None:
    attempt = finish(session, user, "quiz-20")
    client.login(EMAIL)
    page = html(client.get("/dashboard"))
    assert f'href="/attempts/{attempt.id}/scorecard"' in page
    assert f'href="/attempts/{attempt.id}/review"' in page
    assert 'href="/history">Your history' in page
