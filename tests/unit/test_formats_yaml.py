"""Writing the bank's own YAML: what the loader reads back, file by file and as a zip."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.formats import yaml_format
from question_bank import BUNDLED_BLUEPRINT, LoadedBank, load_bank, read_items_file
from question_bank.loader import validate_items
from tests.support.bundled import bundled_blueprint, bundled_item, bundled_subdomain
from tests.support.properties import examples
from tests.unit import formats_golden as golden_items


@lru_cache(maxsize=1)
def bundled() -> LoadedBank:
    bank = load_bank()
    assert bank.ok
    return bank


def content(item: ItemRecord) -> tuple[object, ...]:
    return (item.domain, item.canonical_content())


def reload(tmp: Path, items: list[ItemRecord]) -> list[ItemRecord]:
    raws = []
    for name, text in yaml_format.files(items).items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        found, problems = read_items_file(path, name)
        assert problems == []
        raws.extend(found)
    records, problems = validate_items(raws, bundled_blueprint())
    assert problems == [], [str(p) for p in problems]
    return records


@pytest.mark.whole_bank
def test_the_whole_bank_round_trips_through_the_loader(tmp_path: Path) -> None:
    bank = bundled()
    zipped = yaml_format.write(bank.items, BUNDLED_BLUEPRINT.read_text("utf-8"))
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        archive.extractall(tmp_path)
        names = sorted(archive.namelist())
    codes = sorted({item.subdomain for item in bank.items})
    assert names == ["blueprint.yaml", *(f"items/{code}.yaml" for code in codes)]
    reloaded = load_bank(tmp_path)
    assert reloaded.problems == ()
    assert sorted(map(content, reloaded.items), key=str) == sorted(
        map(content, bank.items), key=str
    )


def test_a_subdomain_file_looks_like_the_bundled_ones() -> None:
    item = next(i for i in bundled_subdomain("D1-A") if i.enemies)
    text = yaml_format.subdomain_file(item.subdomain, [item])
    assert f"subdomain: {item.subdomain}\nitems:\n  - key: {item.key}\n" in text
    assert "\n    enemies:\n      - " in text


def record(**changes: object) -> ItemRecord:
    base = bundled_item("D1-C-002")
    changes.setdefault("enemies", ())
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_text_that_yaml_would_misread_stays_text(tmp_path: Path) -> None:
    item = record(
        stem="yes",
        options=("1.0", "null", "key: value", "- dash"),
        rationales=("#comment", "@at", "multi\nline\n  indented", "trailing space \nnext"),
        references=("2024-01-01", "'quoted'"),
    )
    assert content(reload(tmp_path, [item])[0]) == content(item)


texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40
).filter(lambda t: t.strip() == t and t != "")


@settings(
    max_examples=examples(100),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    stem=texts,
    options=st.lists(texts, min_size=4, max_size=4),
    rationales=st.lists(texts, min_size=4, max_size=4),
    references=st.lists(texts, min_size=1, max_size=3),
)
def test_any_item_text_round_trips(tmp_path: Path, stem, options, rationales, references) -> None:
    item = record(
        stem=stem,
        options=tuple(options),
        rationales=tuple(rationales),
        references=tuple(references),
    )
    assert content(reload(tmp_path, [item])[0]) == content(item)


def test_the_zip_holds_the_blueprint_then_one_exact_file_per_subdomain() -> None:
    data = yaml_format.write(golden_items.ITEMS, "name: test\n")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["blueprint.yaml", "items/D1-A.yaml", "items/D1-B.yaml"]
        assert archive.read("blueprint.yaml") == b"name: test\n"
        assert archive.read("items/D1-A.yaml") == golden_items.golden("yaml_D1-A.yaml")
        assert archive.read("items/D1-B.yaml") == golden_items.golden("yaml_D1-B.yaml")


def test_without_blueprint_text_the_zip_holds_only_the_items() -> None:
    data = yaml_format.write(golden_items.ITEMS)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["items/D1-A.yaml", "items/D1-B.yaml"]


def test_plain_text_wraps_only_past_column_96() -> None:
    # "tail" ends at column 97, one past the width: the break comes after it, not before.
    item = dataclasses.replace(golden_items.SIMPLE, stem="x" * 82 + " tail end")
    text = yaml_format.subdomain_file("D1-A", [item])
    assert "\n    stem: " + "x" * 82 + " tail\n      end\n    options:\n" in text


def test_unicode_is_written_as_is_and_unicode_line_breaks_are_escaped() -> None:
    item = dataclasses.replace(
        golden_items.SIMPLE, options=("Café – naïve", "b\u2028c", "c\x85d", "e\u2029f")
    )
    text = yaml_format.subdomain_file("D1-A", [item])
    assert "\n      A: Café – naïve\n" in text
    assert '\n      B: "b\\Lc"\n      C: "c\\Nd"\n      D: "e\\Pf"\n' in text


def test_a_record_with_the_wrong_number_of_options_or_rationales_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^zip\(\) argument 2 is longer than argument 1$"):
        yaml_format.item_mapping(
            dataclasses.replace(golden_items.SIMPLE, options=("a", "b", "c", "d", "e"))
        )
    with pytest.raises(ValueError, match=r"^zip\(\) argument 2 is shorter than argument 1$"):
        yaml_format.item_mapping(dataclasses.replace(golden_items.SIMPLE, rationales=("r",)))
