"""Moodle XML export through the service and the CLI, and .xml files told apart by content."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from exam_engine.domain.formats import moodle_xml
from exam_engine.models import Question, QuestionVersion
from exam_engine.services import interchange
from exam_engine.services.bank import import_bank
from question_bank import LoadedBank, load_bank
from tests.support.bundled import bundled_blueprint


@lru_cache(maxsize=1)
def bundled() -> LoadedBank:
    bank = load_bank()
    assert bank.ok
    return bank


@pytest.fixture
def seeded(session):
    import_bank(session, bundled())
    return session


def test_the_service_exports_moodle_xml_that_reads_back(seeded) -> None:
    export = interchange.export(seeded, "moodlexml")
    assert export.filename == "aaism-bank-moodle.xml"
    assert export.media_type == "application/xml"
    assert export.items == len(bundled().items)
    parsed = moodle_xml.parse_foreign(
        export.content, filename=export.filename, blueprint=bundled_blueprint()
    )
    assert parsed.problems == () and parsed.warnings == ()
    by_key = {item.key: item for item in bundled().items}
    assert sorted(item.source_ref for item in parsed.items) == sorted(by_key)
    for read in parsed.items:
        item = by_key[read.source_ref]
        assert (read.stem, read.options, read.answer, read.rationales) == (
            item.stem,
            item.options,
            item.answer,
            item.rationales,
        )
        assert (read.subdomain, read.difficulty, read.references) == (
            item.subdomain,
            item.difficulty,
            item.references,
        )


def test_cli_export_moodle_xml(app, seeded, tmp_path: Path) -> None:
    out = tmp_path / "bank.xml"
    result = app.test_cli_runner().invoke(
        args=["bank", "export", "--format", "moodlexml", str(out)]
    )
    assert result.exit_code == 0, result.output + result.stderr
    assert f"exported {len(bundled().items)} items (published) as moodlexml" in result.output
    assert out.read_bytes().startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n')
    assert interchange.guess_format(out.name, out.read_bytes()) == "moodlexml"


def test_an_xml_file_is_guessed_by_its_root_element() -> None:
    assert interchange.guess_format("a.xml", b"<?xml version='1.0'?>\n<!-- x -->\n<quiz/>") == (
        "moodlexml"
    )
    assert interchange.guess_format("a.xml", b"<assessmentItem/>") == "qti"
    assert interchange.guess_format("a.xml", b"<qti-assessment-item/>") == "qti"
    assert interchange.guess_format("a.XML", b"<unknown/>") == "qti"
    assert interchange.guess_format("a.xml", None) == "qti"


def test_cli_export_then_import_moodle_xml_lands_every_item(app, seeded, tmp_path: Path) -> None:
    out = tmp_path / "bank-moodle.xml"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["bank", "export", "--format", "moodlexml", str(out)]).exit_code == 0
    seeded.execute(delete(QuestionVersion))
    seeded.execute(delete(Question))
    seeded.commit()
    imported = runner.invoke(args=["bank", "import", str(out)])
    assert imported.exit_code == 0, imported.output + imported.stderr
    assert f"imported {len(bundled().items)} items from" in imported.output
    assert "(moodlexml) as draft" in imported.output
    assert seeded.scalar(select(func.count()).select_from(Question)) == len(bundled().items)
