"""Validation of raw bank items: schema checks per item and referential checks per bank."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exam_engine.domain.bank import (
    REQUIRED_FIELDS,
    ItemRecord,
    Problem,
    RawItem,
    SourceRef,
    did_you_mean,
    enemy_graph,
    validate_items,
)
from exam_engine.domain.blueprint import Blueprint, Domain, Subdomain
from tests.support.properties import examples

BLUEPRINT = Blueprint(
    name="test",
    title="Test blueprint",
    domains=(
        Domain(
            "D1",
            "Governance",
            50,
            (Subdomain("D1-A", "D1", "Frameworks"), Subdomain("D1-B", "D1", "Policies")),
        ),
        Domain("D2", "Risk", 50, (Subdomain("D2-A", "D2", "Assessment"),)),
    ),
)

FILE = "items/D1-A.yaml"


def item_data(key: object = "D1-A-001", **changes: object) -> dict[str, object]:
    """A valid item's fields; ``changes`` replace fields, a value of ``...`` drops one."""
    data: dict[str, object] = {
        "key": key,
        "difficulty": "medium",
        "stem": "A bank deploys a chatbot. Which control should the manager apply FIRST?",
        "options": {"A": "Option one", "B": "Option two", "C": "Option three", "D": "Option four"},
        "answer": "C",
        "rationale": {
            "A": "Why A is weaker than C.",
            "B": "Why B is weaker than C.",
            "C": "Why C is the BEST answer.",
            "D": "Why D is weaker than C.",
        },
        "references": ["NIST AI RMF 1.0, GOVERN function"],
    }
    for name, value in {"key": key, **changes}.items():
        if value is ...:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def line_map(start: int) -> dict[str, int]:
    """Field lines laid out like a YAML item starting at ``start``."""
    names = ["key", "difficulty", "stem", "options"]
    names += [f"options.{x}" for x in "ABCD"] + ["answer", "rationale"]
    names += [f"rationale.{x}" for x in "ABCD"] + ["references", "references.0"]
    names += ["enemies", "enemies.0", "enemies.1", "subdomain"]
    return {name: start + offset for offset, name in enumerate(names)}


def raw(
    key: object = "D1-A-001",
    *,
    line: int = 3,
    file: str = FILE,
    file_subdomain: str | None = "D1-A",
    **changes: object,
) -> RawItem:
    return RawItem(
        file=file,
        line=line,
        data=item_data(key, **changes),
        lines=line_map(line),
        file_subdomain=file_subdomain,
        file_subdomain_line=1 if file_subdomain else None,
    )


def problems_of(*raws: RawItem) -> list[Problem]:
    return validate_items(raws, BLUEPRINT)[1]


def reasons(*raws: RawItem) -> str:
    return "\n".join(str(p) for p in problems_of(*raws))


# --- the passing case -------------------------------------------------------------------


def test_a_valid_item_becomes_a_record() -> None:
    records, problems = validate_items([raw()], BLUEPRINT)
    assert problems == []
    [record] = records
    assert record.key == "D1-A-001"
    assert record.subdomain == "D1-A"
    assert record.domain == "D1"
    assert record.options == ("Option one", "Option two", "Option three", "Option four")
    assert record.answer == 2
    assert record.answer_label == "C"
    assert record.rationales[2] == "Why C is the BEST answer."
    assert record.references == ("NIST AI RMF 1.0, GOVERN function",)
    assert record.difficulty == "medium"
    assert record.enemies == ()
    assert record.source == SourceRef(FILE, 3)
    assert record.line_of("options.B") == line_map(3)["options.B"]


def test_options_are_put_in_letter_order_and_text_is_trimmed() -> None:
    options = {"D": " four ", "A": "one", "C": "three", "B": "two"}
    rationale = {"B": "rb", "A": "ra", "D": "rd", "C": "rc"}
    [record], _ = validate_items(
        [raw(options=options, rationale=rationale, stem="  Stem FIRST?\n")], BLUEPRINT
    )
    assert record.options == ("one", "two", "three", "four")
    assert record.rationales == ("ra", "rb", "rc", "rd")
    assert record.stem == "Stem FIRST?"


