"""Item-writing lint: ISACA-style rules over validated items, as errors and warnings.

Each rule is a small function registered in :data:`RULES` under its name, either per item
(:func:`item_rule`) or over the whole bank (:func:`bank_rule`), in one of this package's
rule modules; importing the package registers them all. Adding a rule is writing one
function with one decorator; ``question_bank/README.md`` lists them for item writers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date

from exam_engine.domain.bank import ItemRecord

# The rule modules register their rules on import.
from exam_engine.domain.lint import (  # noqa: F401
    bank_rules,
    cross_item_rules,
    cue_rules,
    currency_rules,
    item_rules,
)
from exam_engine.domain.lint.bank_rules import (
    LENGTH_RANKS,
    NEAR_DUPLICATE_JACCARD,
    SKEW_MIN_ITEMS,
    SKEW_P_VALUE,
    SKEW_SHARE_DEVIATION,
    answer_skew,
    chi_square_p_value_3df,
    key_length_rank,
    share_skew,
)
from exam_engine.domain.lint.item_rules import (
    ABSOLUTES,
    KEY_LENGTH_MARGIN,
    KEY_LENGTH_RATIO,
    MIN_RATIONALE_CHARS,
    QUALIFIERS,
)
from exam_engine.domain.lint.registry import (
    RULES,
    Finding,
    Level,
    Rule,
    bank_rule,
    finding,
    item_rule,
)
from exam_engine.domain.lint.staleness import DEFAULT_STALE_DAYS, stale_findings
from exam_engine.domain.lint.text import (
    SHINGLE_WORDS,
    jaccard,
    question_sentence,
    shingles,
    similar_pairs,
)


def lint(
    items: Sequence[ItemRecord],
    rules: Iterable[str] | None = None,
    *,
    today: date | None = None,
    stale_days: int = DEFAULT_STALE_DAYS,
) -> list[Finding]:
    """Run the lint rules (all, or the named ones) and return findings by file and line.

    With ``today``, the ``stale`` rule also runs: a warning for each item whose ``as_of`` is
    more than ``stale_days`` old (the only rule that needs to know the date).
    """
    names = list(RULES) if rules is None else list(rules)
    unknown = [name for name in names if name not in RULES and name != "stale"]
    if unknown:
        raise ValueError(f"unknown lint rules {unknown}; known: {', '.join(RULES)}, stale")
    found: list[Finding] = []
    for name in names:
        if name in RULES:
            found.extend(RULES[name].run(items))
    if today is not None and (rules is None or "stale" in names):
        found.extend(stale_findings(items, today, stale_days))
    return sorted(found, key=lambda f: (f.file, f.line, f.key, f.rule, f.message))


def summarize(findings: Iterable[Finding]) -> dict[str, int]:
    """Count findings as ``{"errors": n, "warnings": n}``."""
    counts = Counter(f.level for f in findings)
    return {"errors": counts["error"], "warnings": counts["warning"]}


def count_by_rule(findings: Iterable[Finding]) -> dict[str, dict[str, int]]:
    """Count findings per rule and level, e.g. ``{"absolutes": {"warning": 3}}``."""
    counts: dict[str, dict[str, int]] = {}
    for f in findings:
        per_rule = counts.setdefault(f.rule, {})
        per_rule[f.level] = per_rule.get(f.level, 0) + 1
    return dict(sorted(counts.items()))


__all__ = [
    "ABSOLUTES",
    "KEY_LENGTH_MARGIN",
    "KEY_LENGTH_RATIO",
    "LENGTH_RANKS",
    "MIN_RATIONALE_CHARS",
    "NEAR_DUPLICATE_JACCARD",
    "QUALIFIERS",
    "RULES",
    "SHINGLE_WORDS",
    "SKEW_MIN_ITEMS",
    "SKEW_P_VALUE",
    "SKEW_SHARE_DEVIATION",
    "Finding",
    "Level",
    "Rule",
    "answer_skew",
    "bank_rule",
    "chi_square_p_value_3df",
    "count_by_rule",
    "finding",
    "item_rule",
    "jaccard",
    "key_length_rank",
    "lint",
    "question_sentence",
    "share_skew",
    "shingles",
    "similar_pairs",
    "summarize",
]
