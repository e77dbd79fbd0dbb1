"""Stored item rows built column-wise are exactly ``item_summaries`` encoded by json.dumps."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exam_engine.domain.item_analysis import (
    Thresholds,
    item_stats,
    item_summaries,
    score_entries,
)
from exam_engine.domain.summary_rows import number_texts, summary_rows
from tests.support.properties import examples
from tests.unit.test_item_analysis import random_forms


@pytest.mark.parametrize("minimum", [1, 20, 45, 10_000])
@pytest.mark.parametrize("seed", [1, 2])
def test_rows_are_the_summaries_as_json_dumps_writes_them(seed, minimum) -> None:
    rng = np.random.default_rng(seed)
    attempt, item, choice, keys = random_forms(rng, n_attempts=400, bank=60, lengths=(5, 12))
    # An item nobody saw, and one everybody got right (undefined correlations: null).
    keys = np.concatenate((keys, [0]))
    scored = score_entries(attempt, item, choice, keys, 400)
    stats = item_stats(item, choice, scored.rest, keys, rest_rank=scored.rest_rank)
    thresholds = Thresholds(min_responses=minimum)
    expected = item_summaries(stats, thresholds)
    rows = summary_rows(stats, thresholds)
    assert rows.index == [s.index for s in expected]
    assert rows.responses == [s.responses for s in expected]
    assert rows.facility == [s.facility for s in expected]
    assert rows.discrimination == [s.discrimination for s in expected]
    assert rows.flags == [json.dumps(list(s.flags)) for s in expected]
    assert rows.values == [json.dumps(s.values) for s in expected]
    review = [s for s in expected if set(s.flags) - {"too-few-responses"}]
    assert rows.review_flagged == len(review)
    if minimum == 10_000:
        assert all('"suppressed": true' in text for text in rows.values)


def test_an_item_everybody_got_right_has_nulls() -> None:
    stats = item_stats([0, 0, 0, 1, 1], [2, 2, 2, 0, 1], [0.2, 0.6, 1.0, 0.5, 0.3], [2, 0])
    rows = summary_rows(stats, Thresholds(min_responses=1))
    values = json.loads(rows.values[0])
    assert rows.discrimination[0] is None
    assert values["efficiency"] is None
    assert values["option_r"][2] is None
    assert rows.values == [json.dumps(s.values) for s in item_summaries(stats, Thresholds(1))]


@settings(max_examples=examples(200), deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(-1.0, 1.0),
            # Statistics are shares, correlations and group sizes: nowhere near overflow.
            st.floats(-1e12, 1e12),
            st.just(math.nan),
            st.sampled_from([-0.0, 0.0, -0.00004, 0.00005, 0.99995, -1.0, 1.0, 1e-5, 123.45678]),
        ),
        min_size=1,
        max_size=30,
    ),
    st.integers(0, 6),
)
def test_number_texts_match_json_dumps_of_the_rounded_value(values, digits) -> None:
    texts = number_texts(np.array(values), digits)
    for value, text in zip(values, texts.tolist(), strict=True):
        rounded = round(value, digits) if not math.isnan(value) else None
        # numpy rounds a half the same way Python does for these (to even on the scaled value);
        # compare with numpy's own rounding, which item_summaries uses.
        rounded = None if rounded is None else float(np.round(value, digits))
        assert text == json.dumps(rounded)
        if rounded is not None:
            parsed = json.loads(text)
            assert parsed == rounded
            assert math.copysign(1, parsed) == math.copysign(1, rounded)


def test_number_texts_keep_the_shape() -> None:
    texts = number_texts(np.array([[0.5, math.nan], [-0.25, 2.5]]), 4)
    assert texts.tolist() == [["0.5", "null"], ["-0.25", "2.5"]]


def test_integer_texts_beyond_the_table() -> None:
    from exam_engine.domain.summary_rows import _int_texts

    assert _int_texts(np.array([[0, 70_000], [3, 65_535]])).tolist() == [
        ["0", "70000"],
        ["3", "65535"],
    ]
    assert _int_texts(np.array([-2, 5])).tolist() == ["-2", "5"]