def test_item_level_subdomain_works_without_a_file_subdomain() -> None:
    [record], problems = validate_items(
        [raw("D2-A-004", file_subdomain=None, subdomain="D2-A")], BLUEPRINT
    )
    assert problems == []
    assert (record.subdomain, record.domain) == ("D2-A", "D2")


def test_problem_and_source_render_as_file_colon_line() -> None:
    assert str(Problem("a.yaml", 7, "bad")) == "a.yaml:7: bad"
    assert str(SourceRef("a.yaml", 7)) == "a.yaml:7"


# --- required fields and types ----------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in REQUIRED_FIELDS if n != "key"])
def test_a_missing_field_is_the_items_only_problem(name: str) -> None:
    item = raw(**{name: ...})
    # A field that is not there has no line: the item's line is used.
    item = dataclasses.replace(item, lines={k: v for k, v in item.lines.items() if k != name})
    assert problems_of(item) == [
        Problem(FILE, 3, f"item D1-A-001: missing required field {name!r}")
    ]


def _key_on_second_line(item: RawItem) -> RawItem:
    # A YAML item may start with another field: "- difficulty: medium" then "  key: ...".
    return dataclasses.replace(item, lines={**item.lines, "key": 4})


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (raw(" "), "item: key is empty"),
        (
            raw("D1-A-01"),
            "item D1-A-01: key 'D1-A-01' must be D1-A-NNN with exactly 3 digits, e.g. D1-A-007",
        ),
        (raw("Q-001"), "item Q-001: key 'Q-001' does not match sub-domain D1-A: expected D1-A-NNN"),
        (
            raw(file_subdomain=None),
            "item D1-A-001: missing required field 'subdomain' (give it on the item or the file)",
        ),
    ],
)
def test_key_problems_are_reported_at_the_key_line(item: RawItem, reason: str) -> None:
    assert problems_of(_key_on_second_line(item)) == [Problem(FILE, 4, reason)]


def test_an_unknown_field_is_reported_at_its_own_line() -> None:
    item = raw(colour="blue")
    item = dataclasses.replace(item, lines={**item.lines, "colour": 20})
    assert problems_of(item) == [Problem(FILE, 20, "item D1-A-001: unknown field 'colour'")]


def test_a_subdomain_that_is_not_text_is_reported_at_its_line() -> None:
    assert problems_of(raw(file_subdomain=None, subdomain=7)) == [
        Problem(
            FILE,
            line_map(3)["subdomain"],
            "item D1-A-001: subdomain must be text, got a number (quote it if it is text)",
        )
    ]


def test_list_entry_and_empty_list_problems_are_at_their_lines() -> None:
    assert problems_of(raw(references=[""])) == [
        Problem(FILE, line_map(3)["references.0"], "item D1-A-001: references entry 1 is empty")
    ]
    assert problems_of(raw(references=[])) == [
        Problem(
            FILE, line_map(3)["references"], "item D1-A-001: 'references' needs at least one entry"
        )
    ]


@pytest.mark.parametrize("name", REQUIRED_FIELDS)
def test_each_required_field_is_required(name: str) -> None:
    [problem] = [p for p in problems_of(raw(**{name: ...})) if "missing required" in p.reason]
    assert f"missing required field {name!r}" in problem.reason
    assert problem.file == FILE
    assert problem.line > 0


def test_missing_subdomain_everywhere_is_reported() -> None:
    assert problems_of(raw(file_subdomain=None)) == [
        Problem(
            FILE,
            line_map(3)["key"],
            "item D1-A-001: missing required field 'subdomain' (give it on the item or the file)",
        )
    ]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("stem", 42, "stem must be text, got a number"),
        ("stem", "   ", "stem is empty"),
        ("stem", None, "stem must be text, got nothing"),
        ("key", 17, "key must be text"),
        (
            "options",
            ["a", "b", "c", "d"],
            "'options' must map each of A, B, C and D to text, got a list",
        ),
        ("rationale", "because", "'rationale' must map each of A, B, C and D to text"),
        ("references", "NIST AI RMF", "'references' must be a list of citations, got text"),
        ("enemies", "D1-A-002", "'enemies' must be a list of item keys, got text"),
    ],
)
def test_field_types_are_checked(field: str, value: object, expected: str) -> None:
    problems = problems_of(raw(**{field: value}))
    assert any(expected in p.reason for p in problems), problems
    assert all(p.line == line_map(3)[field] for p in problems if expected in p.reason)


