"""Registries, lint findings and domain errors say exactly what they hold."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from exam_engine.domain.errors import AssemblyError, BankError, Shortage, SourceError
from exam_engine.domain.lint import currency_rules
from exam_engine.domain.lint.registry import (
    RULES,
    Finding,
    bank_rule,
    finding,
    item_rule,
    option_label,
)
from exam_engine.domain.registry import Entry, Registry
from tests.unit.test_lint import make_item


def test_a_registry_keeps_name_summary_and_function() -> None:
    def solve() -> None: ...

    registry: Registry[object] = Registry("solver strategy")
    assert registry.kind == "solver strategy"
    assert registry.register("first", "the first one")(solve) is solve
    assert registry["first"] == Entry("first", "the first one", solve)
    with pytest.raises(ValueError, match="^solver strategy 'first' is already registered$"):
        registry.add("first", "again", solve)


@pytest.fixture
def restored_rules():
    before = dict(RULES)
    yield
    RULES.clear()
    RULES.update(before)


def test_bank_and_item_rules_register_their_summaries(restored_rules) -> None:
    @bank_rule("test-bank-rule", "looks at the whole bank")
    def whole(items):
        return []

    @item_rule("test-item-rule", "looks at one item")
    def each(item):
        yield finding(item, "test-item-rule", "warning", "seen")

    assert RULES["test-bank-rule"].summary == "looks at the whole bank"
    assert RULES["test-item-rule"].summary == "looks at one item"
    items = [make_item(key="D3-B-001"), make_item(key="D3-B-002")]
    assert [f.key for f in RULES["test-item-rule"].run(items)] == ["D3-B-001", "D3-B-002"]


def test_a_finding_is_located_at_its_field_or_at_the_item() -> None:
    item = make_item(file="items/D3-B.yaml")
    at_item = finding(item, "rule", "error", "message")
    assert (at_item.file, at_item.line) == ("items/D3-B.yaml", item.source.line)
    at_field = finding(item, "rule", "error", "message", "options.B")
    assert at_field.line == item.line_of("options.B")


def test_a_finding_reads_file_line_level_rule_key_and_message() -> None:
    item_finding = Finding("D3-B-001", "items/D3-B.yaml", 12, "stem-length", "error", "too long")
    assert str(item_finding) == "items/D3-B.yaml:12: error [stem-length] D3-B-001: too long"
    bank_finding = dataclasses.replace(item_finding, key="", file="<bank>", line=0)
    assert str(bank_finding) == "<bank>:0: error [stem-length] too long"


def test_option_labels_are_letters_then_numbers() -> None:
    assert [option_label(i) for i in range(6)] == ["A", "B", "C", "D", "5", "6"]


def test_currency_patterns_match_any_alternative_in_any_case() -> None:
    pattern = currency_rules._any(r"\bno longer\b", r"\bomnibus\b")
    assert pattern.search("The OMNIBUS moved it")
    assert pattern.search("it is No Longer due")
    assert not pattern.search("no|longer")


def test_a_shortage_says_when_enemies_are_the_cause() -> None:
    assert str(Shortage("D1-A", 3, 1)) == "D1-A needs 3 eligible items, has 1"
    assert str(Shortage("D1-A", 3, 1, enemies=True)) == (
        "D1-A needs 3 eligible items, has 1 once enemies of the other chosen items are set aside"
    )


def test_an_assembly_error_lists_every_shortage_and_survives_pickling() -> None:
    error = AssemblyError([Shortage("D1-A", 3, 1), Shortage("D2-B", 2, 0)])
    assert str(error) == (
        "cannot assemble the form: D1-A needs 3 eligible items, has 1; "
        "D2-B needs 2 eligible items, has 0"
    )
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


def test_a_source_error_reads_one_problem_a_line() -> None:
    assert (
        str(SourceError(["a.yaml:1: bad", "a.yaml:9: worse"])) == "a.yaml:1: bad\na.yaml:9: worse"
    )
    assert str(SourceError([])) == "invalid source file"
    copy = pickle.loads(pickle.dumps(BankError(["b.yaml:2: missing key"])))
    assert (type(copy), copy.problems) == (BankError, ("b.yaml:2: missing key",))
