"""Item-analysis pages: access, never recomputing on GET, the recompute button, the tables."""

from __future__ import annotations

import re
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from exam_engine.models import (
    ExamTemplate,
    ItemStatistic,
    TemplateStatistic,
    utcnow,
)
from exam_engine.services import item_stats
from tests.factories import (
    ExamTemplateFactory,
    QuestionFactory,
    QuestionVersionFactory,
    UserFactory,
)
from tests.support import stored_attempt

T0 = utcnow().replace(microsecond=0) - timedelta(days=3)


def add_attempt(session, template, answers, *, minutes=0, started=None):
    """A submitted mock of a new candidate that showed ``answers``: [(version, stored choice)]."""
    started = started or T0 + timedelta(minutes=minutes)
    return stored_attempt(session, UserFactory(), template, answers, started=started, seed=minutes)


@pytest.fixture
def cohort(session):
    """Template "web" with 40 attempts over 8 items; item D3-C-000 is miskeyed (B is right)."""
    template = ExamTemplateFactory(name="web", title="Web mock")
    bank = [
        QuestionVersionFactory(
            question=QuestionFactory(key=f"D3-C-{i:03d}"),
            subdomain="D3-C",
            domain="D3",
            answer_index=0,
            stem=f"Scenario **{i}** <script>alert(1)</script>",
            options=[f"Option *A{i}*", f"Option B{i}", f"Option C{i}", f"Option D{i}"],
        )
        for i in range(8)
    ]
    rng = np.random.default_rng(2)
    for n in range(40):
        ability = rng.normal()
        answers = []
        for i, version in enumerate(bank):
            real = 1 if i == 0 else 0
            right = rng.random() < 1 / (1 + np.exp(-2 * (ability - 0.2 * i + 0.5)))
            answers.append((version, real if right else (real + int(rng.integers(1, 4))) % 4))
        add_attempt(session, template, answers, minutes=n)
    return bank


def login(client, role="instructor"):
    UserFactory(email=f"{role}@example.com", role=role)
    client.login(f"{role}@example.com")


def recompute(session, minimum=30):
    return item_stats.recompute(session, now=utcnow(), min_responses=minimum)


def count_rows(session):
    return session.scalar(select(func.count(ItemStatistic.id)))


# --- Access ------------------------------------------------------------------------------------