@pytest.mark.parametrize(
    ("value", "described"),
    [
        (None, "nothing (an empty value)"),
        (False, "a true/false value (quote it if it is text)"),
        (2.5, "a number (quote it if it is text)"),
        ({"x": 1}, "a mapping"),
        (["x"], "a list"),
        (dt.date(2026, 1, 1), "a date value (quote it if it is text)"),
    ],
)
def test_a_value_of_the_wrong_type_is_described_in_words(value: object, described: str) -> None:
    assert problems_of(raw(stem=value)) == [
        Problem(FILE, line_map(3)["stem"], f"item D1-A-001: stem must be text, got {described}")
    ]


@pytest.mark.parametrize("key", [..., "  ", 7])
def test_a_problem_of_an_item_without_a_usable_key_says_item(key: object) -> None:
    problems = problems_of(raw(key, difficulty="tricky"))
    difficulty = [p for p in problems if "difficulty" in p.reason]
    assert [p.reason for p in difficulty] == [
        "item: difficulty 'tricky' must be one of easy, medium, hard"
    ]


def test_a_yaml_boolean_option_is_explained() -> None:
    options = {"A": True, "B": "two", "C": "three", "D": "four"}
    [problem] = problems_of(raw(options=options))
    assert "option A must be text, got a true/false value (quote it" in problem.reason
    assert problem.line == line_map(3)["options.A"]


# --- options, answer, rationale, references, difficulty -----------------------------------


def test_three_options_is_a_problem() -> None:
    options = {"A": "one", "B": "two", "C": "three"}
    text = reasons(raw(options=options))
    assert "option missing for D" in text


def test_a_fifth_option_is_a_problem() -> None:
    options = {"A": "one", "B": "two", "C": "three", "D": "four", "E": "five"}
    [problem] = problems_of(raw(options=options))
    assert problem.reason == (
        "item D1-A-001: unexpected option label 'E': items have exactly four options, "
        "labelled A, B, C and D"
    )
    assert problem.line == line_map(3)["options"]  # no line for options.E: its parent's


def test_every_missing_option_is_named_in_one_problem() -> None:
    assert problems_of(raw(options={"B": "two", "C": "three"})) == [
        Problem(
            FILE,
            line_map(3)["options"],
            "item D1-A-001: option missing for A, D: give one for A, B, C and D",
        )
    ]


def test_every_option_is_checked_after_an_unexpected_label() -> None:
    options = {"E": "five", "A": "", "B": "two", "C": "three", "D": "four"}
    assert [p.reason for p in problems_of(raw(options=options))] == [
        "item D1-A-001: unexpected option label 'E': items have exactly four options, "
        "labelled A, B, C and D",
        "item D1-A-001: option A is empty",
    ]


def test_an_answer_letter_may_have_spaces_around_it() -> None:
    [record], problems = validate_items([raw(answer=" B ")], BLUEPRINT)
    assert problems == []
    assert record.answer == 1


def test_references_are_required_even_when_given_empty() -> None:
    assert [p.reason for p in problems_of(raw(references=None))] == [
        "item D1-A-001: 'references' must be a list of citations, got nothing (an empty value)"
    ]


def test_an_empty_option_is_a_problem() -> None:
    options = {"A": "one", "B": "", "C": "three", "D": "four"}
    assert "option B is empty" in reasons(raw(options=options))


@pytest.mark.parametrize("answer", ["E", "c", 2, None, "A or B"])
def test_answer_must_be_one_of_the_letters(answer: object) -> None:
    [problem] = problems_of(raw(answer=answer))
    assert "must be one of the option letters A, B, C, D" in problem.reason
    assert problem.line == line_map(3)["answer"]


