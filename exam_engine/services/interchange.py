"""Bank import and export in the interchange formats: YAML, CSV, GIFT (Moodle) and QTI 3.0.

The formats themselves are pure (:mod:`exam_engine.domain.formats`); this module reads and
writes the database around them. An import is one transaction and all or nothing: any
problem raises :class:`~exam_engine.services.bank.ImportFailed` with ``file:line: reason``
lines and writes nothing. Imported items land as drafts unless ``publish`` is given. Each
import and export is recorded as an AuditEvent on the ``bank``.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path, PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.domain import formats
from exam_engine.domain.bank import ItemRecord, Problem
from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.drafts import checklist
from exam_engine.domain.formats import (
    ExportError,
    Parsed,
    check_items,
    foreign_formats,
    is_zip,
    read_zip,
)
from exam_engine.domain.formats._common import ordered
from exam_engine.domain.formats.limits import (
    DEFAULT_IMPORT_LIMITS,
    DEFAULT_MAX_BYTES,
    ImportLimits,
    field_problems,
    foreign_field_problems,
    size_problem,
)
from exam_engine.domain.plurals import counted
from exam_engine.domain.vocabulary import VersionStatus
from exam_engine.models import Question, QuestionVersion
from exam_engine.models.question import STATUSES
from exam_engine.services import audit, drafts
from exam_engine.services.bank import ImportFailed, ImportReport, import_bank, import_records
from exam_engine.services.bank import version_record as _version_record
from exam_engine.services.catalog import bundled_blueprint
from exam_engine.services.drafts import DraftNote
from exam_engine.services.errors import ValidationFailed
from exam_engine.services.progress import Report, ignore
from exam_engine.services.transaction import end_read, transaction
from question_bank import BUNDLED_BLUEPRINT, LoadedBank, read_items_file

FORMATS: tuple[str, ...] = formats.FORMATS
# Uploads are read whole into memory; a bank of thousands of items is a few megabytes.
# The default cap; the app's IMPORT_MAX_BYTES setting (ImportLimits) overrides it.
MAX_IMPORT_BYTES = DEFAULT_MAX_BYTES
EXPORT_SUFFIXES: dict[str, str] = {
    "yaml": "-yaml.zip",
    "csv": ".csv",
    "gift": "-gift.txt",
    "qti": "-qti.zip",
    "moodlexml": "-moodle.xml",
}
MEDIA_TYPES: dict[str, str] = {
    "yaml": "application/zip",
    "csv": "text/csv; charset=utf-8",
    "gift": "text/plain; charset=utf-8",
    "qti": "application/zip",
    "moodlexml": "application/xml",
}
YAML_SUFFIXES = (".yaml", ".yml")
BLUEPRINT_NAME = "blueprint.yaml"


@dataclass
class ImportResult(ImportReport):
    """What an import of one file did; ``warnings`` name what it held but the engine skipped.

    ``drafts`` lists, for another tool's file, each item created with its key, the file's
    own name for it and what it still lacks (``foreign`` is then True).
    """

    format: str = ""
    filename: str = ""
    status: str = ""
    warnings: list[str] = field(default_factory=list)
    drafts: list[DraftNote] = field(default_factory=list)
    foreign: bool = False

    @property
    def total(self) -> int:
        """How many items the file held (imported or unchanged)."""
        return len(self.created) + len(self.new_versions) + len(self.published) + self.unchanged


def check_format(fmt: str) -> str:
    """Return the format's canonical name or raise ValidationFailed naming the choices."""
    name = (fmt or "").strip().lower()
    if name not in FORMATS:
        raise ValidationFailed(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    return name


def guess_format(filename: str, data: bytes | None = None) -> str | None:
    """Guess a format from a file name (and a zip's contents); None when it cannot tell.

    ``.csv`` is csv, ``.gift`` gift, ``.yaml``/``.yml`` yaml, ``.xml`` moodlexml when its root
    is ``<quiz>`` and qti otherwise, and a ``.zip`` is qti when it holds ``imsmanifest.xml``,
    else yaml. A ``.txt`` is not guessed (GIFT files
    often are, but so is much else).
    """
    suffix = PurePosixPath(filename.lower()).suffix
    by_suffix = {".csv": "csv", ".gift": "gift", ".xml": "qti", ".yaml": "yaml", ".yml": "yaml"}
    if suffix == ".xml" and data is not None:
        return formats.xml_format(data) or "qti"
    if suffix in by_suffix:
        return by_suffix[suffix]
    if suffix == ".zip" and data is not None and is_zip(data):
        try:
            with zipfile.ZipFile(BytesIO(data)) as archive:
                names = {PurePosixPath(n).as_posix() for n in archive.namelist()}
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        return "qti" if "imsmanifest.xml" in names else "yaml"
    return None


def export_filename(blueprint: Blueprint, fmt: str) -> str:
    """The suggested download name, e.g. ``aaism-bank.csv``."""
    return f"{blueprint.name}-bank{EXPORT_SUFFIXES[check_format(fmt)]}"


# --- export -------------------------------------------------------------------------------


def export_records(
    session: Session, statuses: Iterable[str] = (VersionStatus.PUBLISHED,)
) -> list[ItemRecord]:
    """Each question's newest version whose status is one of ``statuses``, in key order."""
    wanted = tuple(statuses)
    unknown = [s for s in wanted if s not in STATUSES]
    if unknown or not wanted:
        raise ValidationFailed(
            f"unknown status {', '.join(map(repr, unknown)) or '(none given)'}: choose from "
            f"{', '.join(STATUSES)}"
        )
    newest: dict[str, QuestionVersion] = {}
    rows = session.execute(
        select(Question.key, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.question_id == Question.id)
        .where(QuestionVersion.status.in_(wanted))
    )
    for key, version in rows:
        if key not in newest or version.number > newest[key].number:
            newest[key] = version
    return [_version_record(key, newest[key]) for key in sorted(newest)]


# An export's progress: read, written, recorded.
EXPORT_STEPS = 3


@dataclass(frozen=True)
class Export:
    """An export: the file's bytes, a suggested name, its media type and the item count.

    ``left_out`` names incomplete drafts that were not written.
    """

    content: bytes
    filename: str
    media_type: str
    items: int
    left_out: tuple[str, ...] = ()


def export(
    session: Session,
    fmt: str,
    *,
    statuses: Sequence[str] = (VersionStatus.PUBLISHED,),
    user_id: int | None = None,
    progress: Report = ignore,
) -> Export:
    """Export the bank in one format, recording an ``export`` AuditEvent.

    Each question contributes its newest version among ``statuses``. Raises ValidationFailed
    for an unknown format or status, or an item the format cannot carry. ``progress`` hears
    of three steps: read, written, recorded.
    """
    fmt = check_format(fmt)
    blueprint = bundled_blueprint()
    progress(0, EXPORT_STEPS)
    with transaction(session):
        records = export_records(session, statuses)
        progress(1, EXPORT_STEPS)
        # An incomplete draft (another tool's item, still to complete) has no shape the
        # engine's formats can carry and read back; it is left out and named.
        incomplete = [r.key for r in records if _incomplete(r, blueprint)]
        records = [r for r in records if r.key not in set(incomplete)]
        blueprint_text = BUNDLED_BLUEPRINT.read_text("utf-8") if fmt == "yaml" else None
        try:
            content = formats.write(fmt, records, blueprint, blueprint_text=blueprint_text)
        except ExportError as error:
            raise ValidationFailed(str(error)) from error
        progress(2, EXPORT_STEPS)
        filename = export_filename(blueprint, fmt)
        audit.record(
            session,
            user_id,
            "export",
            "bank",
            blueprint.name,
            f"Exported {counted(len(records), 'item')} as {fmt} ({', '.join(statuses)})",
            details={
                "format": fmt,
                "filename": filename,
                "statuses": list(statuses),
                "items": len(records),
                "left_out": incomplete,
            },
        )
    return Export(content, filename, MEDIA_TYPES[fmt], len(records), tuple(incomplete))


def _incomplete(record: ItemRecord, blueprint: Blueprint) -> bool:
    return bool(
        checklist(
            subdomain=record.subdomain,
            difficulty=record.difficulty,
            stem=record.stem,
            options=record.options,
            answer=record.answer,
            rationales=record.rationales,
            references=record.references,
            blueprint=blueprint,
        )
    )


def export_bank(
    session: Session,
    fmt: str,
    *,
    statuses: Sequence[str] = (VersionStatus.PUBLISHED,),
    user_id: int | None = None,
) -> tuple[bytes, str]:
    """Export the bank: ``(content, suggested filename)``; YAML and QTI are zips."""
    result = export(session, fmt, statuses=statuses, user_id=user_id)
    return result.content, result.filename


# --- import -------------------------------------------------------------------------------


def _known_keys(session: Session) -> set[str]:
    return set(session.scalars(select(Question.key)))


def _parse_yaml(
    data: bytes,
    filename: str,
    blueprint: Blueprint,
    known_keys: Iterable[str],
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Parsed:
    """Read one YAML item file, or a zip of them, through the bank's own loader."""
    warnings: list[Problem] = []
    if is_zip(data):
        members, problems = read_zip(data, filename)
        if problems:
            return Parsed((), (), tuple(problems))
        files: dict[str, bytes] = {}
        for name in sorted(members):
            path = PurePosixPath(name)
            if path.suffix not in YAML_SUFFIXES or path.name.startswith("."):
                continue
            if path.name == BLUEPRINT_NAME:
                if members[name] != BUNDLED_BLUEPRINT.read_bytes():
                    warnings.append(
                        Problem(
                            f"{filename}/{name}",
                            1,
                            "not read: imports use the installed "
                            "blueprint (sub-domains and templates)",
                        )
                    )
                continue
            files[f"{filename}/{name}"] = members[name]
        if not files:
            return Parsed(
                (), (), (Problem(filename, 1, "the zip holds no .yaml or .yml item files"),)
            )
    else:
        files = {filename: data}
    raws = []
    problems_found: list[Problem] = []
    # The loader reads files (it keeps each YAML node's line); give it a private copy.
    with tempfile.TemporaryDirectory(prefix="bank-import-") as folder:
        for index, (display, content) in enumerate(files.items()):
            copy = Path(folder) / f"{index}.yaml"
            copy.write_bytes(content)
            file_raws, file_problems = read_items_file(copy, display, max_bytes)
            raws.extend(file_raws)
            problems_found.extend(file_problems)
    return check_items(
        raws, blueprint, known_keys=known_keys, problems=problems_found, warnings=warnings
    )


def parse_file(
    session: Session,
    fmt: str,
    data: bytes,
    *,
    filename: str,
    limits: ImportLimits = DEFAULT_IMPORT_LIMITS,
) -> tuple[Parsed, Blueprint]:
    """Parse and validate an upload without writing anything (a dry run).

    A file over ``limits.max_bytes`` is refused before it is parsed; an item with a field
    longer than ``limits.fields`` allows is a problem naming the item and the field.
    """
    fmt = check_format(fmt)
    filename = filename.strip() or f"upload.{fmt}"
    blueprint = bundled_blueprint()
    too_big = size_problem(filename, len(data), limits.max_bytes)
    if too_big is not None:
        return Parsed((), (), (too_big,)), blueprint
    known = _known_keys(session)
    if fmt == "yaml":
        parsed = _parse_yaml(data, filename, blueprint, known, limits.max_bytes)
    else:
        parsed = formats.parse(fmt, data, filename=filename, blueprint=blueprint, known_keys=known)
    too_long = field_problems(parsed.items, limits.fields)
    if too_long:
        parsed = parsed._replace(problems=ordered([*parsed.problems, *too_long]))
    return parsed, blueprint


def import_file(
    session: Session,
    fmt: str,
    data: bytes,
    *,
    filename: str,
    publish: bool,
    author_id: int | None,
    now: datetime | None = None,
    subdomain: str | None = None,
    limits: ImportLimits = DEFAULT_IMPORT_LIMITS,
) -> ImportResult:
    """Import an uploaded file in one transaction: all or nothing, drafts unless ``publish``.

    Raises ImportFailed (a ValidationFailed) with ``file:line: reason`` problems when the file
    has any, or holds no item the engine can import; nothing is written then. Otherwise
    returns the keys created, given new versions or published, the count unchanged, and the
    warnings (``file:line: reason``) for what was skipped. ``limits`` (the app's
    ``IMPORT_MAX_BYTES`` and ``ITEM_FIELD_LIMITS``) bound the file and each field. Callers
    decide who may publish:
    the CLI allows it to operators, the web import only to admins.

    Another tool's file (:func:`~exam_engine.domain.formats.foreign_formats.is_foreign`: a
    Moodle GIFT export, a spreadsheet) is read item by item instead: each supported item
    becomes a new draft, however incomplete (``subdomain`` tags those whose file named
    none), and each other one is a warning; a syntax error still imports nothing.
    """
    fmt = check_format(fmt)
    if foreign_formats.is_foreign(fmt, data):
        too_big = size_problem(filename.strip() or f"upload.{fmt}", len(data), limits.max_bytes)
        if too_big is not None:
            raise ImportFailed([too_big], [])
        return _import_foreign(
            session,
            fmt,
            data,
            filename=filename.strip() or f"upload.{fmt}",
            publish=publish,
            author_id=author_id,
            now=now,
            subdomain=subdomain,
            limits=limits,
        )
    parsed, blueprint = parse_file(session, fmt, data, filename=filename, limits=limits)
    filename = filename.strip() or f"upload.{fmt}"
    if parsed.problems or not parsed.items:
        end_read(session)  # reading the known keys opened a transaction
    if parsed.problems:
        raise ImportFailed(parsed.problems, parsed.warnings)
    if not parsed.items:
        skipped = f" ({len(parsed.warnings)} skipped: see the warnings)" if parsed.warnings else ""
        raise ImportFailed([Problem(filename, 1, f"no items to import{skipped}")], parsed.warnings)
    report = import_records(
        session,
        parsed.items,
        blueprint,
        publish=publish,
        author_id=author_id,
        audit={
            "format": fmt,
            "filename": filename,
            "items": len(parsed.items),
            "warnings": [str(w) for w in parsed.warnings],
        },
        now=now,
    )
    return _result(
        fmt,
        filename,
        VersionStatus.PUBLISHED if publish else VersionStatus.DRAFT,
        report,
        parsed.warnings,
    )


def _import_foreign(
    session: Session,
    fmt: str,
    data: bytes,
    *,
    filename: str,
    publish: bool,
    author_id: int | None,
    now: datetime | None,
    subdomain: str | None,
    limits: ImportLimits,
) -> ImportResult:
    """Import another tool's file: every supported item a new draft, the others warnings."""
    parsed = foreign_formats.parse_foreign(
        fmt, data, filename=filename, blueprint=bundled_blueprint()
    )
    too_long = foreign_field_problems(parsed.items, limits.fields)
    if too_long:
        parsed = parsed._replace(problems=ordered([*parsed.problems, *too_long]))
    if parsed.problems:
        raise ImportFailed(parsed.problems, parsed.warnings)
    if not parsed.items:
        skipped = f" ({len(parsed.warnings)} skipped: see the warnings)" if parsed.warnings else ""
        raise ImportFailed([Problem(filename, 1, f"no items to import{skipped}")], parsed.warnings)
    imported = drafts.import_foreign_items(
        session,
        parsed.items,
        parsed.warnings,
        fmt=fmt,
        filename=filename,
        subdomain=subdomain,
        publish=publish,
        author_id=author_id,
        now=now,
    )
    return ImportResult(
        created=[note.key for note in imported.notes],
        unchanged=len(imported.repeats),
        format=fmt,
        filename=filename,
        status=VersionStatus.PUBLISHED if publish else VersionStatus.DRAFT,
        warnings=[str(w) for w in (*parsed.warnings, *imported.skipped, *imported.repeats)],
        drafts=imported.notes,
        foreign=True,
    )


def import_loaded_bank(
    session: Session,
    loaded: LoadedBank,
    *,
    source: str,
    publish: bool = True,
    author_id: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a bank directory read by the loader (``flask bank import PATH``), audited."""
    return import_bank(
        session,
        loaded,
        publish=publish,
        author_id=author_id,
        progress=progress,
        audit={"format": "yaml", "source": source, "items": len(loaded.items)},
    )


def _result(
    fmt: str, filename: str, status: str, report: ImportReport, warnings: Iterable[Problem]
) -> ImportResult:
    return ImportResult(
        **asdict(report),
        format=fmt,
        filename=filename,
        status=status,
        warnings=[str(w) for w in warnings],
    )


__all__ = [
    "EXPORT_SUFFIXES",
    "FORMATS",
    "MAX_IMPORT_BYTES",
    "MEDIA_TYPES",
    "Export",
    "ImportFailed",
    "ImportLimits",
    "ImportResult",
    "check_format",
    "export",
    "export_bank",
    "export_filename",
    "export_records",
    "guess_format",
    "import_file",
    "import_loaded_bank",
    "parse_file",
]
