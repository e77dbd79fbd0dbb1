"""Text differences for the history page: side-by-side rows and unified diffs."""

from __future__ import annotations

from exam_engine.domain.textdiff import DiffRow, Segment, UnifiedLine, diff_lines, unified_lines


def test_equal_lines_are_plain_rows() -> None:
    assert diff_lines(["same"], ["same"]) == (
        DiffRow("equal", (Segment("same", False),), (Segment("same", False),)),
    )


def test_a_changed_line_marks_only_the_changed_words() -> None:
    (row,) = diff_lines(["Assess the data first"], ["Assess the model first"])
    assert row.kind == "replace"
    assert row.left == (
        Segment("Assess the ", False),
        Segment("data", True),
        Segment(" first", False),
    )
    assert row.right == (
        Segment("Assess the ", False),
        Segment("model", True),
        Segment(" first", False),
    )


def test_words_only_on_one_side_appear_on_that_side() -> None:
    (row,) = diff_lines(["Stop it"], ["Stop it now"])
    assert row.left == (Segment("Stop it", False),)
    assert row.right == (Segment("Stop it", False), Segment(" now", True))


def test_uneven_replacements_pair_lines_then_delete_or_insert() -> None:
    rows = diff_lines(["a", "old one", "old two", "z"], ["a", "new one", "z"])
    assert [row.kind for row in rows] == ["equal", "replace", "delete", "equal"]
    assert rows[2] == DiffRow("delete", (Segment("old two", True),), None)
    rows = diff_lines(["a"], ["a", "added"])
    assert rows[1] == DiffRow("insert", None, (Segment("added", True),))


def test_unified_lines_drop_the_file_header_and_name_each_line() -> None:
    lines = unified_lines(["one", "two", "three"], ["one", "2", "three", "four"])
    assert lines == (
        UnifiedLine("hunk", "@@ -1,3 +1,4 @@"),
        UnifiedLine("context", "one"),
        UnifiedLine("removed", "two"),
        UnifiedLine("added", "2"),
        UnifiedLine("context", "three"),
        UnifiedLine("added", "four"),
    )


def test_unified_lines_keep_three_lines_of_context() -> None:
    old = [f"line {n}" for n in range(10)]
    new = [*old[:5], "changed", *old[6:]]
    lines = unified_lines(old, new)
    assert lines[0] == UnifiedLine("hunk", "@@ -3,7 +3,7 @@")
    assert [line.kind for line in lines[1:]] == ["context"] * 3 + ["removed", "added"] + [
        "context"
    ] * 3
    assert unified_lines(old, old) == ()