@pytest.mark.parametrize("answer", ["A", "B", "C", "D"])
def test_every_letter_is_a_valid_answer(answer: str) -> None:
    [record], problems = validate_items([raw(answer=answer)], BLUEPRINT)
    assert problems == []
    assert record.answer_label == answer


def test_a_rationale_is_needed_for_every_option() -> None:
    rationale = {"A": "ra", "B": "rb", "D": "rd"}
    [problem] = problems_of(raw(rationale=rationale))
    assert "rationale missing for C" in problem.reason
    assert problem.line == line_map(3)["rationale"]


def test_an_empty_rationale_is_a_problem() -> None:
    rationale = {"A": "ra", "B": "rb", "C": " ", "D": "rd"}
    [problem] = problems_of(raw(rationale=rationale))
    assert "rationale C is empty" in problem.reason
    assert problem.line == line_map(3)["rationale.C"]


def test_at_least_one_reference_is_needed() -> None:
    [problem] = problems_of(raw(references=[]))
    assert "'references' needs at least one entry" in problem.reason


def test_a_blank_reference_is_a_problem() -> None:
    assert "references entry 2 is empty" in reasons(raw(references=["NIST AI RMF", ""]))


@pytest.mark.parametrize("difficulty", ["tricky", "Medium", 3, None])
def test_difficulty_must_be_a_blueprint_difficulty(difficulty: object) -> None:
    [problem] = problems_of(raw(difficulty=difficulty))
    assert "must be one of easy, medium, hard" in problem.reason
    assert problem.line == line_map(3)["difficulty"]


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_each_difficulty_is_accepted(difficulty: str) -> None:
    assert problems_of(raw(difficulty=difficulty)) == []


# --- as_of ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" 2026-12-04 ", dt.date(2026, 12, 4)),
        (dt.date(2025, 1, 31), dt.date(2025, 1, 31)),
    ],
)
def test_as_of_is_read_from_text_or_a_yaml_date(value: object, expected: dt.date) -> None:
    [record], problems = validate_items([raw(as_of=value)], BLUEPRINT)
    assert problems == []
    assert record.as_of == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (
            dt.datetime(2026, 12, 4, 9, 30),
            "as_of must be a date (YYYY-MM-DD), not a date and time",
        ),
        (None, "as_of is empty: give the date the facts were checked, YYYY-MM-DD"),
        (
            20261204,
            "as_of must be a date written YYYY-MM-DD, got a number (quote it if it is text)",
        ),
        ("4/12/2026", "as_of '4/12/2026' must be a date written YYYY-MM-DD, e.g. 2026-12-04"),
        ("2026-12-04 x", "as_of '2026-12-04 x' must be a date written YYYY-MM-DD, e.g. 2026-12-04"),
        ("2026-02-30", "as_of '2026-02-30' is not a calendar date"),
    ],
)
def test_a_bad_as_of_is_named_at_its_line(value: object, reason: str) -> None:
    item = raw(as_of=value)
    item = dataclasses.replace(item, lines={**item.lines, "as_of": 21})
    assert validate_items([item], BLUEPRINT) == (
        [],
        [Problem(FILE, 21, f"item D1-A-001: {reason}")],
    )


# --- keys and sub-domains ---------------------------------------------------------------


@pytest.mark.parametrize("key", ["D1-A-01", "D1-A-0001", "D1-A-abc", "D1-A-001x"])
def test_key_needs_three_digits(key: str) -> None:
    [problem] = problems_of(raw(key))
    assert "must be D1-A-NNN with exactly 3 digits" in problem.reason
    assert problem.line == line_map(3)["key"]


@pytest.mark.parametrize("key", ["D1-B-001", "D2-A-001", "Q-001"])
def test_key_must_match_the_files_subdomain(key: str) -> None:
    [problem] = problems_of(raw(key))
    assert "does not match sub-domain D1-A" in problem.reason


