"""Loading bank files: blueprint.yaml and item files, with file:line problems, never tracebacks."""

from __future__ import annotations

import ast
import shutil
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

import question_bank
from exam_engine.domain.bank import Problem
from exam_engine.domain.errors import BankError, BlueprintError, BlueprintFileError
from question_bank import (
    BUNDLED_BANK,
    BUNDLED_BLUEPRINT,
    load_bank,
    load_blueprint,
    read_items_file,
)
from question_bank.loader import display_path

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_DIR = ROOT / "exam_engine" / "domain"

ITEM = """\
  - key: {key}
    difficulty: medium
    stem: >-
      A logistics firm uses a route-planning model. Which step should the security
      manager take FIRST?
    options:
      A: Inventory the model and its data sources
      B: Buy a monitoring tool for the model
      C: Retrain the model on last year's routes
      D: Ask the supplier for a security statement
    answer: A
    rationale:
      A: An inventory comes first; every later control depends on it.
      B: Tooling before understanding the scope treats a symptom.
      C: Retraining does not address an unknown security exposure.
      D: A statement gives little assurance without knowing what is in use.
    references:
      - NIST AI RMF 1.0, MAP function
"""


def items_file(subdomain: str, *keys: str, extra: str = "") -> str:
    body = "".join(ITEM.format(key=key) for key in keys)
    return f"subdomain: {subdomain}\n{extra}items:\n{body}"


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def bank_dir(tmp_path: Path) -> Path:
    """A bank directory: the bundled blueprint and two small item files."""
    root = tmp_path / "bank"
    root.mkdir()
    shutil.copy(BUNDLED_BLUEPRINT, root / "blueprint.yaml")
    write(root / "items" / "D1-A.yaml", items_file("D1-A", "D1-A-001", "D1-A-002"))
    write(root / "items" / "D2-B.yaml", items_file("D2-B", "D2-B-001"))
    return root


def only_problem(path: Path) -> Problem:
    bank = load_bank(path)
    assert len(bank.problems) == 1, bank.problems
    return bank.problems[0]


# --- the bundled blueprint and the layering rule --------------------------------------------


def test_the_bundled_blueprint_has_three_domains_and_thirteen_subdomains() -> None:
    blueprint = load_blueprint(BUNDLED_BLUEPRINT)
    assert [(d.code, d.weight) for d in blueprint.domains] == [("D1", 31), ("D2", 31), ("D3", 38)]
    assert len(blueprint.subdomain_codes) == 13
    assert [len(d.subdomains) for d in blueprint.domains] == [5, 3, 5]
    assert blueprint.subdomain("D3-B").title == "AI Life Cycle"
    full = blueprint.template("aaism-full")
    assert (full.item_count, full.minutes, full.mode) == (90, 180, "exam")
    assert full.difficulty_mix == {"easy": 0.25, "medium": 0.5, "hard": 0.25}
    assert blueprint.template("drill-d2").domain_weights == {"D2": 1}
    assert blueprint.template("drill-d2").mode == "practice"
    assert blueprint.template("aaism-exam-pace").minutes == 150


def test_the_bundled_bank_is_found_next_to_the_package() -> None:
    assert BUNDLED_BANK == Path(question_bank.__file__).resolve().parent / "aaism"
    assert BUNDLED_BLUEPRINT.is_file()
    assert load_blueprint(BUNDLED_BANK) == load_blueprint(BUNDLED_BLUEPRINT)


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "module", ["bank.py", *(f"lint/{p.name}" for p in sorted((DOMAIN_DIR / "lint").glob("*.py")))]
)
def test_bank_and_lint_use_the_standard_library_only(module: str) -> None:
    outside = {
        name
        for name in imported_modules(DOMAIN_DIR / module)
        if name.split(".")[0] not in sys.stdlib_module_names
        and not name.startswith("exam_engine.domain")
        and name != "__future__"
        # Under mutation testing the module imports mutmut's trampoline.
        and name.split(".")[0] != "mutmut"
    }
    assert outside == set()


# --- loading a bank ----------------------------------------------------------------------------


def test_a_bank_directory_loads_with_lines(bank_dir: Path) -> None:
    bank = load_bank(bank_dir)
    assert bank.ok, bank.problems
    assert [i.key for i in bank.items] == ["D1-A-001", "D1-A-002", "D2-B-001"]
    first, second, third = bank.items
    assert first.source.file.endswith("D1-A.yaml")
    assert first.source.line == 3
    assert second.source.line == 3 + ITEM.count("\n")
    assert first.line_of("stem") == 5
    assert first.line_of("options.C") == 11
    assert first.line_of("rationale.D") == 18
    assert first.line_of("references.0") == 20
    assert (third.subdomain, third.domain) == ("D2-B", "D2")
    assert len(bank.files) == 2
    bank.raise_for_problems()  # no problem, no exception


