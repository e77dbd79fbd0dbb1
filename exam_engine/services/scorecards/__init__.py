"""Scorecards: what the result pages and the result API show about a candidate's attempts."""

from exam_engine.services.scorecards.card import (
    AttemptInProgress,
    Scorecard,
    ScoreLine,
    build_scorecard,
    finished_attempt,
)
from exam_engine.services.scorecards.history import History, HistoryEntry, build_history
from exam_engine.services.scorecards.outlook import (
    DEFAULT_FORM_SIZE,
    DrillSuggestion,
    Outlook,
    StandingLine,
    domain_drill,
    form_size,
    mock_observations,
    outlook,
)
from exam_engine.services.scorecards.review import (
    Review,
    ReviewFilter,
    ReviewItem,
    ReviewOption,
    build_review,
)

__all__ = [
    "DEFAULT_FORM_SIZE",
    "AttemptInProgress",
    "DrillSuggestion",
    "History",
    "HistoryEntry",
    "Outlook",
    "Review",
    "ReviewFilter",
    "ReviewItem",
    "ReviewOption",
    "ScoreLine",
    "Scorecard",
    "StandingLine",
    "build_history",
    "build_review",
    "build_scorecard",
    "domain_drill",
    "finished_attempt",
    "form_size",
    "mock_observations",
    "outlook",
]