def test_unknown_subdomain_is_reported_once_per_file() -> None:
    items = [raw("D9-Z-001", file_subdomain="D9-Z"), raw("D9-Z-002", file_subdomain="D9-Z")]
    problems = problems_of(*items)
    assert problems == [
        Problem(FILE, 1, "unknown sub-domain 'D9-Z' (known: D1-A, D1-B, D2-A)"),
    ]


def test_an_unknown_subdomain_without_a_file_line_is_reported_at_the_item() -> None:
    item = dataclasses.replace(
        raw("D9-Z-001", line=12, file_subdomain="D9-Z"), file_subdomain_line=None
    )
    assert problems_of(item) == [
        Problem(FILE, 12, "unknown sub-domain 'D9-Z' (known: D1-A, D1-B, D2-A)")
    ]


def test_an_unknown_item_subdomain_is_reported_at_its_line() -> None:
    item = raw("D9-Z-001", file_subdomain=None, subdomain="D9-Z")
    assert problems_of(item) == [
        Problem(
            FILE, line_map(3)["subdomain"], "unknown sub-domain 'D9-Z' (known: D1-A, D1-B, D2-A)"
        )
    ]


def test_item_subdomain_must_agree_with_the_file() -> None:
    [problem] = problems_of(raw("D1-B-001", subdomain="D1-B"))
    assert "sub-domain 'D1-B' differs from the file's sub-domain 'D1-A'" in problem.reason
    assert problem.line == line_map(3)["subdomain"]


def test_unknown_fields_are_reported_with_a_suggestion() -> None:
    [problem] = problems_of(raw(rationales={"A": "x"}))
    assert "unknown field 'rationales' (did you mean 'rationale'?)" in problem.reason


def test_unknown_field_without_a_close_match_has_no_suggestion() -> None:
    [problem] = problems_of(raw(colour="blue"))
    assert problem.reason.endswith("unknown field 'colour'")


def test_problems_name_the_item_key() -> None:
    [problem] = problems_of(raw(difficulty="tricky"))
    assert problem.reason.startswith("item D1-A-001: ")


# --- referential checks -----------------------------------------------------------------


def test_duplicate_keys_name_both_locations() -> None:
    first = raw("D1-A-001", line=3)
    second = raw("D1-A-001", line=40, file="items/other.yaml")
    records, problems = validate_items([first, second], BLUEPRINT)
    assert [r.source.line for r in records] == [3]  # the first is kept
    assert problems == [
        Problem(
            "items/other.yaml",
            40,
            f"duplicate key 'D1-A-001': also defined at {FILE}:3",
        )
    ]


def test_a_duplicate_key_is_reported_at_both_key_lines() -> None:
    first = _key_on_second_line(raw("D1-A-001", line=3))
    second = _key_on_second_line(raw("D1-A-001", line=3, file="items/other.yaml"))
    assert problems_of(first, second) == [
        Problem("items/other.yaml", 4, f"duplicate key 'D1-A-001': also defined at {FILE}:4")
    ]


def test_items_whose_keys_are_not_text_are_not_duplicates_of_each_other() -> None:
    problems = problems_of(raw(7), raw(8, line=30))
    assert [p for p in problems if "duplicate" in p.reason] == []
    assert len(problems) == 2


def test_distinct_keys_are_fine() -> None:
    records, problems = validate_items([raw("D1-A-001"), raw("D1-A-002", line=30)], BLUEPRINT)
    assert problems == []
    assert [r.key for r in records] == ["D1-A-001", "D1-A-002"]


def test_an_enemy_must_exist() -> None:
    items = [raw("D1-A-001", enemies=["D1-A-002", "D1-A-003"]), raw("D1-A-002", line=30)]
    records, problems = validate_items(items, BLUEPRINT)
    [problem] = problems
    assert problem.line == line_map(3)["enemies.1"]
    assert "enemy 'D1-A-003' is not a key in the bank (did you mean 'D1-A-002'?)" in problem.reason
    assert [r.key for r in records] == ["D1-A-002"]


