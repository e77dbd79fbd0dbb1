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
    assert "Calibrated" in page and "from 12 finished mock attempts" in page
    assert "Discrimination (a)" in page and "(few)" in page
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
