"""What every interchange format shares: the parse result, validation, limits and zips."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import NamedTuple

from exam_engine.domain.bank import ItemRecord, Problem, RawItem, validate_items
from exam_engine.domain.blueprint import Blueprint
from exam_engine.domain.errors import BlueprintError, DomainError
from exam_engine.domain.formats.limits import utf8_problem

# These bound what a hostile archive can make us inflate (every member is inflated once to
# check it, then again, one at a time, when it is read).
MAX_ZIP_MEMBERS = 20_000
MAX_MEMBER_BYTES = 20 * 1024 * 1024
MAX_ZIP_TOTAL_BYTES = 200 * 1024 * 1024
# A content package's manifest lists every other member with its metadata (QTI's LOM is
# about 2.6 KB an item: 34 MB for 13,000 items), so it may be larger than one item: room for
# MAX_ZIP_MEMBERS such entries, and still far below what a zip bomb inflates to.
MANIFEST_NAME = "imsmanifest.xml"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
_CHUNK = 1024 * 1024
# A fixed timestamp keeps exports byte-for-byte reproducible.
ZIP_DATE_TIME = (2000, 1, 1, 0, 0, 0)

# Characters XML 1.0 cannot carry at all (and that no bank text should hold).
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


class Parsed(NamedTuple):
    """What a parser returns: valid items, warnings (skipped content), and problems.

    Any problem means the file must not be imported; warnings never stop an import.
    """

    items: tuple[ItemRecord, ...]
    warnings: tuple[Problem, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """True when there is no problem (there may still be warnings)."""
        return not self.problems


class ExportError(DomainError):
    """An item holds something the chosen format cannot carry (named, with the field)."""


def ordered(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """Sort problems by file and line and drop repeats."""
    return tuple(sorted(set(problems), key=lambda p: (p.file, p.line, p.reason)))


def decode_text(data: bytes, file: str) -> tuple[str | None, Problem | None]:
    """Decode UTF-8 (a byte-order mark is allowed) or say "not UTF-8" at the first bad byte."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, utf8_problem(data, file) or Problem(file, 1, "not UTF-8")


BytesReader = Callable[[bytes, str, Blueprint, Iterable[str]], Parsed]


def bytes_format(read: BytesReader, what: str) -> Callable[..., Parsed]:
    """A format's ``parse(data, *, filename, blueprint, known_keys=())`` over a reader of
    bytes checked to be UTF-8 (a byte-order mark allowed).

    A file that is not UTF-8 is one problem at the line of its first bad byte, and nothing
    is read. The decoded text of the check is not kept: a reader that decodes line by line
    never holds a second copy of a large file.
    """

    def parse(
        data: bytes, *, filename: str, blueprint: Blueprint, known_keys: Iterable[str] = ()
    ) -> Parsed:
        bad = decode_text(data, filename)[1]
        if bad is not None:
            return Parsed((), (), (bad,))
        return read(data, filename, blueprint, known_keys)

    parse.__doc__ = f"Parse {what} bytes into validated items; never raises on bad input."
    return parse


def subdomain_from_key(key: str) -> str:
    """The sub-domain part of a key such as ``D2-B-014`` (``D2-B``), or '' when it has none."""
    head, sep, tail = key.strip().rpartition("-")
    return head if sep and tail.isdigit() else ""


def domain_mismatch(domain: str, subdomain: str, blueprint: Blueprint) -> str | None:
    """Return a reason when a stated domain disagrees with the sub-domain's, else None."""
    domain = domain.strip()
    if not domain:
        return None
    try:
        actual = blueprint.subdomain(subdomain.strip()).domain
    except BlueprintError:
        return None  # the unknown sub-domain is reported by validation
    if domain != actual:
        known = ", ".join(d.code for d in blueprint.domains)
        if domain not in {d.code for d in blueprint.domains}:
            return f"unknown domain {domain!r} (known: {known})"
        return (
            f"domain {domain!r} does not match sub-domain {subdomain.strip()!r}, "
            f"which is in {actual}"
        )
    return None


def check_items(
    raws: Sequence[RawItem],
    blueprint: Blueprint,
    *,
    known_keys: Iterable[str] = (),
    problems: Iterable[Problem] = (),
    warnings: Iterable[Problem] = (),
) -> Parsed:
    """Validate raw items with the bank's own rules and return a :class:`Parsed`.

    ``known_keys`` are keys that exist outside the file (in the database): an enemy may name
    one of them. The bank's validator only knows the keys of the batch, so such enemies are
    set aside while it runs and put back on the records afterwards.
    """
    batch = {key.strip() for raw in raws if isinstance(key := raw.data.get("key"), str)}
    outside = frozenset(k.strip() for k in known_keys) - batch
    held: dict[tuple[str, int], tuple[str, ...]] = {}
    adjusted: list[RawItem] = []
    for raw in raws:
        enemies = raw.data.get("enemies")
        if outside and isinstance(enemies, list):
            kept = [e for e in enemies if not (isinstance(e, str) and e.strip() in outside)]
            if len(kept) != len(enemies):
                held[(raw.file, raw.line)] = tuple(
                    dict.fromkeys(e.strip() for e in enemies if isinstance(e, str))
                )
                raw = _with_enemies(raw, enemies, kept)
        adjusted.append(raw)
    records, found = validate_items(adjusted, blueprint)
    restored = [
        replace(record, enemies=held[(record.source.file, record.source.line)])
        if (record.source.file, record.source.line) in held
        else record
        for record in records
    ]
    all_problems = ordered([*problems, *found])
    return Parsed(tuple(restored), ordered(warnings), all_problems)