def test_one_item_file_uses_the_blueprint_one_directory_up(bank_dir: Path) -> None:
    bank = load_bank(bank_dir / "items" / "D2-B.yaml")
    assert [i.key for i in bank.items] == ["D2-B-001"]
    assert bank.blueprint == load_blueprint(bank_dir)


def test_an_items_directory_uses_the_parent_blueprint(bank_dir: Path) -> None:
    assert len(load_bank(bank_dir / "items").items) == 3


def test_a_lone_file_falls_back_to_the_bundled_blueprint(tmp_path: Path) -> None:
    path = write(tmp_path / "D3-E.yaml", items_file("D3-E", "D3-E-001"))
    bank = load_bank(path)
    assert bank.ok, bank.problems
    assert bank.blueprint.name == "aaism"


def test_an_explicit_blueprint_wins(bank_dir: Path) -> None:
    blueprint = load_blueprint(BUNDLED_BLUEPRINT)
    assert load_bank(bank_dir, blueprint=blueprint).blueprint is blueprint


def test_one_item_a_file_is_accepted(bank_dir: Path) -> None:
    single = textwrap.dedent(ITEM.format(key="D1-B-007").replace("  - key:", "    key:"))
    write(bank_dir / "items" / "D1-B" / "D1-B-007.yaml", "subdomain: D1-B\n" + single)
    bank = load_bank(bank_dir)
    assert bank.ok, bank.problems
    assert "D1-B-007" in [i.key for i in bank.items]


def test_yml_files_count_and_hidden_or_other_files_do_not(bank_dir: Path) -> None:
    write(bank_dir / "items" / "D3-A.yml", items_file("D3-A", "D3-A-001"))
    write(bank_dir / "items" / ".#D3-C.yaml", "not: [valid")
    write(bank_dir / "items" / "notes.txt", "free text")
    bank = load_bank(bank_dir)
    assert bank.ok, bank.problems
    assert len(bank.items) == 4


def test_a_missing_path_is_a_bank_error(tmp_path: Path) -> None:
    with pytest.raises(BankError, match="no such file or directory"):
        load_bank(tmp_path / "nowhere")


def test_problems_raise_a_bank_error_on_request(bank_dir: Path) -> None:
    write(bank_dir / "items" / "D1-A.yaml", items_file("D1-A", "D1-A-001", "D1-A-001"))
    bank = load_bank(bank_dir)
    with pytest.raises(BankError) as raised:
        bank.raise_for_problems()
    assert raised.value.problems == bank.problems
    assert "duplicate key 'D1-A-001'" in str(raised.value)


def test_validation_problems_carry_the_real_lines(bank_dir: Path) -> None:
    text = items_file("D1-A", "D1-A-001").replace("answer: A", "answer: E")
    path = write(bank_dir / "items" / "D1-A.yaml", text)
    problem = only_problem(path)
    assert problem.line == 13
    assert "answer 'E'" in problem.reason
    assert problem.file == display_path(path)


def test_an_unknown_subdomain_file_is_reported_once_at_its_header(bank_dir: Path) -> None:
    path = write(bank_dir / "items" / "D1-A.yaml", items_file("D4-A", "D4-A-001", "D4-A-002"))
    problem = only_problem(path)
    assert problem.line == 1
    assert "unknown sub-domain 'D4-A'" in problem.reason


# --- file problems: syntax, encoding, structure -------------------------------------------------


def test_a_yaml_syntax_error_is_a_problem_with_its_line(bank_dir: Path) -> None:
    text = items_file("D1-A", "D1-A-001").replace(
        "A: Inventory the model and its data sources", "A: Inventory: the model and: its data"
    )
    path = write(bank_dir / "items" / "D1-A.yaml", text)
    problem = only_problem(path)
    assert problem.line == 9
    assert problem.reason.startswith("YAML syntax error: ")
    assert "mapping values are not allowed" in problem.reason


def test_an_unclosed_bracket_is_a_problem(bank_dir: Path) -> None:
    path = write(bank_dir / "items" / "D1-A.yaml", "subdomain: D1-A\nitems: [\n")
    assert only_problem(path).reason.startswith("YAML syntax error")


def test_a_non_utf8_file_is_a_problem_with_its_line(bank_dir: Path) -> None:
    text = items_file("D1-A", "D1-A-001").replace("logistics", "logistic\xe9").encode("latin-1")
    path = write(bank_dir / "items" / "D1-A.yaml", text)
    problem = only_problem(path)
    assert problem.line == 6
    assert "not UTF-8" in problem.reason


