"""Item files read entry by entry give what reading the whole node tree gave: data, lines, problems.

The reference here composes the whole document (``parse_yaml``, which the blueprint still
uses) and walks its nodes, as ``read_items_file`` did before it streamed; every case is
read both ways and compared field by field.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from exam_engine.domain.bank import Problem, RawItem
from question_bank import BUNDLED_BANK, read_items_file
from question_bank.item_stream import LIBYAML, field_lines, read_stream
from question_bank.loader import _child, _line, _string_keys, line_at, parse_yaml
from tests.unit.test_loader import ITEM, items_file


def tree_read(path: Path, name: str) -> tuple[list[RawItem], list[Problem]]:
    """The raw items of an item file read from its whole node tree, and its YAML problems."""
    node, data, problems = parse_yaml(path, name)
    if node is None or not isinstance(data, Mapping):
        return [], problems
    if "items" not in data:
        if "key" in data:
            return [RawItem(name, _line(node), _string_keys(data), field_lines(node))], problems
        return [], problems
    subdomain = data.get("subdomain")
    sub_line = line_at(node, "subdomain") if "subdomain" in data else None
    code = subdomain.strip() if isinstance(subdomain, str) and subdomain.strip() else None
    items_node, _ = _child(node, "items")
    entries = data["items"]
    if not isinstance(entries, list) or not isinstance(items_node, yaml.SequenceNode):
        return [], problems
    raws = [
        RawItem(
            name, _line(entry_node), _string_keys(entry), field_lines(entry_node), code, sub_line
        )
        for entry, entry_node in zip(entries, items_node.value, strict=True)
        if isinstance(entry, Mapping)
    ]
    return raws, problems


# What the YAML reading itself reports; the rest (an unknown field, items not a list) is
# read_items_file's own, worded and placed by the same code whichever way the file is read.
YAML_LEVEL = ("YAML syntax error", "is given twice", "character #x", "the file is empty", "UTF-8")


def yaml_level(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if any(mark in p.reason for mark in YAML_LEVEL)]


TWO = items_file("D1-A", "D1-A-001", "D1-A-002")
CASES = {
    "two items": TWO,
    "one item a file": ITEM.replace("  - key", "key").replace("\n    ", "\n  "),
    "a repeated key in an item": TWO.replace(
        "    answer: A\n", "    answer: A\n    answer: B\n", 1
    ),
    "a repeated key at the top": TWO + "subdomain: D1-B\n",
    "a repeated option label": TWO.replace("      B: Buy", "      A: Again\n      B: Buy", 1),
    "anchors and aliases across items": TWO.replace(
        "    references:\n      - NIST AI RMF 1.0, MAP function\n",
        "    references: &refs\n      - NIST AI RMF 1.0, MAP function\n",
        1,
    ).replace(
        "    references:\n      - NIST AI RMF 1.0, MAP function\n", "    references: *refs\n", 1
    ),
    "a merge key": TWO.replace("  - key: D1-A-001\n", "  - &base\n    key: D1-A-001\n", 1).replace(
        "  - key: D1-A-002\n", "  - <<: *base\n    key: D1-A-002\n", 1
    ),
    "an unsafe tag in an item": TWO.replace("answer: A", "answer: !!python/name:os.system", 1),
    "an unsafe tag then a syntax error": TWO.replace(
        "answer: A", "answer: !!python/name:os.system", 1
    )
    + "  - key: [unclosed\n",
    "an unsafe tag on the root": "!!python/object:os.system\n" + TWO,
    "a tagged items list": TWO.replace("items:\n", "items: !!seq\n"),
    "an anchored items list": TWO.replace("items:\n", "items: &all\n"),
    "a flow items list": "subdomain: D1-A\nitems: [{key: D1-A-001, stem: x}, 3, {key: B}]\n",
    "items that are not a list": "subdomain: D1-A\nitems:\n  key: D1-A-001\n",
    "an entry that is not a mapping": TWO.replace(
        "  - key: D1-A-002\n", "  - just text\n  - key: D1-A-002\n"
    ),
    "a second document": TWO + "---\nsubdomain: D1-B\n",
    "a syntax error": TWO.replace("    answer: A\n", "    answer: [A\n", 1),
    "an empty file": "",
    "comments only": "# nothing here\n",
    "a bare scalar": "just text\n",
    "a list at the top": "- key: D1-A-001\n",
    "a yes key and a date": TWO.replace(
        "    answer: A\n", "    answer: A\n    yes: 2026-01-02\n", 1
    ),
    "a key that is a list": "? [a, b]\n: 1\nitems: []\n",
    "unknown top-level fields": "subdomian: D1-A\n" + TWO,
    "a control character": TWO.replace("logistics", "logi\x07stics", 1),
    "a byte-order mark": "\ufeff" + TWO,
}


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "items.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _same(raws_a: list[RawItem], raws_b: list[RawItem]) -> None:
    assert [(r.line, dict(r.data), dict(r.lines)) for r in raws_a] == [
        (r.line, dict(r.data), dict(r.lines)) for r in raws_b
    ]
    assert [(r.file_subdomain, r.file_subdomain_line) for r in raws_a] == [
        (r.file_subdomain, r.file_subdomain_line) for r in raws_b
    ]


# The one difference, on purpose: the tree was checked for repeated keys after PyYAML had
# merged ``<<: *base`` into the mapping, so every merged key was "given twice".
MERGE = "a merge key"


@pytest.mark.parametrize("case", sorted(set(CASES) - {MERGE}))
def test_streaming_gives_the_node_trees_items_lines_and_yaml_problems(
    tmp_path: Path, case: str
) -> None:
    path = _write(tmp_path, CASES[case])
    expected_raws, expected_problems = tree_read(path, "items.yaml")
    raws, problems = read_items_file(path, "items.yaml")
    _same(raws, expected_raws)
    # Syntax errors, refused tags, repeated keys, bad characters: same lines, same words.
    assert sorted(yaml_level(problems)) == sorted(yaml_level(expected_problems))


def test_a_syntax_error_after_an_unsafe_tag_is_the_one_reported(tmp_path: Path) -> None:
    path = _write(tmp_path, CASES["an unsafe tag then a syntax error"])
    _, problems = read_items_file(path, "items.yaml")
    [problem] = problems
    assert "YAML syntax error" in problem.reason
    tag_line = (
        CASES["an unsafe tag in an item"].splitlines().index("    answer: !!python/name:os.system")
    )
    assert problem.line > tag_line + 1  # the cut at the end, not the tag


def test_an_unsafe_tag_is_refused_at_its_line(tmp_path: Path) -> None:
    text = CASES["an unsafe tag in an item"]
    _, problems = read_items_file(_write(tmp_path, text), "items.yaml")
    [problem] = problems
    assert "python/name:os.system" in problem.reason
    assert problem.line == text.splitlines().index("    answer: !!python/name:os.system") + 1


def test_an_undefined_alias_is_a_syntax_problem_at_its_line(tmp_path: Path) -> None:
    text = TWO.replace("    answer: A\n", "    answer: *nowhere\n", 1)
    _, problems = read_items_file(_write(tmp_path, text), "items.yaml")
    [problem] = problems
    assert "undefined alias" in problem.reason
    assert problem.line == text.splitlines().index("    answer: *nowhere") + 1


def test_a_file_that_is_not_utf8_names_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    data = TWO.encode("utf-8").replace(b"logistics", b"logi\xffstics", 1)
    expected_raws, expected = tree_read(_write(tmp_path, data), "items.yaml")
    raws, problems = read_items_file(_write(tmp_path, data), "items.yaml")
    assert raws == expected_raws == []
    assert problems == expected
    assert "not UTF-8" in problems[0].reason


def test_every_bundled_item_file_reads_the_same_both_ways() -> None:
    files = sorted((BUNDLED_BANK / "items").rglob("*.yaml"))
    assert files
    for path in files:
        expected_raws, expected = tree_read(path, path.name)
        raws, problems = read_items_file(path, path.name)
        _same(raws, expected_raws)
        assert problems == expected == []


def test_the_stream_reads_a_file_object_in_chunks_with_libyaml() -> None:
    # The point of streaming: the parser reads the file itself, a chunk at a time.
    assert LIBYAML
    with (BUNDLED_BANK / "items").glob("*.yaml").__next__().open("rb") as stream:
        read = read_stream(stream)
    assert read is not None and read.entries


def test_a_merge_key_no_longer_reports_the_merged_keys_as_repeated(tmp_path: Path) -> None:
    path = _write(tmp_path, CASES[MERGE])
    expected_raws, expected = tree_read(path, "items.yaml")
    raws, problems = read_items_file(path, "items.yaml")
    _same(raws, expected_raws)
    assert any("is given twice" in p.reason for p in expected)
    assert problems == []
    assert raws[1].data["stem"] == raws[0].data["stem"]
