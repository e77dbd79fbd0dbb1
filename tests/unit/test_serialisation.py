"""The JSON the domain hands to the API and the result cache: every key, exactly.

Clients and cached attempt results read these keys by name, so a renamed or dropped key is
a break even when every number is right.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from exam_engine.domain.grading import AttemptResult, Score
from exam_engine.domain.pacing import measure_pacing
from exam_engine.domain.readiness import ESTIMATE_LABEL, Readiness
from exam_engine.domain.review import Agreement
from exam_engine.domain.weak_areas import Standing, SubdomainStanding

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_pacing() -> None:
    pacing = measure_pacing(
        START, START + timedelta(minutes=90), items=90, answered=45, allowed_minutes=180
    )
    assert pacing.to_dict() == {
        "status": "tight",
        "used_seconds": 5400.0,
        "allowed_seconds": 10800.0,
        "items": 90,
        "answered": 45,
        "timed_out": False,
        "used_fraction": 0.5,
        "allowance_per_item": 120.0,
        "seconds_per_answered": 120.0,
        "pace_ratio": 1.0,
    }


def test_pacing_with_nothing_answered_has_no_per_answer_figures() -> None:
    pacing = measure_pacing(START, START, items=10, answered=0, allowed_minutes=10)
    data = pacing.to_dict()
    assert data["seconds_per_answered"] is None
    assert data["pace_ratio"] is None


def test_readiness() -> None:
    assert Readiness(0.25, 512).to_dict() == {
        "pass_probability": 0.25,
        "scaled_estimate": 512,
        "label": ESTIMATE_LABEL,
    }


def test_score_rounds_percent_and_interval_to_two_places() -> None:
    score = Score(2, 3, 66.666666, (20.777, 93.851))
    assert score.to_dict() == {"correct": 2, "total": 3, "percent": 66.67, "ci": [20.78, 93.85]}
    assert score.to_dict(with_ci=False) == {"correct": 2, "total": 3, "percent": 66.67}


def test_attempt_result() -> None:
    whole = Score(3, 4, 75.0, (30.0, 95.0))
    part = Score(1, 2, 50.0, (9.0, 91.0))
    result = AttemptResult(
        score=whole,
        by_domain={"D1": whole},
        by_subdomain={"D1-A": part, "D1-B": part},
        answered=3,
        unanswered_positions=(4,),
        flagged_positions=(1, 2),
    )
    assert result.to_dict() == {
        "score": whole.to_dict(),
        "by_domain": {"D1": whole.to_dict()},
        "by_subdomain": {"D1-A": part.to_dict(), "D1-B": part.to_dict()},
        "answered": 3,
        "unanswered_positions": [4],
        "flagged_positions": [1, 2],
    }


def test_standing() -> None:
    weak = SubdomainStanding("D1-A", "D1", 1, 6, 0.25, 0.97, "weak", 0.5)
    strong = SubdomainStanding("D1-B", "D1", 5, 6, 0.75, 0.02, "strong", 0.0)
    assert weak.to_dict() == {
        "code": "D1-A",
        "domain": "D1",
        "correct": 1,
        "total": 6,
        "posterior_mean": 0.25,
        "p_below_target": 0.97,
        "status": "weak",
        "priority": 0.5,
    }
    standing = Standing(
        standings=(weak, strong),
        weak_areas=(weak,),
        next_drill=("D1-A",),
        domain_rates={"D1": 0.5},
        correct=6,
        total=12,
        target=0.65,
    )
    assert standing.to_dict() == {
        "standings": [weak.to_dict(), strong.to_dict()],
        "weak_areas": ["D1-A"],
        "next_drill": ["D1-A"],
        "domain_rates": {"D1": 0.5},
        "correct": 6,
        "total": 12,
        "target": 0.65,
    }


def test_review_agreement_rounds_rates_to_four_places() -> None:
    agreement = Agreement(70, 0.985714, 0.514285, 36, 1.0, 0.555555)
    assert agreement.to_dict() == {
        "first_reviews": 70,
        "first_key_agreement": 0.9857,
        "first_pass_rate": 0.5143,
        "final_reviews": 36,
        "final_key_agreement": 1.0,
        "difficulty_agreement": 0.5556,
    }
