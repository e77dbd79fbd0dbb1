"""Text differences for reviewers: side-by-side rows with changed words marked, and unified diffs.

Pure functions over lines of text (``difflib``); the authoring service feeds them a version's
fields and the history page draws the result.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    """A run of text on one side of a changed line; ``changed`` marks the differing words."""

    text: str
    changed: bool


@dataclass(frozen=True)
class DiffRow:
    """One side-by-side row: ``equal``, ``replace``, ``delete`` or ``insert``."""

    kind: str
    left: tuple[Segment, ...] | None
    right: tuple[Segment, ...] | None


@dataclass(frozen=True)
class UnifiedLine:
    """One line of a unified diff: ``kind`` is ``context``, ``removed``, ``added`` or ``hunk``."""

    kind: str
    text: str


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def _word_segments(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Split two lines into runs of same and changed words."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    left: list[Segment] = []
    right: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            left.append(Segment("".join(a[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.append(Segment("".join(b[j1:j2]), tag != "equal"))
    return tuple(left), tuple(right)


def diff_lines(old: Sequence[str], new: Sequence[str]) -> tuple[DiffRow, ...]:
    """Side-by-side rows for two texts given as lines, changed lines split into words."""
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, list(old), list(new), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(
                DiffRow("equal", (Segment(line, False),), (Segment(line, False),))
                for line in old[i1:i2]
            )
            continue
        left_lines, right_lines = list(old[i1:i2]), list(new[j1:j2])
        for n in range(max(len(left_lines), len(right_lines))):
            left = left_lines[n] if n < len(left_lines) else None
            right = right_lines[n] if n < len(right_lines) else None
            if left is not None and right is not None:
                rows.append(DiffRow("replace", *_word_segments(left, right)))
            elif left is not None:
                rows.append(DiffRow("delete", (Segment(left, True),), None))
            else:
                rows.append(DiffRow("insert", None, (Segment(right or "", True),)))
    return tuple(rows)


def unified_lines(old: Sequence[str], new: Sequence[str]) -> tuple[UnifiedLine, ...]:
    """A unified diff of two texts given as lines, without the file header."""
    out: list[UnifiedLine] = []
    for line in difflib.unified_diff(list(old), list(new), lineterm="", n=3):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            out.append(UnifiedLine("hunk", line))
        elif line.startswith("-"):
            out.append(UnifiedLine("removed", line[1:]))
        elif line.startswith("+"):
            out.append(UnifiedLine("added", line[1:]))
        else:
            out.append(UnifiedLine("context", line[1:]))
    return tuple(out)
