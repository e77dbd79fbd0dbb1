"""Small hand-made items and blueprint whose exports are pinned byte for byte in golden/."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.blueprint import Blueprint, Domain, Subdomain

GOLDEN = Path(__file__).parent / "golden"

BLUEPRINT = Blueprint(
    name="test",
    title="Test",
    domains=(Domain("D1", "One", 1, (Subdomain("D1-A", "D1", "A"), Subdomain("D1-B", "D1", "B"))),),
)

# Text that needs every escape: markup characters, CR, newlines, blank lines, quotes, tabs.
AWKWARD = ItemRecord(
    key="D1-B-001",
    subdomain="D1-B",
    domain="D1",
    stem="Line <1> & more\nline 2\r\n\nSecond",
    options=("a", "b\nc", "c", "d"),
    answer=1,
    rationales=("ra", "rb", "", "rd\n"),
    references=("R1", "R<2>\nx"),
    difficulty="hard",
    enemies=('E"1', "E\t2&<>\r\n"),
    as_of=dt.date(2026, 12, 4),
)
PLAIN = ItemRecord(
    key="D1-A-002",
    subdomain="D1-A",
    domain="D1",
    stem="Which is BEST?",
    options=("[x] one", "=two", "~three", "four #4"),
    answer=3,
    rationales=("{r1}", "r2: why", "r\\3", "[r4]"),
    references=("Ref A",),
    difficulty="easy",
)
SIMPLE = ItemRecord(
    key="D1-A-001",
    subdomain="D1-A",
    domain="D1",
    stem="Which comes FIRST?",
    options=("-1", "+2", "@3", "'4"),
    answer=0,
    rationales=("r1", "r2", "r3", "r4"),
    references=("Ref | B", "C\\D"),
    difficulty="medium",
)
# Out of key order on purpose: exports sort by key.
ITEMS = (AWKWARD, PLAIN, SIMPLE)


def golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


def without_meta(item_xml: str, *names: str) -> str:
    """An engine QTI item less the named fields of its ``aaism-metadata`` rubric."""
    for name in names:
        item_xml = re.sub(rf"\n *<dt>{re.escape(name)}</dt>\n *<dd>[^<]*</dd>", "", item_xml)
    return item_xml


def with_meta(item_xml: str, name: str, value: str) -> str:
    """An engine QTI item whose rubric gives ``value`` for field ``name`` (the first one)."""
    return re.sub(
        rf"(<dt>{re.escape(name)}</dt>\n *<dd>)[^<]*(</dd>)",
        lambda m: m.group(1) + value + m.group(2),
        item_xml,
        count=1,
    )
