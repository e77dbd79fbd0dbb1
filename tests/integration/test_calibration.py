"""Calibration service and command: what is read, what is stored, staleness, ability in results."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from exam_engine.models import CalibrationRun, ExamTemplate, ItemCalibration, utcnow
from exam_engine.services import attempts, calibration
from exam_engine.services.calibration import check
from exam_engine.services.errors import ValidationFailed
from tests.factories import UserFactory
from tests.support import seed_bank, stored_attempt
from tests.support.irt import PERSONS, T0, simulate


@pytest.fixture
def bank(session):
    return seed_bank(session, per_subdomain=10)


def test_recalibrate_stores_every_shown_version_and_recovers_difficulty(session, bank):
    true_b, made = simulate(session, bank)
    report = calibration.recalibrate(session, model="rasch", now=utcnow())
    rows = session.scalars(select(ItemCalibration)).all()
    shown = {item.question_version_id for attempt in made for item in attempt.items}
    assert {row.question_version_id for row in rows} == shown
    assert report.attempts == PERSONS
    assert report.responses == PERSONS * 60
    assert report.items == len(shown)
    assert report.converged
    assert sum(row.responses for row in rows) == PERSONS * 60
    estimated = np.array([row.difficulty for row in rows])
    truth = np.array([true_b[row.question_version_id] for row in rows])
    # About 30 responses an item and a prior: loose, but far above chance.
    assert np.corrcoef(estimated, truth)[0, 1] > 0.6
    assert all(row.discrimination == 1.0 and row.difficulty_se > 0 for row in rows)
    run = session.scalar(select(CalibrationRun))
    assert run.model == "rasch"
    assert run.stale_since is None
    assert run.values["cut"] is not None
    assert run.values["cut_target"] == 0.65


def test_recalibrating_replaces_rows_and_each_model_keeps_its_own(session, bank):
    simulate(session, bank, persons=10)
    calibration.recalibrate(session, model="rasch", now=utcnow())
    calibration.recalibrate(session, model="rasch", now=utcnow())
    calibration.recalibrate(session, model="2pl", now=utcnow())
    counts = dict(
        session.execute(select(ItemCalibration.model, func.count()).group_by(ItemCalibration.model))
        .tuples()
        .all()
    )
    assert counts["rasch"] == counts["2pl"] > 0
    assert session.scalar(select(func.count()).select_from(CalibrationRun)) == 2


def test_drills_and_later_exposures_do_not_count(session, bank):
    simulate(session, bank, persons=5, kind="drill")
    report = calibration.recalibrate(session, now=utcnow())
    assert report.attempts == 0
    assert report.items == 0
    assert session.scalar(select(func.count()).select_from(ItemCalibration)) == 0
    user = UserFactory()
    from exam_engine.models import ExamTemplate

    template = session.scalar(select(ExamTemplate).where(ExamTemplate.name == "aaism-full"))
    v = bank[0]
    stored_attempt(session, user, template, [(v, v.answer_index)], started=T0)
    stored_attempt(
        session, user, template, [(v, 3 - v.answer_index)], started=T0 + timedelta(hours=1)
    )
    calibration.recalibrate(session, now=utcnow())
    row = session.scalar(select(ItemCalibration))
    assert row.responses == 1


def test_unknown_model_is_refused(session, bank):
    with pytest.raises(ValidationFailed, match="model: must be one of rasch, 2pl, got '3pl'"):
        calibration.recalibrate(session, model="3pl", now=utcnow())


def test_a_finished_mock_marks_calibrations_stale_and_a_drill_does_not(session, bank):
    simulate(session, bank, persons=3)
    calibration.recalibrate(session, now=utcnow())
    calibration.recalibrate(session, model="2pl", now=utcnow())
    user = UserFactory()
    when = utcnow() - timedelta(hours=1)
    drill = attempts.start_attempt(session, user.id, "drill-d1", now=when)
    attempts.submit_attempt(session, user.id, drill.id, now=when, grace_seconds=30)
    assert all(run.stale_since is None for run in session.scalars(select(CalibrationRun)))
    mock = attempts.start_attempt(session, user.id, "aaism-full", now=when)
    attempts.submit_attempt(
        session, user.id, mock.id, now=when + timedelta(minutes=1), grace_seconds=30
    )
    session.expire_all()
    runs = session.scalars(select(CalibrationRun)).all()
    assert len(runs) == 2
    assert all(run.stale_since is not None for run in runs)
    listing = calibration.calibration_listing(session, model="rasch", min_responses=30)
    assert listing["stale"] is True
    calibration.recalibrate(session, now=utcnow())
    assert (
        calibration.calibration_listing(session, model="rasch", min_responses=30)["stale"] is False
    )


def test_cli_calibrate_json_and_text(app, session, bank):
    simulate(session, bank, persons=12)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["bank", "calibrate", "--model", "2pl", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["model"] == "2pl"
    assert data["attempts"] == 12
    assert data["stale"] is False
    assert data["items"]
    assert all(
        {
            "key",
            "version",
            "difficulty",
            "difficulty_se",
            "discrimination",
            "discrimination_se",
            "responses",
            "enough_responses",
            "infit",
            "outfit",
        }
        <= set(item)
        for item in data["items"]
    )
    assert all(item["enough_responses"] is (item["responses"] >= 30) for item in data["items"])
    assert "calibrated" in result.stderr
    assert "EM iterations" in result.stderr
    text = runner.invoke(args=["bank", "calibrate"])
    assert text.exit_code == 0
    assert "cut (65% expected" in text.stdout
    assert "(few responses: near its prior)" in text.stdout
    bad = runner.invoke(args=["bank", "calibrate", "--model", "3pl"])
    assert bad.exit_code == 2
    assert "3pl" in bad.output


def test_the_check_and_the_scale_carry_the_calibration_errors(session, bank):
    from exam_engine.domain.irt.shrinkage import shrink_discrimination
    from exam_engine.services.calibration.ability import current_scale
    from exam_engine.services.calibration.check import _parameters

    simulate(session, bank)
    calibration.recalibrate(session, model="2pl", now=utcnow())
    rows = session.scalars(select(ItemCalibration).order_by(ItemCalibration.id)).all()
    params = _parameters(session)
    shrunk, shrunk_se = shrink_discrimination(
        [row.discrimination for row in rows], [row.discrimination_se for row in rows]
    )
    assert set(params) == {row.question_version_id for row in rows}
    for row, a, se_a in zip(rows, shrunk, shrunk_se, strict=True):
        assert params[row.question_version_id] == pytest.approx(
            (a, row.difficulty, se_a, row.difficulty_se)
        )
    # Shrunk toward the bank: no discrimination further from the (log) mean than stored.
    log_mean = np.log([row.discrimination for row in rows]).mean()
    for row in rows:
        a = params[row.question_version_id][0]
        assert abs(np.log(a) - log_mean) <= abs(np.log(row.discrimination) - log_mean) + 1e-9
    scale = current_scale(session, min_attempts=1, weights={"D1": 31, "D2": 31, "D3": 38})
    assert scale is not None
    assert scale.errors == {
        row.question_version_id: (row.discrimination_se, row.difficulty_se) for row in rows
    }


@pytest.mark.parametrize(("difficulty", "mean"), [("easy", -1.0), ("medium", 0.0), ("hard", 1.0)])
def test_the_check_takes_an_unanswered_item_as_the_calibration_would(
    difficulty: str, mean: float
) -> None:
    from exam_engine.domain.assembly import PoolItem as BankItem
    from exam_engine.domain.irt import calibrate
    from exam_engine.services.calibration.check import _params_of

    source = BankItem("K-1", 7, "D1", "D1-A", difficulty)
    fit = calibrate([], [], [], [mean], model="2pl")
    expected = (fit.a[0], fit.b[0], fit.se_a[0], fit.se_b[0])
    assert _params_of(7, {}, {7: source}) == pytest.approx(expected, abs=1e-6)


def test_the_check_template_made_by_an_older_release_gets_todays_words(session):
    old = check.ensure_template(session)
    old.description = "Adaptive: stops at SE 0.30 or 40 questions."
    session.flush()
    again = check.ensure_template(session)
    assert again.id == old.id
    assert again.description == check.CHECK_DESCRIPTION
    assert "clearly above or below the pass mark" in again.description
    names = session.scalars(select(ExamTemplate.name).where(ExamTemplate.name == again.name))
    assert len(names.all()) == 1
