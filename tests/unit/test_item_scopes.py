"""Item analysis over every scope at once, on a hand-worked set of four attempts."""

from __future__ import annotations

import numpy as np
import pytest

from exam_engine.domain.item_analysis import Thresholds
from exam_engine.domain.item_scopes import ALL_TEMPLATES, ResponseData, compute


def _ints(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def _data() -> ResponseData:
    # a0, a2: user 1 takes "full" twice; a1: user 2 takes "full"; a3: user 3 takes "quiz".
    # Items 0, 1, 2 are keyed A, B, C (choices 0, 1, 2); item 1 is on both templates.
    return ResponseData(
        attempt_ids=_ints(10, 11, 12, 13),
        attempt_user=_ints(1, 2, 1, 3),
        attempt_template=_ints(0, 0, 0, 1),
        template_names=("full", "quiz"),
        entry_attempt=_ints(0, 0, 1, 1, 2, 2, 3, 3),
        entry_position=_ints(1, 2, 1, 2, 1, 2, 1, 2),
        entry_item=_ints(0, 1, 0, 1, 0, 1, 1, 2),
        entry_choice=_ints(0, 0, 0, 1, 0, 1, 1, 2),
        version_ids=_ints(101, 102, 103),
        keys=_ints(0, 1, 2),
    )


# Function-scoped on purpose: a mutation-testing run maps each test to the code it calls, and
# a module-scoped fixture would tie the computation to the first test alone.
@pytest.fixture
def computed():
    return compute(_data(), Thresholds(min_responses=1))


def test_each_template_and_all_together_is_a_scope(computed) -> None:
    scopes = {scope.template: scope for scope in computed.scopes}
    assert [scope.template for scope in computed.scopes] == ["full", "quiz", ALL_TEMPLATES]
    assert scopes["full"].version_ids == [101, 102]
    assert scopes["quiz"].version_ids == [102, 103]
    assert scopes[ALL_TEMPLATES].version_ids == [101, 102, 103]
    assert computed.row_count == 7


def test_repeat_exposures_are_left_out(computed) -> None:
    # User 1's second "full" attempt shows items already seen: 6 first exposures of 8 entries.
    assert computed.responses == 6
    scopes = {scope.template: scope for scope in computed.scopes}
    assert scopes[ALL_TEMPLATES].rows.responses == [2, 3, 1]
    assert scopes[ALL_TEMPLATES].rows.facility == [1.0, 0.6667, 1.0]
    assert scopes["full"].rows.facility == [1.0, 0.5]
    assert scopes["quiz"].rows.facility == [1.0, 1.0]


def test_test_statistics_use_each_users_first_attempt_of_a_template(computed) -> None:
    by_name = {row["template"]: row for row in computed.templates}
    assert [row["template"] for row in computed.templates] == ["full", "quiz", ALL_TEMPLATES]
    assert by_name["full"]["attempts"] == 2
    assert by_name["full"]["values"]["responses"] == 4
    assert by_name["full"]["values"]["versions"] == 2
    assert by_name["full"]["values"]["mean"] == 1.5
    assert by_name["quiz"]["attempts"] == 1
    assert by_name["quiz"]["values"]["responses"] == 2
    assert by_name["quiz"]["values"]["mean"] == 2.0


def test_a_template_row_holds_its_test_statistics_and_its_item_counts(computed) -> None:
    # Users 1 and 2 scored 1 and 2 of 2 on their first "full" attempt; user 3 scored 2 of 2
    # on "quiz", too few attempts for alpha or SD.
    full, quiz = computed.templates[:2]
    assert full == {
        "template": "full",
        "attempts": 2,
        "values": {
            "items": 2,
            "excluded_attempts": 0,
            "mean": 1.5,
            "mean_percent": 75.0,
            "sd": 0.7071,
            "sd_percent": 35.3553,
            "median_percent": 75.0,
            "min_percent": 50.0,
            "max_percent": 100.0,
            "alpha": 0.0,
            "sem": 0.7071,
            "sem_percent": 35.3553,
            "suppressed": False,
            "min_responses": 1,
            "distribution": [0, 0, 0, 0, 0, 1, 0, 0, 0, 1],
            "responses": 4,
            "versions": 2,
            "flagged": computed.scopes[0].rows.review_flagged,
        },
    }
    assert quiz["attempts"] == 1
    assert quiz["values"]["items"] == 2
    assert quiz["values"]["sd"] is None
    assert quiz["values"]["alpha"] is None
    assert quiz["values"]["flagged"] == computed.scopes[1].rows.review_flagged


def test_an_attempt_of_another_form_length_is_counted_as_excluded() -> None:
    # Three users take "full": two see both items, the third a one-item form.
    data = ResponseData(
        attempt_ids=_ints(10, 11, 12),
        attempt_user=_ints(1, 2, 3),
        attempt_template=_ints(0, 0, 0),
        template_names=("full",),
        entry_attempt=_ints(0, 0, 1, 1, 2),
        entry_position=_ints(1, 2, 1, 2, 1),
        entry_item=_ints(0, 1, 0, 1, 0),
        entry_choice=_ints(0, 1, 0, 0, 1),
        version_ids=_ints(101, 102),
        keys=_ints(0, 1),
    )
    full, everything = compute(data, Thresholds(min_responses=1)).templates
    assert full["attempts"] == 2
    assert full["values"]["excluded_attempts"] == 1
    assert full["values"]["mean"] == 1.5
    # The one-item form has no rest score, so its entry is no item response either.
    assert full["values"]["responses"] == 4
    assert everything["attempts"] == 3


def test_no_finished_attempts_give_only_an_empty_all_templates_row() -> None:
    empty = _ints()
    data = ResponseData(
        attempt_ids=empty,
        attempt_user=empty,
        attempt_template=empty,
        template_names=(),
        entry_attempt=empty,
        entry_position=empty,
        entry_item=empty,
        entry_choice=empty,
        version_ids=empty,
        keys=empty,
    )
    computed = compute(data, Thresholds(min_responses=5))
    assert [scope.template for scope in computed.scopes] == [ALL_TEMPLATES]
    assert computed.row_count == 0
    assert computed.templates == [
        {
            "template": ALL_TEMPLATES,
            "attempts": 0,
            "values": {
                "responses": 0,
                "versions": 0,
                "flagged": 0,
                "users": 0,
                "templates": [],
                "min_responses": 5,
            },
        }
    ]


def test_the_all_templates_row_counts_every_attempt_and_user(computed) -> None:
    row = computed.templates[-1]
    assert row == {
        "template": ALL_TEMPLATES,
        "attempts": 4,
        "values": {
            "responses": 6,
            "versions": 3,
            "flagged": row["values"]["flagged"],
            "users": 3,
            "templates": ["full", "quiz"],
            "min_responses": 1,
        },
    }
    assert row["values"]["flagged"] == sum(
        scope.rows.review_flagged for scope in computed.scopes if scope.template == ALL_TEMPLATES
    )
