"""Currency: which items depend on dated facts, and which were checked too long ago."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.lint import lint
from exam_engine.domain.lint.staleness import dated_evidence, stale_findings, stale_items

TODAY = date(2026, 12, 4)


def record(key: str = "D1-A-001", **changes: object) -> ItemRecord:
    base = ItemRecord(
        key=key,
        subdomain="D1-A",
        domain="D1",
        stem="A bank deploys a chatbot. Which step is BEST?",
        options=("One", "Two", "Three", "Four"),
        answer=0,
        rationales=("why one", "why two", "why three", "why four"),
        references=("MITRE ATLAS",),
        difficulty="easy",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value", "evidence"),
    [
        ("references", ("EU AI Act (Regulation (EU) 2024/1689), Art. 26",), "Act"),
        ("references", ("ISO/IEC 42001:2023, clause 6.1.3",), ":2023"),
        ("references", ("GDPR, Art. 22",), "GDPR"),
        ("stem", "Duties apply from 2 December 2027. Which is BEST?", "December"),
        ("options", ("One", "Two", "Annex III point 4", "Four"), "Annex"),
    ],
)
def test_dated_facts_are_recognised(field: str, value: object, evidence: str) -> None:
    assert dated_evidence(record(**{field: value})) == evidence


def test_an_item_without_dated_facts_needs_no_as_of() -> None:
    assert dated_evidence(record()) is None


def test_stale_items_are_those_older_than_the_limit_oldest_first() -> None:
    items = [
        record("D1-A-001", as_of=date(2026, 1, 1)),
        record("D1-A-002", as_of=date(2025, 12, 4)),  # exactly 365 days: not yet stale
        record("D1-A-003", as_of=date(2024, 6, 1)),
        record("D1-A-004"),  # no date: never stale (the as-of rule catches it)
    ]
    found = stale_items(items, TODAY, 300)
    assert [(s.item.key, s.age_days) for s in found] == [
        ("D1-A-003", 916),
        ("D1-A-002", 365),
        ("D1-A-001", 337),
    ]
    assert [s.item.key for s in stale_items(items, TODAY, 365)] == ["D1-A-003"]
    assert stale_items(items, TODAY, 10_000) == []
    # A limit of 0 days: anything checked before today is stale, today's check is not.
    fresh = record("D1-A-005", as_of=TODAY)
    assert [s.item.key for s in stale_items([fresh, items[0]], TODAY, 0)] == ["D1-A-001"]
    with pytest.raises(ValueError, match="max_age_days must be 0 or more"):
        stale_items(items, TODAY, -1)


def test_stale_findings_are_warnings_at_the_as_of_line() -> None:
    item = record(as_of=date(2020, 1, 1), field_lines={"as_of": 17})
    [warning] = stale_findings([item], TODAY, 365)
    assert (warning.rule, warning.level, warning.line) == ("stale", "warning", 17)
    assert warning.message == (
        "facts last checked 2020-01-01, 2529 days ago (limit 365): check its dates, articles "
        "and editions again and update as_of"
    )


def test_lint_adds_stale_warnings_only_when_told_the_date() -> None:
    item = record(as_of=date(2020, 1, 1))
    assert "stale" not in {f.rule for f in lint([item])}
    assert "stale" in {f.rule for f in lint([item], today=TODAY)}
    assert "stale" not in {f.rule for f in lint([item], today=TODAY, stale_days=10_000)}
    assert {f.rule for f in lint([item], rules=["stale"], today=TODAY)} == {"stale"}
    with pytest.raises(ValueError, match="unknown lint rules"):
        lint([item], rules=["nope"])