def test_a_utf8_bom_and_non_ascii_text_are_fine(bank_dir: Path) -> None:
    text = items_file("D1-A", "D1-A-001").replace("logistics", "logístics")
    write(bank_dir / "items" / "D1-A.yaml", b"\xef\xbb\xbf" + text.encode("utf-8"))
    bank = load_bank(bank_dir)
    assert bank.ok, bank.problems
    assert "logístics" in bank.items[0].stem


def test_a_control_character_is_a_problem(bank_dir: Path) -> None:
    text = items_file("D1-A", "D1-A-001").replace("route-planning", "route\x07planning")
    problem = only_problem(write(bank_dir / "items" / "D1-A.yaml", text))
    assert problem.line == 6
    assert "character #x0007 is not allowed in YAML" in problem.reason


@pytest.mark.parametrize(
    ("text", "expected", "line"),
    [
        ("", "the file is empty", 1),
        ("# only a comment\n", "the file is empty", 1),
        ("- key: D1-A-001\n", "expected a mapping", 1),
        ("subdomain: D1-A\nitem: []\n", "expected 'items'", 1),
        ("subdomain: D1-A\nitems: D1-A-001\n", "'items' must be a list", 2),
        ("subdomain: D1-A\nitems:\n  - just text\n", "an item must be a mapping", 3),
        ("subdomain: [D1-A]\nitems: []\n", "'subdomain' must be a code", 1),
        ("subdomain: D1-A\nitems: []\n---\nitems: []\n", "YAML syntax error", 3),
    ],
)
def test_a_badly_shaped_file_is_a_problem(
    bank_dir: Path, text: str, expected: str, line: int
) -> None:
    problem = only_problem(write(bank_dir / "items" / "D1-A.yaml", text))
    assert expected in problem.reason
    assert problem.line == line


def test_an_unknown_top_level_field_is_a_problem(bank_dir: Path) -> None:
    text = items_file("D1-A", "D1-A-001", extra="author: someone\n")
    problem = only_problem(write(bank_dir / "items" / "D1-A.yaml", text))
    assert (problem.line, "unknown top-level field 'author'" in problem.reason) == (2, True)


def test_a_repeated_yaml_key_is_a_problem(bank_dir: Path) -> None:
    text = items_file("D1-A", "D1-A-001").replace(
        "    answer: A\n", "    answer: A\n    answer: B\n"
    )
    problem = only_problem(write(bank_dir / "items" / "D1-A.yaml", text))
    assert problem.line == 14
    assert "'answer' is given twice (first at line 13)" in problem.reason


def test_an_unquoted_yes_is_explained(bank_dir: Path) -> None:
    text = items_file("D1-A", "D1-A-001").replace(
        "D: Ask the supplier for a security statement", "D: yes"
    )
    problem = only_problem(write(bank_dir / "items" / "D1-A.yaml", text))
    assert problem.line == 12
    assert "true/false value (quote it" in problem.reason


def test_read_items_file_returns_raw_items(bank_dir: Path) -> None:
    raws, problems = read_items_file(bank_dir / "items" / "D1-A.yaml", "x.yaml")
    assert problems == []
    assert [(r.file, r.line, r.file_subdomain, r.file_subdomain_line) for r in raws] == [
        ("x.yaml", 3, "D1-A", 1),
        ("x.yaml", 3 + ITEM.count("\n"), "D1-A", 1),
    ]


# --- blueprint problems ------------------------------------------------------------------


def blueprint_error(tmp_path: Path, text: str) -> BlueprintFileError:
    path = write(tmp_path / "blueprint.yaml", text)
    with pytest.raises(BlueprintFileError) as raised:
        load_blueprint(path)
    return raised.value


GOOD_BLUEPRINT = """\
name: mini
title: Mini blueprint
domains:
  - code: D1
    title: One
    weight: 60
    subdomains:
      - code: D1-A
        title: One A
  - code: D2
    title: Two
    weight: 40
    subdomains:
      - code: D2-A
        title: Two A
        weight: 2
templates:
  - name: quiz
    title: Quiz
    item_count: 10
    minutes: 20
    mode: practice
    domain_weights: {D1: 1}
    subdomains: [D1-A]
    difficulty_mix: {easy: 0.5, hard: 0.5}
"""


def test_a_good_blueprint_loads(tmp_path: Path) -> None:
    blueprint = load_blueprint(write(tmp_path / "blueprint.yaml", GOOD_BLUEPRINT))
    assert blueprint.subdomain("D2-A").weight == 2
    quiz = blueprint.template("quiz")
    assert (quiz.mode, quiz.subdomains, quiz.domain_weights) == ("practice", ("D1-A",), {"D1": 1})
    assert quiz.description == ""


