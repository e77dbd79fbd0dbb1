"""Currency rules: dated facts say when they were checked, and known-stale facts are refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Superseded:
    """A claim that was true once and is not now: every pattern matches one sentence."""

    name: str
    patterns: tuple[re.Pattern[str], ...]
    message: str
    # A sentence that says the fact moved ("no longer", "the Omnibus moved ...") is not the claim.
    unless: re.Pattern[str] | None = None

    def matches(self, sentence: str) -> bool:
        """True when every pattern is found in the sentence and ``unless`` is not."""
        if self.unless is not None and self.unless.search(sentence):
            return False
        return all(pattern.search(sentence) for pattern in self.patterns)


def _any(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives), re.IGNORECASE)


_MOVED = _any(r"\bno longer\b", r"\bomnibus\b", r"\b(?:moved|postponed|delayed|recast|replaced)\b")

# Kept as data: when a date moves again, a row changes here and in WRITING.md.
SUPERSEDED: tuple[Superseded, ...] = (
    Superseded(
        "EU AI Act high-risk date",
        (
            _any(r"high[- ]risk"),
            _any(r"\b2 aug(?:ust|\.)? 2026\b", r"\baug(?:ust|\.)? 2,? 2026\b", r"\b2026-08-02\b"),
        ),
        "presents 2 Aug 2026 as a high-risk date: the Digital Omnibus moved Annex III "
        "systems to 2 Dec 2027 and Annex I to 2 Aug 2028",
        _MOVED,
    ),
    Superseded(
        "Colorado AI Act",
        (_any(r"\bSB\s?24-205\b", r"\bcolorado ai act\b"),),
        "tests Colorado's 2024 AI Act (SB 24-205), replaced before it took effect",
    ),
    Superseded(
        "EU AI Act Article 4",
        (
            _any(r"\bart(?:icle|\.)\s?4\b"),
            _any(r"literacy"),
            _any(r"\b(?:must|shall|required?|requires|obliged|obligation|duty)\b"),
        ),
        "states Article 4 as a duty on providers or deployers to ensure AI literacy: the "
        "Digital Omnibus recast it; test literacy through ISO/IEC 42001 7.2-7.3 or practice",
        _MOVED,
    ),
)

# A sentence ends at . ! or ? before a space, except after an abbreviation a citation uses.
_SENTENCE = re.compile(r"(?<![Aa]rt\.)(?<![Aa]ug\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<=[.!?])\s+|\n+")


def superseded_claims(text: str) -> list[Superseded]:
    """The superseded claims some sentence of ``text`` makes."""
    sentences = _SENTENCE.split(text)
    return [claim for claim in SUPERSEDED if any(claim.matches(s) for s in sentences)]


@item_rule(
    "superseded-fact",
    "no item states a fact known to be out of date (the EU AI Act's old high-risk date, "
    "Colorado's replaced 2024 act, Article 4 as a literacy duty) (error)",
)
def check_superseded(item: ItemRecord) -> Iterator[Finding]:
    fields = {"stem": item.stem, "references": " ".join(item.references)}
    for label, text in zip("ABCD", item.options, strict=False):
        fields[f"options.{label}"] = text
    for label, text in zip("ABCD", item.rationales, strict=False):
        fields[f"rationale.{label}"] = text
    for field_name, text in fields.items():
        for claim in superseded_claims(text):
            yield finding(item, "superseded-fact", "error", claim.message, field_name)