PAGES = ["/item-analysis/", "/item-analysis/items/1"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_anonymous_cannot_recompute(client, session, cohort):
    response = client.post("/item-analysis/recompute")
    assert response.status_code == 302
    assert response.location.startswith("/login")
    assert count_rows(session) == 0


@pytest.mark.parametrize("role", ["candidate", "instructor", "admin"])
def test_instructors_and_admins_only(client, session, cohort, role):
    login(client, role)
    expected = 403 if role == "candidate" else 200
    assert client.get("/item-analysis/").status_code == expected
    assert client.get(f"/item-analysis/items/{cohort[0].id}").status_code == expected
    response = client.post("/item-analysis/recompute", data={"template": "web"})
    assert response.status_code == (403 if role == "candidate" else 303)
    assert count_rows(session) == (0 if role == "candidate" else 16)


# --- Never on GET; the button ---------------------------------------------------------------


def test_get_never_recomputes(client, session, cohort):
    login(client)
    html = client.get("/item-analysis/?template=web").get_data(as_text=True)
    assert "Not computed yet" in html
    assert "Recompute now" in html
    assert count_rows(session) == 0
    assert session.scalar(select(func.count(TemplateStatistic.id))) == 0


def test_recompute_button_then_stale_after_a_new_attempt(client, session, cohort):
    login(client)
    response = client.post("/item-analysis/recompute", data={"template": "web"})
    assert response.status_code == 303
    assert response.location == "/item-analysis/?template=web"
    html = client.get(response.location).get_data(as_text=True)
    assert "Recomputed: 16 item rows from 40 finished mock attempts" in html
    assert "Out of date" not in html
    assert "Computed <time" in html
    # A new attempt is marked stale by finalize; the page says so and keeps the old numbers.
    add_attempt(session, web_template(session), [(cohort[0], 0)], started=utcnow())
    item_stats.mark_stale(session, "web", now=utcnow())
    session.commit()
    html = client.get("/item-analysis/?template=web").get_data(as_text=True)
    assert "Out of date:" in html
    assert "1 mock attempt finished" in html
    assert stored_responses(session, cohort[0]) == 40


def web_template(session):
    return session.scalar(select(ExamTemplate).where(ExamTemplate.name == "web"))


def stored_responses(session, version):
    return session.scalar(
        select(ItemStatistic.responses).where(
            ItemStatistic.question_version_id == version.id, ItemStatistic.template == ""
        )
    )


def test_recompute_needs_the_csrf_token(app, raw_client, session, cohort):
    UserFactory(email="i@example.com", role="instructor")
    token = raw_client.get("/api/v1/csrf-token").get_json()["csrf_token"]
    raw_client.post(
        "/login",
        data={"email": "i@example.com", "password": "password-123456"},
        headers={"X-CSRFToken": token},
    )
    response = raw_client.post("/item-analysis/recompute", data={"template": "web"})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert count_rows(session) == 0


def test_recompute_for_an_unknown_scope_is_a_404_and_changes_nothing(client, session, cohort):
    login(client)
    response = client.post("/item-analysis/recompute", data={"template": "nope"})
    assert response.status_code == 404
    assert "template &#39;nope&#39; not found" in response.get_data(as_text=True)
    response = client.post("/item-analysis/recompute", data={"template": "x" * 81})
    assert response.status_code == 400
    assert "template" in response.get_data(as_text=True)
    assert count_rows(session) == 0


def test_recompute_uses_the_configured_minimum(app, client, session, cohort):
    login(client)
    app.config["ITEM_STATS_MIN_RESPONSES"] = 50
    try:
        client.post("/item-analysis/recompute", data={"template": ""})
    finally:
        app.config.pop("ITEM_STATS_MIN_RESPONSES")
    html = client.get("/item-analysis/").get_data(as_text=True)
    assert html.count("Too few responses (40 of 50)") == 8


# --- The item table -----------------------------------------------------------------------------


def test_item_table_shows_the_numbers_and_flags(client, session, cohort):
    recompute(session)
    login(client)
    response = client.get("/item-analysis/?template=web")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Web mock: the test as a whole" in html
    assert "Cronbach" in html
    assert "Showing 1–8 of 8 item versions" in html
    row = stored(session, cohort[0], "web")
    # The miskeyed item is first (most review flags) and shows its numbers.
    table = html.index('class="data stats-table"')
    body = html.index("<tbody>", table)
    first_row = html[body : html.index("</tr>", body)]
    assert "D3-C-000" in first_row
    assert f"{row.facility * 100:.1f}%" in first_row
    assert f"{row.discrimination:.2f}" in first_row
    # Flagged as a possible miskey on evidence, and as the floor item it is (its stored key
    # is rarely chosen), not as "low discrimination".
    assert "Possible miskey" in first_row
    assert "Floor effect" in first_row
    assert "Low discrimination" not in first_row
    assert 'aria-sort="descending"' in html
    assert "<script>alert" not in html


def stored(session, version, template):
    return session.scalar(
        select(ItemStatistic).where(
            ItemStatistic.question_version_id == version.id, ItemStatistic.template == template
        )
    )


def test_sort_and_filter(client, session, cohort):
    recompute(session)
    login(client)
    html = client.get("/item-analysis/?template=web&sort=facility&order=asc").get_data(as_text=True)
    facilities = [
        float(v) for v in re.findall(r'<td class="num">([\d.]+)%</td>\s*<td class="num">0\.', html)
    ]
    assert facilities == sorted(facilities)
    assert len(facilities) >= 2
    assert 'aria-sort="ascending"' in html
    html = client.get("/item-analysis/?template=web&flag=distractor-beats-key").get_data(
        as_text=True
    )
    assert "D3-C-000" in html
    assert "filtered from 8" in html
    html = client.get("/item-analysis/?template=web&q=c-007").get_data(as_text=True)
    assert "Showing 1–1 of 1" in html
    assert "D3-C-007" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sort=bogus", "Not a valid choice"),
        ("flag=bogus", "Not a valid choice"),
        ("page=0", "Page: Number must be between 1 and 1000000."),
        ("q=" + "x" * 41, "Field cannot be longer than 40 characters"),
    ],
)
def test_bad_filters_are_a_400_that_names_the_field(client, session, cohort, query, message):
    recompute(session)
    login(client)
    response = client.get("/item-analysis/?template=web&" + query)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Some filters were ignored" in html
    assert message in html
    # Fields on the form are marked; the page number has no field of its own.
    assert ('aria-invalid="true"' in html) == (not query.startswith("page"))
    # The bad filter is ignored, the rest still works.
    assert "D3-C-000" in html


def test_unknown_scope_is_a_404(client, session, cohort):
    login(client)
    response = client.get("/item-analysis/?template=nope")
    assert response.status_code == 404
    assert "template &#39;nope&#39; not found" in response.get_data(as_text=True)