@pytest.mark.parametrize(
    ("old", "new", "line", "expected"),
    [
        ("name: mini\n", "", 1, "the blueprint needs 'name'"),
        ("weight: 60", "weight: sixty", 6, "'weight' must be a whole number >= 1"),
        ("weight: 60", "weight: 0", 6, "'weight' must be a whole number >= 1"),
        ("code: D2-A", "code: D1-A", 14, "code 'D1-A' is used twice (first at line 8)"),
        ("code: D2\n", "code: D1\n", 10, "code 'D1' is used twice (first at line 4)"),
        ("  - code: D2-A\n", "  - cde: D2-A\n", 14, "unknown field 'cde'"),
        ("item_count: 10", "item_count: -1", 20, "'item_count' must be a whole number"),
        ("mode: practice", "mode: timed", 22, "mode 'timed' must be one of exam, practice"),
        ("{D1: 1}", "{D9: 1}", 23, "weights unknown domain 'D9'"),
        ("{D1: 1}", "{D1: 0}", 23, "needs one weight above 0"),
        ("[D1-A]", "[D1-Z]", 24, "unknown sub-domain 'D1-Z'"),
        ("hard: 0.5", "hard: 0.4", 25, "shares add up to 0.9, not 1"),
        ("hard: 0.5", "expert: 0.5", 25, "difficulty 'expert' must be one of"),
        ("[D1-A]", "[D2-A]", 18, "has no domain with weight"),
        ("title: Mini blueprint\n", "title: Mini blueprint\nversion: 2\n", 3, "unknown field"),
        ("domains:\n", "domains: []\nold:\n", 3, "non-empty list of 'domains'"),
        ("name: mini", "name: [mini", 2, "flow sequence (from line 1)"),
        ("templates:\n  - name: quiz", "templates:\n  - name: quiz\n    name: q", 19, "twice"),
    ],
)
def test_blueprint_problems_name_file_and_line(
    tmp_path: Path, old: str, new: str, line: int, expected: str
) -> None:
    assert old in GOOD_BLUEPRINT
    error = blueprint_error(tmp_path, GOOD_BLUEPRINT.replace(old, new, 1))
    assert isinstance(error, BlueprintError)
    matching = [p for p in error.problems if isinstance(p, Problem) and expected in p.reason]
    assert matching, [str(p) for p in error.problems]
    assert matching[0].line == line
    assert f"blueprint.yaml:{line}: " in str(error)


def test_a_duplicate_template_name_is_a_problem(tmp_path: Path) -> None:
    text = GOOD_BLUEPRINT + "  - name: quiz\n    title: Again\n    item_count: 5\n    minutes: 5\n"
    error = blueprint_error(tmp_path, text)
    assert "template name 'quiz' is used twice (first at line 18)" in str(error)


def test_a_missing_blueprint_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BlueprintFileError, match="no such blueprint file"):
        load_blueprint(tmp_path)


def test_a_bank_with_a_broken_blueprint_raises(bank_dir: Path) -> None:
    write(bank_dir / "blueprint.yaml", "name: broken\ntitle: [unclosed\n")
    with pytest.raises(BlueprintFileError, match=r"blueprint.yaml:3: YAML syntax error"):
        load_bank(bank_dir)


@pytest.mark.whole_bank
def test_the_bundled_bank_loads_without_raising() -> None:
    bank = load_bank()
    assert bank.blueprint.name == "aaism"
    assert all(isinstance(p, Problem) for p in bank.problems)


def test_a_lone_item_file_may_name_enemies_in_its_sibling_files(tmp_path: Path) -> None:
    items = tmp_path / "bank" / "items"
    items.mkdir(parents=True)
    shutil.copy(BUNDLED_BLUEPRINT, tmp_path / "bank" / "blueprint.yaml")

    def item(key: str, enemies: list[str]) -> dict[str, object]:
        return {
            "key": key,
            "difficulty": "easy",
            "stem": f"Stem of {key}. Which is BEST?",
            "options": {k: f"{key} option {k}" for k in "ABCD"},
            "answer": "A",
            "rationale": {k: f"Why {key} option {k} is what it is." for k in "ABCD"},
            "references": ["NIST AI RMF 1.0, MAP 1.1"],
            "enemies": enemies,
        }

    (items / "D1-A.yaml").write_text(
        yaml.safe_dump({"subdomain": "D1-A", "items": [item("D1-A-001", ["D2-B-001"])]})
    )
    (items / "D2-B.yaml").write_text(
        yaml.safe_dump({"subdomain": "D2-B", "items": [item("D2-B-001", [])]})
    )
    alone = load_bank(items / "D1-A.yaml")
    assert alone.problems == ()
    assert [i.key for i in alone.items] == ["D1-A-001"]
    (items / "D1-A.yaml").write_text(
        yaml.safe_dump({"subdomain": "D1-A", "items": [item("D1-A-001", ["D2-B-009"])]})
    )
    [problem] = load_bank(items / "D1-A.yaml").problems
    assert "enemy 'D2-B-009' is not a key in the bank" in problem.reason