def test_an_item_cannot_be_its_own_enemy() -> None:
    [problem] = problems_of(raw("D1-A-001", enemies=["D1-A-001"]))
    assert problem == Problem(
        FILE, line_map(3)["enemies.0"], "item D1-A-001 lists itself as an enemy"
    )


def test_enemies_across_files_and_subdomains_are_fine() -> None:
    items = [
        raw("D1-A-001", enemies=["D2-A-001", "D2-A-001"]),
        raw("D2-A-001", file="items/D2-A.yaml", file_subdomain="D2-A", line=3),
    ]
    records, problems = validate_items(items, BLUEPRINT)
    assert problems == []
    assert records[0].enemies == ("D2-A-001",)  # repeats dropped


def test_an_enemy_that_exists_but_is_invalid_is_not_reported_again() -> None:
    items = [raw("D1-A-001", enemies=["D1-A-002"]), raw("D1-A-002", line=30, difficulty="x")]
    problems = problems_of(*items)
    assert len(problems) == 1
    assert "difficulty 'x'" in problems[0].reason


def test_enemy_graph_is_symmetric() -> None:
    records, _ = validate_items(
        [raw("D1-A-001", enemies=["D1-A-002"]), raw("D1-A-002", line=30)], BLUEPRINT
    )
    graph = enemy_graph(records)
    assert graph == {"D1-A-001": frozenset({"D1-A-002"}), "D1-A-002": frozenset({"D1-A-001"})}


def test_enemy_graph_skips_a_self_listing_but_keeps_the_enemies_after_it() -> None:
    item = ItemRecord(
        "K1", "D1-A", "D1", "s", ("a",), 0, ("r",), ("x",), "easy", enemies=("K1", "K2")
    )
    assert enemy_graph([item]) == {"K1": frozenset({"K2"}), "K2": frozenset({"K1"})}


def test_a_record_line_falls_back_to_the_parent_field_then_the_item() -> None:
    item = ItemRecord(
        "K",
        "D1-A",
        "D1",
        "s",
        ("a",),
        0,
        ("r",),
        ("x",),
        "easy",
        source=SourceRef(FILE, 3),
        field_lines={"options": 5, "options.B": 7},
    )
    assert item.line_of("options.B") == 7
    assert item.line_of("options.C") == 5
    assert item.line_of("rationale.A") == 3


def test_problems_are_sorted_by_file_then_line_then_reason_without_repeats() -> None:
    items = [
        raw("D1-A-001", line=50, file="b.yaml", difficulty="x", answer="Z"),
        raw("D1-A-002", line=3, file="c.yaml", stem=""),
        raw("D1-A-003", line=90, file="a.yaml", stem=""),
    ]
    problems = problems_of(*items)
    assert [(p.file, p.line) for p in problems] == [
        ("a.yaml", line_map(90)["stem"]),
        ("b.yaml", line_map(50)["difficulty"]),
        ("b.yaml", line_map(50)["answer"]),
        ("c.yaml", line_map(3)["stem"]),
    ]


def test_problems_on_one_line_are_sorted_by_reason() -> None:
    item = raw("D1-A-001", difficulty="x", answer="Z")
    item = dataclasses.replace(item, lines={})
    assert [p.reason for p in problems_of(item)] == [
        "item D1-A-001: answer 'Z' must be one of the option letters A, B, C, D",
        "item D1-A-001: difficulty 'x' must be one of easy, medium, hard",
    ]


def test_problems_are_sorted_and_an_item_with_problems_gives_no_record() -> None:
    items = [raw("D1-A-002", line=30, stem=""), raw("D1-A-001", line=3, answer="Z")]
    records, problems = validate_items(items, BLUEPRINT)
    assert records == []
    assert [p.line for p in problems] == sorted(p.line for p in problems)


# --- records and their hash ---------------------------------------------------------------


def test_content_hash_ignores_where_the_item_was_read() -> None:
    [a], _ = validate_items([raw(line=3)], BLUEPRINT)
    [b], _ = validate_items([raw(line=90, file="elsewhere.yaml")], BLUEPRINT)
    assert a.content_hash() == b.content_hash()
    assert len(a.content_hash()) == 64


