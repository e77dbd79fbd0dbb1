"""Items from other tools (Moodle, QTI players, spreadsheets) before the engine completes them.

A foreign file rarely carries what publishing needs (an AAISM sub-domain, a difficulty,
references, a rationale per option). Its readers therefore return :class:`ForeignItem`
values, which hold what the file said and nothing more, and the import turns each into a
draft with a checklist of what is missing. A :class:`ForeignParsed` with ``problems`` (a
syntax error, a truncated file) imports nothing; ``warnings`` name items skipped or changed
(another question type, math or a table the engine cannot keep) and never stop an import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from exam_engine.domain.bank import Problem
from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.errors import BlueprintError

# A segment that looks like an AAISM sub-domain code: D2-A, d2-a, D2A, D2_A.
# "D2-A", "d2_a" or "D2A"; not "D3 a" or "d3a", which free text holds too often ("D3 a review").
CODE_LIKE = re.compile(r"\b[Dd](\d+)(?:[-_]([A-Za-z])|([A-Z]))\b")


@dataclass(frozen=True)
class ForeignItem:
    """One single-answer multiple-choice item as another tool's file gave it.

    ``stem``, ``options``, ``rationales`` and ``general_feedback`` are the editor's Markdown;
    ``rationales`` has one entry per option ('' where the file had no feedback for it).
    ``answer`` is the index of the correct option. ``subdomain`` is an AAISM code found in
    the file's own words (a category path, a metadata value), already checked against the
    blueprint; None when the file named none. ``source_ref`` is the file's own name or
    identifier for the item ('' when it had none).
    """

    file: str
    line: int
    source_ref: str
    stem: str
    options: tuple[str, ...]
    answer: int
    rationales: tuple[str, ...]
    general_feedback: str = ""
    subdomain: str | None = None
    difficulty: str | None = None
    references: tuple[str, ...] = ()


class ForeignParsed(NamedTuple):
    """What a foreign reader returns: items, warnings (skipped or changed), problems."""

    items: tuple[ForeignItem, ...]
    warnings: tuple[Problem, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """True when the file parsed (there may still be warnings)."""
        return not self.problems


class CodeFound(NamedTuple):
    """The outcome of looking for a sub-domain code in a category or metadata value."""

    subdomain: str | None
    warning: str | None


def subdomain_in(words: str, blueprint: Blueprint, *, what: str = "category") -> CodeFound:
    """Find an AAISM sub-domain code anywhere in ``words`` (a path such as ``Top/D2-A Risk``).

    The last segment that names a real sub-domain wins. A segment that looks like a code but
    is not one of the blueprint's (``D9-Z``) gives a warning naming it, in ``what``'s words.
    """
    found: str | None = None
    unknown: list[str] = []
    for match in CODE_LIKE.finditer(words):
        code = f"D{match.group(1)}-{(match.group(2) or match.group(3)).upper()}"
        try:
            blueprint.subdomain(code)
        except BlueprintError:
            unknown.append(match.group(0).strip())
            continue
        found = code
    if found is None and unknown:
        known = ", ".join(blueprint.subdomain_codes)
        return CodeFound(
            None,
            f"{what} {words.strip()!r} names {unknown[-1]!r}, which is not a sub-domain of "
            f"{blueprint.name} (known: {known})",
        )
    return CodeFound(found, None)


def capped(problems: Iterable[Problem], limit: int = 50) -> tuple[list[Problem], int]:
    """The first ``limit`` problems, and how many more there were."""
    kept = sorted(set(problems), key=lambda p: (p.file, p.line, p.reason))
    return kept[:limit], max(0, len(kept) - limit)
