"""The currency rule: an item that depends on dated facts says when they were last checked."""

from __future__ import annotations

from collections.abc import Iterator

from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.lint.registry import Finding, finding, item_rule
from exam_engine.domain.lint.staleness import dated_evidence


@item_rule(
    "as-of-required",
    "an item citing a law, an article, a standard's clause or edition, or a date carries "
    "as_of, the date its facts were last checked (error)",
)
def check_as_of_required(item: ItemRecord) -> Iterator[Finding]:
    if item.as_of is not None:
        return
    evidence = dated_evidence(item)
    if evidence is not None:
        yield finding(
            item,
            "as-of-required",
            "error",
            f"the item depends on dated facts ({evidence!r}) but has no as_of: add "
            "as_of: YYYY-MM-DD, the day its dates, articles and editions were checked",
        )
