"""Moodle XML and other tools' QTI files through the import: drafts, as GIFT and CSV are."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from exam_engine.services import interchange
from exam_engine.services.bank import import_bank
from tests.integration.test_interchange import bundled, newest

NOW = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)
FOREIGN = Path(__file__).parents[1] / "unit" / "foreign"


ESSAY = (
    b'<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" '
    b'identifier="essay-9" title="Describe a control">'
    b'<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="string"/>'
    b'<qti-item-body><qti-extended-text-interaction response-identifier="RESPONSE">'
    b"<qti-prompt>Describe one control.</qti-prompt></qti-extended-text-interaction>"
    b"</qti-item-body></qti-assessment-item>"
)


def package(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def run_import(session, fmt: str, data: bytes, filename: str, **extra):
    return interchange.import_file(
        session, fmt, data, filename=filename, publish=False, author_id=None, now=NOW, **extra
    )


def test_a_moodle_xml_file_lands_its_single_answer_items_as_drafts(session) -> None:
    data = (FOREIGN / "moodle_mixed.xml").read_bytes()
    result = run_import(session, "moodlexml", data, "moodle.xml")
    assert result.foreign and result.status == "draft"
    assert result.drafts, "no draft from the Moodle XML file"
    first = result.drafts[0]
    assert first.source_ref == "SEC-RISK-07"  # the idnumber, not the name
    assert first.key.startswith("D2-A-")  # the category path names D2-A
    stored = newest(session)[first.key]
    assert stored.status == "draft" and stored.subdomain == "D2-A"
    assert "Build an inventory of models and their owners" in stored.options
    assert stored.rationales[stored.options.index("Buy a model-monitoring tool")] == (
        "Tools come **after** knowing what to monitor."
    )
    # Every other question type is a warning naming it, not an error.
    assert any("truefalse" in w for w in result.warnings), result.warnings


def test_another_tools_qti_package_lands_as_drafts_with_metadata_codes(session) -> None:
    data = package(
        {
            "imsmanifest.xml": (FOREIGN / "qti30_manifest.xml").read_bytes(),
            "items/drift.xml": (FOREIGN / "qti30_choice.xml").read_bytes(),
            "items/poison.xml": (FOREIGN / "qti21_choice.xml").read_bytes(),
            "items/essay.xml": ESSAY,
        }
    )
    result = run_import(session, "qti", data, "other.zip")
    assert result.foreign and result.status == "draft"
    drift, poison = result.drafts
    assert (drift.source_ref, drift.key) == ("drift-3", "D3-A-001")  # from the LOM taxon
    assert (poison.source_ref, poison.key) == ("poisoning-01", "DRAFT-0001")
    assert newest(session)["D3-A-001"].difficulty == "hard"  # LOM's "difficult"
    assert any("essay-9" in w and "skipped" in w for w in result.warnings), result.warnings


def test_a_single_qti_21_item_lands_as_an_untagged_draft_or_the_given_subdomain(session) -> None:
    data = (FOREIGN / "qti21_choice.xml").read_bytes()
    result = run_import(session, "qti", data, "item.xml", subdomain="D1-B")
    assert result.foreign
    assert [n.key for n in result.drafts] == ["D1-B-001"]


def test_the_engines_own_qti_export_still_imports_exactly(session) -> None:
    import_bank(session, bundled())
    content, filename = interchange.export_bank(session, "qti")
    result = interchange.import_file(
        session, "qti", content, filename=filename, publish=True, author_id=None
    )
    assert not result.foreign
    assert result.created == [] and result.new_versions == []
    assert result.unchanged == result.total > 0


def test_the_engines_own_moodle_xml_export_still_imports_exactly(session) -> None:
    import_bank(session, bundled())
    content, filename = interchange.export_bank(session, "moodlexml")
    result = interchange.import_file(
        session, "moodlexml", content, filename=filename, publish=True, author_id=None
    )
    assert not result.foreign
    assert result.created == [] and result.new_versions == []
    assert result.unchanged == result.total > 0
