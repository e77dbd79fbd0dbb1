"""Import limits through the service and the CLI: size cap, field caps, cut lists, exit codes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import func, select

from exam_engine.domain import formats
from exam_engine.domain.bank import ItemRecord
from exam_engine.domain.formats import yaml_format
from exam_engine.domain.formats.limits import FieldLimits, ImportLimits
from exam_engine.models import Question
from exam_engine.services import interchange
from exam_engine.services.bank import ImportFailed
from exam_engine.services.catalog import bundled_blueprint
from question_bank import BUNDLED_BLUEPRINT, load_bank

FORMATS = ("yaml", "csv", "gift", "qti")
# Far over the 10,000-character default, yet under CSV's million-character cell.
HUGE_STEM = "A scenario sentence that goes on. " * 17_000 + "Which step is BEST?"


def one_item(**changes: object) -> ItemRecord:
    item = load_bank().items[0]
    return dataclasses.replace(item, **changes)  # type: ignore[arg-type]


def file_of(fmt: str, items: list[ItemRecord]) -> bytes:
    if fmt == "yaml":
        return yaml_format.write(items, BUNDLED_BLUEPRINT.read_text("utf-8"))
    return formats.write(fmt, items, bundled_blueprint())


def questions(session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(Question)) or 0)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_huge_stem_is_refused_in_every_format_naming_the_item_and_field(
    session, fmt: str
) -> None:
    item = one_item(stem=HUGE_STEM)
    data = file_of(fmt, [item])
    with pytest.raises(ImportFailed) as caught:
        interchange.import_file(
            session, fmt, data, filename=f"bank.{fmt}", publish=False, author_id=None
        )
    [problem] = caught.value.problems
    assert f"item {item.key!r} stem is {len(HUGE_STEM):,} characters; the limit is 10,000" in (
        problem
    )
    assert problem.startswith("bank.")
    assert questions(session) == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_raised_field_limit_lets_the_long_stem_in(session, fmt: str) -> None:
    item = one_item(stem=HUGE_STEM)
    limits = ImportLimits(fields=FieldLimits(stem=len(HUGE_STEM)))
    result = interchange.import_file(
        session,
        fmt,
        file_of(fmt, [item]),
        filename=f"bank.{fmt}",
        publish=False,
        author_id=None,
        limits=limits,
    )
    assert result.created == [item.key]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_over_the_size_cap_is_refused_before_parsing(session, fmt: str) -> None:
    data = file_of(fmt, [one_item()])
    limits = ImportLimits(max_bytes=len(data) - 1)
    with pytest.raises(ImportFailed) as caught:
        interchange.import_file(
            session, fmt, data, filename="big", publish=False, author_id=None, limits=limits
        )
    [problem] = caught.value.problems
    assert problem.startswith("big:1: the file is ")
    assert f"({len(data):,} bytes); the import limit is" in problem
    assert questions(session) == 0


# --- the CLI ------------------------------------------------------------------------------


@pytest.fixture
def runner(app, session):
    return app.test_cli_runner()


def bad_csv(count: int) -> bytes:
    items = load_bank().items[:count]
    records = [dataclasses.replace(item, difficulty="veryhard") for item in items]
    return formats.write("csv", records, bundled_blueprint())


def test_the_cli_lists_50_problems_then_a_count_and_exits_1(runner, session, tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(bad_csv(120))
    result = runner.invoke(args=["bank", "import", "--format", "csv", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    problems = [line for line in lines if "must be one of easy, medium, hard" in line]
    assert len(problems) == 50
    assert "... and 70 more problems" in lines
    assert lines[-1] == "nothing imported"
    assert questions(session) == 0


def test_the_cli_refuses_a_file_over_the_configured_cap(
    app, runner, session, tmp_path, monkeypatch
) -> None:
    path = tmp_path / "bank.csv"
    path.write_bytes(bad_csv(3))
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1000)
    result = runner.invoke(args=["bank", "import", "--format", "csv", str(path)])
    assert result.exit_code == 1
    size = path.stat().st_size
    assert f"bank.csv:1: the file is {size // 1024} KB ({size:,} bytes)" in result.output
    assert "the import limit is 1,000 bytes" in result.output
    assert questions(session) == 0


def test_the_cli_refuses_a_yaml_file_over_the_cap(
    app, runner, session, tmp_path, monkeypatch
) -> None:
    source = sorted((BUNDLED_BLUEPRINT.parent / "items").glob("*.yaml"))[0]
    path = tmp_path / "items" / source.name
    path.parent.mkdir()
    path.write_bytes(source.read_bytes())
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1000)
    result = runner.invoke(args=["bank", "import", str(path)])
    assert result.exit_code == 1
    assert "the import limit is 1,000 bytes" in result.output
    assert questions(session) == 0


def test_the_cli_refuses_an_over_long_yaml_field_with_the_configured_limit(
    app, runner, session, tmp_path, monkeypatch
) -> None:
    source = sorted((BUNDLED_BLUEPRINT.parent / "items").glob("*.yaml"))[0]
    path: Path = tmp_path / "items" / source.name
    path.parent.mkdir()
    path.write_bytes(source.read_bytes())
    monkeypatch.setitem(app.config, "ITEM_FIELD_LIMITS", {"stem": 20})
    result = runner.invoke(args=["bank", "import", str(path)])
    assert result.exit_code == 1
    assert "stem is" in result.output
    assert "characters; the limit is 20" in result.output
    assert questions(session) == 0


def test_a_csv_cell_of_megabytes_stops_the_reader_at_its_line(session) -> None:
    item = one_item(stem="x" * 1_200_000)
    data = file_of("csv", [item])
    with pytest.raises(ImportFailed) as caught:
        interchange.import_file(
            session, "csv", data, filename="big.csv", publish=False, author_id=None
        )
    assert caught.value.problems == (
        "big.csv:2: a cell is longer than 1,000,000 characters, far over any item field's limit",
    )