def _with_enemies(raw: RawItem, enemies: list[object], kept: list[object]) -> RawItem:
    """Return the raw item with only ``kept`` enemies, their lines re-indexed."""
    lines = {k: v for k, v in raw.lines.items() if not k.startswith("enemies.")}
    position = 0
    for index, entry in enumerate(enemies):
        if position < len(kept) and entry is kept[position]:
            if f"enemies.{index}" in raw.lines:
                lines[f"enemies.{position}"] = raw.lines[f"enemies.{index}"]
            position += 1
    data = dict(raw.data)
    data["enemies"] = kept
    return replace(raw, data=data, lines=lines)


def labelled(values: Sequence[str]) -> dict[str, str]:
    """Map A-D to the given values (for RawItem options and rationales)."""
    return dict(zip("ABCD", values, strict=False))


def sorted_items(items: Iterable[ItemRecord]) -> list[ItemRecord]:
    """Items in key order (exports are deterministic)."""
    return sorted(items, key=lambda item: item.key)


def item_texts(item: ItemRecord) -> list[tuple[str, str]]:
    """Every text field of an item with its name, for format checks."""
    fields = [("stem", item.stem)]
    fields += [
        (f"options.{label}", text) for label, text in zip("ABCD", item.options, strict=False)
    ]
    fields += [
        (f"rationale.{label}", text) for label, text in zip("ABCD", item.rationales, strict=False)
    ]
    fields += [(f"references.{i}", text) for i, text in enumerate(item.references)]
    fields += [(f"enemies.{i}", text) for i, text in enumerate(item.enemies)]
    return fields


# --- zips ---------------------------------------------------------------------------------


def is_zip(data: bytes) -> bool:
    """True when the bytes look like a zip archive."""
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def write_zip(files: Mapping[str, bytes]) -> bytes:
    """Build a deflated zip of ``{name: content}`` with fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def safe_member_name(name: str) -> str | None:
    """Normalise a member or href path; None when it escapes the archive root."""
    if not name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return None
    normal = posixpath.normpath(name.replace("\\", "/"))
    if normal == ".." or normal.startswith("../") or normal == ".":
        return None
    return normal


def member_limit(name: str) -> int:
    """The most bytes a member may inflate to: the manifest's own cap, or every member's."""
    return MAX_MANIFEST_BYTES if name == MANIFEST_NAME else MAX_MEMBER_BYTES


class ZipMembers(Mapping[str, bytes]):
    """A checked archive's regular members by name, each inflated only when it is read.

    Holding every member at once would cost the inflated size (140 MB for a 32 MB package
    of 13,000 QTI items); a reader takes one member, uses it and lets it go.
    """

    def __init__(self, archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo]) -> None:
        self.archive = archive
        self.infos = infos

    def __getitem__(self, name: str) -> bytes:
        info = self.infos[name]
        with self.archive.open(info) as stream:
            return stream.read(member_limit(name) + 1)

    def __iter__(self) -> Iterator[str]:
        return iter(self.infos)

    def __len__(self) -> int:
        return len(self.infos)


def _inflated_size(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> int:
    """Inflate a member in chunks, keeping nothing; stop once past ``limit``."""
    size = 0
    with archive.open(info) as stream:
        while size <= limit and (chunk := stream.read(_CHUNK)):
            size += len(chunk)
    return size


def read_zip(data: bytes, file: str) -> tuple[Mapping[str, bytes], list[Problem]]:
    """Check every regular member of a zip and return them, each read when asked for.

    Members whose names leave the archive (``../x``, ``/etc/x``) are refused, as are archives
    that are too large once inflated (each member is inflated once here to know); every
    failure is a problem, never an exception.
    """
    infos_by_name: dict[str, zipfile.ZipInfo] = {}
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(infos) > MAX_ZIP_MEMBERS:
            return {}, [
                Problem(
                    file,
                    1,
                    f"the zip holds {len(infos)} files; at most {MAX_ZIP_MEMBERS} are read",
                )
            ]
        total = 0
        for info in infos:
            name = safe_member_name(info.filename)
            if name is None:
                return {}, [
                    Problem(file, 1, f"zip member {info.filename!r} points outside the archive")
                ]
            if info.flag_bits & 0x1:
                return {}, [Problem(file, 1, f"zip member {name!r} is encrypted")]
            limit = member_limit(name)
            size = _inflated_size(archive, info, limit)
            if size > limit:
                return {}, [
                    Problem(
                        file,
                        1,
                        f"zip member {name!r} is larger than "
                        f"{limit // (1024 * 1024)} MB once inflated",
                    )
                ]
            total += size
            if total > MAX_ZIP_TOTAL_BYTES:
                return {}, [
                    Problem(
                        file,
                        1,
                        f"the zip inflates to more than {MAX_ZIP_TOTAL_BYTES // (1024 * 1024)} MB",
                    )
                ]
            if name in infos_by_name:
                return {}, [Problem(file, 1, f"zip member {name!r} appears twice")]
            infos_by_name[name] = info
    except Exception as exc:  # zipfile and zlib raise many types on a damaged archive
        return {}, [Problem(file, 1, f"not a readable zip archive ({type(exc).__name__}: {exc})")]
    return ZipMembers(archive, infos_by_name), []
