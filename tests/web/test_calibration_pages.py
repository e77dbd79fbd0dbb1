"""The calibration page and its recalibrate button: staff only, CSRF, never refits on a view."""

from __future__ import annotations

from sqlalchemy import func, select

from exam_engine.models import CalibrationRun
from tests.factories import UserFactory
from tests.support.irt import simulate


def test_staff_recalibrate_from_the_page_and_see_parameters(client, session, bank) -> None:
    simulate(session, bank, persons=12)
    UserFactory(email="staff@example.com", role="instructor")
    client.login("staff@example.com")
    page = client.get("/item-analysis/calibration").get_data(as_text=True)
    assert "Not calibrated yet with this model." in page
    # Viewing never calibrates.
    assert session.scalar(select(func.count()).select_from(CalibrationRun)) == 0
    response = client.post("/item-analysis/calibrate", data={"model": "2pl"})
    assert response.status_code == 303
    assert response.location.endswith("/item-analysis/calibration?model=2pl")
    page = client.get(response.location).get_data(as_text=True)
    assert "Calibrated" in page
    assert "from 12 finished mock attempts" in page
    assert "Discrimination (a)" in page
    assert "(few)" in page
    assert "Stale" not in page
    assert "IRT calibration" in client.get("/item-analysis/").get_data(as_text=True)


def test_bad_model_is_400_and_candidates_are_refused(client, raw_client, session, bank) -> None:
    UserFactory(email="staff@example.com", role="instructor")
    client.login("staff@example.com")
    assert client.get("/item-analysis/calibration?model=3pl").status_code == 400
    assert client.post("/item-analysis/calibrate", data={"model": "3pl"}).status_code == 400
    client.post("/logout")
    UserFactory(email="cand@example.com")
    client.login("cand@example.com")
    assert client.get("/item-analysis/calibration").status_code in (403, 404)
    assert client.post("/item-analysis/calibrate", data={"model": "rasch"}).status_code in (
        403,
        404,
    )
    assert session.scalar(select(func.count()).select_from(CalibrationRun)) == 0


def _calibration_section(page: str) -> str:
    start = page.index('id="calibration-heading"')
    return page[start : page.index("</section>", start)]


def test_item_page_shows_each_models_parameters_date_and_staleness(client, session, bank) -> None:
    from exam_engine.models import ItemCalibration, utcnow
    from exam_engine.services import attempts, calibration

    _, made = simulate(session, bank, persons=35)
    UserFactory(email="staff@example.com", role="instructor")
    client.login("staff@example.com")
    version = bank[0]
    before = _calibration_section(client.get(f"/item-analysis/items/{version.id}").get_data(True))
    assert "Not calibrated yet." in before
    assert "/item-analysis/calibration" in before
    calibration.recalibrate(session, model="rasch", now=utcnow())
    calibration.recalibrate(session, model="2pl", now=utcnow())
    rows = {
        row.model: row
        for row in session.scalars(
            select(ItemCalibration).where(ItemCalibration.question_version_id == version.id)
        )
    }
    assert set(rows) == {"rasch", "2pl"}
    section = _calibration_section(client.get(f"/item-analysis/items/{version.id}").get_data(True))
    rasch, two_pl = rows["rasch"], rows["2pl"]
    assert f'{rasch.difficulty:.2f} <span class="se">SE {rasch.difficulty_se:.2f}</span>' in section
    assert (
        f'{two_pl.difficulty:.2f} <span class="se">SE {two_pl.difficulty_se:.2f}</span>' in section
    )
    assert (
        f'{two_pl.discrimination:.2f} <span class="se">SE {two_pl.discrimination_se:.2f}</span>'
        in section
    )
    assert '1.00 <span class="se">(fixed)</span>' in section  # Rasch's a
    assert f"{rasch.infit:.2f}" in section
    assert f"{rasch.outfit:.2f}" in section
    assert f">{rasch.responses:,}" in section
    assert '2PL <span class="small muted">(in use)</span>' in section  # the latest run
    assert "stale" not in section
    # A mock finishing afterwards makes both runs stale; the page says so and does not refit.
    user = made[0].user_id
    started = attempts.start_attempt(session, user, "quiz-20", now=utcnow())
    attempts.submit_attempt(session, user, started.id, now=utcnow(), grace_seconds=30)
    after = _calibration_section(client.get(f"/item-analysis/items/{version.id}").get_data(True))
    assert after.count('<span class="flag flag-stale">stale</span>') == 2
    assert "recalibrate on the calibration page" in after
    assert session.scalar(select(func.count()).select_from(CalibrationRun)) == 2
