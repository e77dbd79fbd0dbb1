"""Ability in results: the classical fallback says so; after calibration, EAP with its SE."""

from __future__ import annotations

import pytest

from exam_engine.models import utcnow
from exam_engine.services import calibration
from tests.factories import UserFactory
from tests.support.irt import simulate
from tests.web.test_results import EMAIL, finish, html


@pytest.fixture
def user(session):
    return UserFactory(email=EMAIL)


def test_without_calibration_the_result_falls_back_to_classical_and_says_so(
    client, session, bank, user
) -> None:
    attempt = finish(session, user)
    client.login(EMAIL)
    data = client.get(f"/api/v1/attempts/{attempt.id}/result").get_json()
    assert data["estimate_basis"] == "classical"
    assert data["ability"] == {"available": False, "reason": calibration.THIN_REASON}
    page = html(client.get(f"/attempts/{attempt.id}/scorecard"))
    assert "too little calibration data" in page


def test_after_calibration_a_mock_result_carries_ability_with_se_by_domain(
    client, session, bank, user
) -> None:
    simulate(session, bank, persons=35)
    calibration.recalibrate(session, now=utcnow())
    strong = finish(session, user)
    weak = finish(session, user, right=lambda item: item.position % 4 == 0)
    client.login(EMAIL)
    good = client.get(f"/api/v1/attempts/{strong.id}/result").get_json()
    poor = client.get(f"/api/v1/attempts/{weak.id}/result").get_json()
    for data in (good, poor):
        assert data["estimate_basis"] == "ability"
        ability = data["ability"]
        assert ability["available"] is True
        assert set(ability["by_domain"]) == {"D1", "D2", "D3"}
        assert all(0 < d["se"] < 1 for d in ability["by_domain"].values())
        assert 0 < ability["se"] < min(d["se"] for d in ability["by_domain"].values())
        assert data["pass_probability"] == ability["pass_probability"]
        assert data["scaled_estimate"] == ability["scaled_estimate"]
        low, high = ability["interval"]
        assert low == pytest.approx(ability["theta"] - 1.96 * ability["se"], abs=1e-3)
        assert high == pytest.approx(ability["theta"] + 1.96 * ability["se"], abs=1e-3)
    assert good["ability"]["theta"] > good["ability"]["cut"] > poor["ability"]["theta"]
    assert good["pass_probability"] > 0.9 > 0.1 > poor["pass_probability"]
    assert good["scaled_estimate"] > 450 > poor["scaled_estimate"]
    page = html(client.get(f"/attempts/{strong.id}/scorecard"))
    assert "Ability" in page
    assert "calibrated scale" in page
    assert "Ability &plusmn; SE" in page
    # The note explains the figures shown, not the classical model they replaced.
    assert "item-response estimate on the calibrated scale" in page
    assert "Beta-binomial" not in page


def test_history_shows_ability_over_mocks_and_drills_on_one_scale(
    client, session, bank, user
) -> None:
    client.login(EMAIL)
    finish(session, user)
    page = html(client.get("/history"))
    assert "Ability appears here once the bank is calibrated" in page
    simulate(session, bank, persons=35)
    calibration.recalibrate(session, now=utcnow())
    finish(session, user, template="drill-d1", right=lambda item: False)
    page = html(client.get("/history"))
    trend = page[page.index('class="data compact ability-trend"') :]
    trend = trend[: trend.index("</table>")]
    assert trend.count("<tr>") == 3  # the header, the mock and the drill
    assert "Full" in trend or "AAISM" in trend
