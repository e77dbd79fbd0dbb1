"""Drafts an instructor completes: what a version still lacks, and its provisional key.

An item imported from another tool's file lands as a draft even when it lacks what
publishing needs. :func:`checklist` names each missing part from the version's own fields
(never stored, so it cannot go stale); an item with a non-empty checklist is neither sent to
review nor published. A draft without a sub-domain has a provisional key (``DRAFT-0001``)
until one is set; it is then re-keyed to the next free number in its sub-domain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from exam_engine.domain.blueprint import DIFFICULTIES, Blueprint
from exam_engine.domain.errors import BlueprintError

OPTION_COUNT = 4
# A draft from another tool may hold up to 26 options, lettered A-Z.
DRAFT_LABELS: tuple[str, ...] = tuple(chr(ord("A") + i) for i in range(26))
PROVISIONAL_PREFIX = "DRAFT-"
PROVISIONAL_DIGITS = 4
_PROVISIONAL = re.compile(re.escape(PROVISIONAL_PREFIX) + r"(\d{" + str(PROVISIONAL_DIGITS) + "})")


def checklist(
    *,
    subdomain: str,
    difficulty: str,
    stem: str,
    options: Sequence[str],
    answer: int,
    rationales: Sequence[str],
    references: Sequence[str],
    blueprint: Blueprint,
) -> tuple[str, ...]:
    """Name each part a version lacks before it may go to review or be published (in order).

    The parts are those the bank's validation requires of a published item: a known
    sub-domain, a difficulty, a stem, exactly four options with text, a correct option among
    them, a rationale for each option, and at least one reference.
    """
    missing: list[str] = []
    try:
        blueprint.subdomain(subdomain.strip())
    except BlueprintError:
        missing.append("sub-domain")
    if difficulty.strip() not in DIFFICULTIES:
        missing.append("difficulty")
    if not stem.strip():
        missing.append("stem")
    if len(options) != OPTION_COUNT:
        missing.append(f"exactly four options (has {len(options)})")
    blank = [_label(i) for i, text in enumerate(options) if not str(text).strip()]
    if blank:
        missing.append(f"text for option {', '.join(blank)}")
    if not 0 <= answer < len(options):
        missing.append("a correct option")
    no_rationale = [
        _label(i)
        for i in range(len(options))
        if i >= len(rationales) or not str(rationales[i]).strip()
    ]
    if no_rationale:
        missing.append(f"a rationale for option {', '.join(no_rationale)}")
    if not any(str(ref).strip() for ref in references):
        missing.append("references")
    return tuple(missing)


def _label(index: int) -> str:
    return DRAFT_LABELS[index] if index < len(DRAFT_LABELS) else str(index + 1)


def option_labels(count: int) -> tuple[str, ...]:
    """The letters of ``count`` options, never fewer than four (A-D) nor more than 26."""
    return DRAFT_LABELS[: min(max(count, OPTION_COUNT), len(DRAFT_LABELS))]


def is_provisional(key: str) -> bool:
    """True for a draft's provisional key (``DRAFT-0001``), which changes when it is tagged."""
    return _PROVISIONAL.fullmatch(key) is not None


def next_provisional_key(keys: Iterable[str]) -> str:
    """The provisional key after the highest one in ``keys`` (never reused while it exists)."""
    numbers = [int(m.group(1)) for key in keys if (m := _PROVISIONAL.fullmatch(key))]
    return f"{PROVISIONAL_PREFIX}{max(numbers, default=0) + 1:0{PROVISIONAL_DIGITS}d}"


def missing_message(key: str, missing: Sequence[str]) -> str:
    """One sentence naming every missing part of an item."""
    return f"{key} is incomplete: it needs {'; '.join(missing)}"