@pytest.mark.parametrize(
    "change",
    [
        {"stem": "Another stem FIRST?"},
        {"answer": "A"},
        {"difficulty": "hard"},
        {"references": ["ISO/IEC 42001:2023, clause 6.1.2"]},
        {"options": {"A": "Option one", "B": "Option 2", "C": "Option three", "D": "Option four"}},
        {"enemies": ["D1-A-002"]},
    ],
)
def test_content_hash_changes_with_content(change: Mapping[str, Any]) -> None:
    base, _ = validate_items([raw(), raw("D1-A-002", line=30)], BLUEPRINT)
    changed, _ = validate_items([raw(**change), raw("D1-A-002", line=30)], BLUEPRINT)
    assert base[0].content_hash() != changed[0].content_hash()


def test_content_hash_is_the_sha256_of_the_canonical_json_text() -> None:
    # Stored hashes let an import skip unchanged items: the text hashed (sorted keys, no
    # spaces, UTF-8 unescaped, enemies sorted, as_of only when set) is a contract.
    item = ItemRecord(
        "D1-A-001",
        "D1-A",
        "D1",
        "Which control is BEST — café?",
        ("a", "b", "c", "d"),
        1,
        ("ra", "rb", "rc", "rd"),
        ("ISO/IEC 42001:2023",),
        "hard",
        ("D1-A-003", "D1-A-002"),
        as_of=dt.date(2026, 12, 4),
    )
    canonical = (
        '{"answer":1,"as_of":"2026-12-04","difficulty":"hard","enemies":["D1-A-002","D1-A-003"],'
        '"key":"D1-A-001","options":["a","b","c","d"],"rationales":["ra","rb","rc","rd"],'
        '"references":["ISO/IEC 42001:2023"],"stem":"Which control is BEST — café?",'
        '"subdomain":"D1-A","v":1}'
    )
    assert item.content_hash() == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    undated = dataclasses.replace(item, as_of=None)
    without = canonical.replace('"as_of":"2026-12-04",', "")
    assert undated.content_hash() == hashlib.sha256(without.encode("utf-8")).hexdigest()


def test_content_hash_ignores_enemy_order() -> None:
    a = ItemRecord("K", "D1-A", "D1", "s", ("a",), 0, ("r",), ("x",), "easy", ("X", "Y"))
    b = dataclasses.replace(a, enemies=("Y", "X"))
    assert a.content_hash() == b.content_hash()


def test_records_compare_without_field_lines_and_are_hashable() -> None:
    a = ItemRecord("K", "D1-A", "D1", "s", ("a",), 0, ("r",), ("x",), "easy", field_lines={"a": 1})
    b = dataclasses.replace(a, field_lines={"a": 99})
    assert a == b
    assert hash(a) == hash(b)
    assert a != dataclasses.replace(a, source=SourceRef("other", 1))


def test_did_you_mean() -> None:
    assert did_you_mean("refrences", ["references", "stem"]) == " (did you mean 'references'?)"
    assert did_you_mean("zzz", ["references"]) == ""


def test_did_you_mean_needs_a_seventy_percent_match() -> None:
    # Similarity is 2 x shared letters / total letters: 12/16 is close, 10/16 is not.
    assert did_you_mean("abcdefxy", ["abcdefgh"]) == " (did you mean 'abcdefgh'?)"
    assert did_you_mean("abcdewxy", ["abcdefgh"]) == ""


# --- robustness -----------------------------------------------------------------------------

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["A", "B", "C", "D", "E"]), children, max_size=5)
    ),
    max_leaves=10,
)


@settings(max_examples=examples(200), deadline=None)
@given(
    changes=st.dictionaries(
        st.sampled_from([*REQUIRED_FIELDS, "enemies", "subdomain", "extra"]), values, max_size=4
    )
)
def test_any_malformed_item_gives_problems_never_an_exception(
    changes: dict[str, object],
) -> None:
    records, problems = validate_items([raw(**changes)], BLUEPRINT)
    assert len(records) + (1 if problems else 0) == 1
    assert all(p.file == FILE and p.line >= 1 for p in problems)