def test_pagination(client, session):
    template = ExamTemplateFactory(name="big")
    bank = [
        QuestionVersionFactory(question=QuestionFactory(key=f"D1-B-{i:03d}")) for i in range(60)
    ]
    for n in range(2):
        add_attempt(session, template, [(v, 0) for v in bank], minutes=n)
    recompute(session, minimum=1)
    login(client)
    html = client.get("/item-analysis/?template=big&sort=key").get_data(as_text=True)
    assert "Page 1 of 2" in html
    assert "D1-B-049" in html
    assert "D1-B-050" not in html
    assert 'href="/item-analysis/?template=big&amp;sort=key&amp;page=2"' in html
    html = client.get("/item-analysis/?template=big&sort=key&page=2").get_data(as_text=True)
    assert "Showing 51–60 of 60" in html
    assert "D1-B-059" in html
    assert "D1-B-000" not in html


# --- The item page ------------------------------------------------------------------------------


def test_item_page_shows_the_option_table_and_why_it_is_flagged(client, session, cohort):
    recompute(session)
    login(client)
    version = cohort[0]
    response = client.get(f"/item-analysis/items/{version.id}?template=web")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Why this item is flagged" in html
    assert "Beats the key in the upper group" in html  # on option B's row
    row = stored(session, version, "web")
    for share in row.values["option_share"][:4]:
        assert f"{round(share * 100) + 0.0:.0f}%" in html
    assert "Option <em>A0</em>" in html
    assert "<strong>0</strong>" in html
    assert "&lt;script&gt;" in html or "<script>alert" not in html
    assert 'href="/authoring/questions/D3-C-000/edit"' in html
    assert "opens a new version" in html
    # Links to the same version in the other scope.
    assert f'href="/item-analysis/items/{version.id}"' in html


def test_item_page_for_a_version_without_statistics(client, session, cohort):
    login(client)
    html = client.get(f"/item-analysis/items/{cohort[1].id}").get_data(as_text=True)
    assert "No first-attempt responses to this version" in html
    assert "Not computed yet" in html


def test_item_page_says_when_a_newer_version_exists(client, session, cohort):
    recompute(session)
    QuestionVersionFactory(question=cohort[2].question, number=2, status="draft")
    login(client)
    html = client.get(f"/item-analysis/items/{cohort[2].id}").get_data(as_text=True)
    assert "v2 is the newest version of D3-C-002" in html


def test_item_page_errors(client, session, cohort):
    login(client)
    assert client.get("/item-analysis/items/999999").status_code == 404
    assert client.get(f"/item-analysis/items/{cohort[0].id}?template=nope").status_code == 404
    response = client.get(f"/item-analysis/items/{cohort[0].id}?template=" + "t" * 81)
    assert response.status_code == 400
    assert "template: at most 80" in response.get_data(as_text=True)


def test_pages_use_no_inline_script_or_style(client, session, cohort):
    recompute(session)
    login(client)
    for path in ("/item-analysis/?template=web", f"/item-analysis/items/{cohort[0].id}"):
        html = client.get(path).get_data(as_text=True)
        assert "style=" not in html
        scripts = re.findall(r"<script[^>]*>", html)
        assert scripts and all(" src=" in tag for tag in scripts)
        assert "bundle/app-stats.css" in html


def test_the_page_says_what_share_is_flagged_and_why(client, session, cohort):
    recompute(session)
    login(client)
    html = client.get("/item-analysis/?template=web").get_data(as_text=True)
    page = item_stats.list_items(session, "web")
    counts = page.flag_counts
    summary = html[
        html.index('id="flag-summary-heading"') : html.index(
            "</section>", html.index('id="flag-summary-heading"')
        )
    ]
    judged = page.all_items - counts.get("too-few-responses", 0)
    share = round(100 * counts["any"] / judged)
    assert f"{counts['any']} of {judged} item versions with enough responses ({share}%)" in summary
    for code, label in (
        ("distractor-beats-key", "Possible miskey"),
        ("low-discrimination", "Low discrimination"),
        ("too-easy", "Ceiling effect"),
        ("too-hard", "Floor effect"),
        ("non-functioning-distractor", "Weak distractor"),
    ):
        row = re.search(
            rf'>{label}</a><span class="flag-rule">[^<]+</span></th><td class="num">(\d+)</td>',
            summary,
        )
        assert row, label
        assert int(row.group(1)) == counts.get(code, 0)
    assert "beyond chance (one-sided exact binomial test, p &lt; 0.05)" in summary
    assert counts["distractor-beats-key"] == 1


def test_the_instructor_home_lists_flagged_items(client, session, cohort):
    recompute(session)
    login(client)
    html = client.get("/instructor").get_data(as_text=True)
    flagged = html[html.index('id="home-flagged-heading"') :]
    flagged = flagged[: flagged.index("</section>")]
    any_flag = item_stats.list_items(session, "").flag_counts["any"]
    assert f'<span class="count-badge">{any_flag}</span>' in flagged
    first = flagged[flagged.index("<li>") : flagged.index("</li>")]
    assert "D3-C-000" in first
    assert "Possible miskey" in first
