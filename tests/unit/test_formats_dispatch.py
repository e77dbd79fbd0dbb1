"""The formats package's front door: one parse and one write for every format by name."""

from __future__ import annotations

import dataclasses
import io
import zipfile

import pytest

from exam_engine.domain import formats
from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.formats import csv_format, gift, moodle_xml, qti, yaml_format
from tests.support.bundled import bundled_blueprint, bundled_subdomain


def _items() -> list[ItemRecord]:
    return list(bundled_subdomain("D1-A")[:3])


@pytest.mark.parametrize(
    ("fmt", "module"),
    [("csv", csv_format), ("gift", gift), ("qti", qti), ("moodlexml", moodle_xml)],
)
def test_write_and_parse_dispatch_to_the_named_format(fmt: str, module: object) -> None:
    data = formats.write(fmt, _items(), bundled_blueprint())
    assert data == module.write(_items(), bundled_blueprint())  # type: ignore[attr-defined]
    parsed = formats.parse(
        fmt, data, filename=f"bank.{fmt}", blueprint=bundled_blueprint(), known_keys=("D9-Z-999",)
    )
    direct = module.parse(  # type: ignore[attr-defined]
        data, filename=f"bank.{fmt}", blueprint=bundled_blueprint(), known_keys=("D9-Z-999",)
    )
    assert parsed == direct
    assert parsed.problems == ()
    assert [item.key for item in parsed.items] == [item.key for item in _items()]


def test_parse_passes_the_file_name_and_known_keys_on() -> None:
    item = dataclasses.replace(_items()[0], enemies=("D1-B-001",))
    data = formats.write("csv", [item], bundled_blueprint())
    alone = formats.parse("csv", data, filename="mine.csv", blueprint=bundled_blueprint())
    assert [item.source.file for item in alone.items] == []
    assert any(str(p).startswith("mine.csv:") and "D1-B-001" in str(p) for p in alone.problems)
    known = formats.parse(
        "csv", data, filename="mine.csv", blueprint=bundled_blueprint(), known_keys=("D1-B-001",)
    )
    assert known.problems == ()
    assert [item.source.file for item in known.items] == ["mine.csv"]


def test_yaml_is_written_as_a_zip_with_the_blueprint_text() -> None:
    data = formats.write("yaml", _items(), bundled_blueprint(), blueprint_text="name: x\n")
    assert data == yaml_format.write(_items(), "name: x\n")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("blueprint.yaml") == b"name: x\n"


def test_yaml_is_not_parsed_here() -> None:
    with pytest.raises(ValueError, match="no parser here for format 'yaml'; choose one of csv"):
        formats.parse("yaml", b"", filename="x", blueprint=bundled_blueprint())


def test_an_unknown_format_is_refused_by_name() -> None:
    with pytest.raises(
        ValueError, match="unknown format 'docx'; choose one of yaml, csv, gift, qti"
    ):
        formats.write("docx", [], bundled_blueprint())
    assert formats.FORMATS == ("yaml", "csv", "gift", "qti", "moodlexml")
    assert formats.PARSED_HERE == ("csv", "gift", "qti", "moodlexml")
