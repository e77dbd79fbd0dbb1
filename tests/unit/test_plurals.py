"""Counts with their noun in the right number."""

from __future__ import annotations

import pytest

from exam_engine.domain.plurals import counted, plural


@pytest.mark.parametrize(
    ("number", "expected"),
    [(0, "0 errors"), (1, "1 error"), (2, "2 errors"), (1024, "1024 errors"), (-1, "-1 errors")],
)
def test_counted_puts_the_noun_in_the_number_the_count_asks_for(number, expected) -> None:
    assert counted(number, "error") == expected


def test_plural_keeps_a_phrase_and_only_ends_its_last_word() -> None:
    assert plural(1, "new version") == "new version"
    assert plural(3, "new version") == "new versions"
