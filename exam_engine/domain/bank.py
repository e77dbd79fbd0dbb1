"""Question-bank items: the raw form a loader produces and its validation into records.

The loader (``question_bank.loader``) parses files into :class:`RawItem` values that keep
the line of every field; :func:`validate_items` checks them against the blueprint and
across the bank and returns immutable :class:`ItemRecord` values plus every
:class:`Problem` found, each with file, line and reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches

from exam_engine.domain.blueprint import DIFFICULTIES, Blueprint
from exam_engine.domain.errors import BlueprintError

OPTION_LABELS: tuple[str, ...] = ("A", "B", "C", "D")
REQUIRED_FIELDS: tuple[str, ...] = (
    "key",
    "difficulty",
    "stem",
    "options",
    "answer",
    "rationale",
    "references",
)
OPTIONAL_FIELDS: tuple[str, ...] = ("subdomain", "enemies", "as_of", "source_ref")
ITEM_FIELDS: tuple[str, ...] = REQUIRED_FIELDS + OPTIONAL_FIELDS
KEY_NUMBER_DIGITS = 3
# Bump when the canonical content changes shape, so old hashes never match new ones.
CONTENT_HASH_VERSION = 1


@dataclass(frozen=True)
class SourceRef:
    """Where something was read from: a file and a 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, order=True)
class Problem:
    """A reason a bank cannot be imported, at a file and 1-based line."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass(frozen=True)
class RawItem:
    """One item as parsed, before validation.

    ``lines`` maps a field name (``stem``), an option or rationale (``options.B``) or a list
    entry (``references.0``) to its line. ``file_subdomain`` is the sub-domain declared at
    the top of a one-sub-domain-a-file document, used when the item gives none.
    """

    file: str
    line: int
    data: Mapping[str, object]
    lines: Mapping[str, int] = field(default_factory=dict)
    file_subdomain: str | None = None
    file_subdomain_line: int | None = None

    def line_of(self, name: str) -> int:
        """Return the line of a field, falling back to its parent field, then the item."""
        while name:
            if name in self.lines:
                return self.lines[name]
            name = name.rpartition(".")[0]
        return self.line


@dataclass(frozen=True)
class ItemRecord:
    """A validated item: options and rationales in A-D order, ``answer`` an index."""

    key: str
    subdomain: str
    domain: str
    stem: str
    options: tuple[str, ...]
    answer: int
    rationales: tuple[str, ...]
    references: tuple[str, ...]
    difficulty: str
    enemies: tuple[str, ...] = ()
    # When the item's time-sensitive facts (a law's dates, a standard's edition) were checked.
    as_of: dt.date | None = None
    # The item's name or identifier in the tool it was imported from ('' for none).
    source_ref: str = ""
    source: SourceRef = SourceRef("<memory>", 0)
    field_lines: Mapping[str, int] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    @property
    def answer_label(self) -> str:
        """The key's letter (``A``-``D``), or ``?`` if the index is out of range."""
        if 0 <= self.answer < len(OPTION_LABELS):
            return OPTION_LABELS[self.answer]
        return "?"

    def line_of(self, name: str) -> int:
        """Return the line of a field such as ``stem`` or ``options.B`` (item line if unknown)."""
        while name:
            if name in self.field_lines:
                return self.field_lines[name]
            name = name.rpartition(".")[0]
        return self.source.line

    def canonical_content(self) -> dict[str, object]:
        """The content fields as plain JSON values; the source location is not content."""
        content: dict[str, object] = {
            "v": CONTENT_HASH_VERSION,
            "key": self.key,
            "subdomain": self.subdomain,
            "difficulty": self.difficulty,
            "stem": self.stem,
            "options": list(self.options),
            "answer": self.answer,
            "rationales": list(self.rationales),
            "references": list(self.references),
            # Enemy order carries no meaning; sorting keeps the hash stable under reordering.
            "enemies": sorted(self.enemies),
        }
        # Added only when set, so items written before the field keep their hashes.
        if self.as_of is not None:
            content["as_of"] = self.as_of.isoformat()
        if self.source_ref:
            content["source_ref"] = self.source_ref
        return content

    def content_hash(self) -> str:
        """Return the sha256 of the canonical content (import skips an unchanged item)."""
        text = json.dumps(
            self.canonical_content(), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` for a close known name, else an empty string."""
    matches = get_close_matches(name, list(choices), n=1, cutoff=0.7)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def key_pattern(subdomain: str) -> re.Pattern[str]:
    """The pattern an item key must match in this sub-domain: ``<subdomain>-NNN``."""
    return re.compile(re.escape(subdomain) + r"-\d{" + str(KEY_NUMBER_DIGITS) + "}")


def _type_name(value: object) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "a true/false value (quote it if it is text)"
    if isinstance(value, int | float):
        return "a number (quote it if it is text)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str):
        return "text"
    return f"a {type(value).__name__} value (quote it if it is text)"


class _ItemCheck:
    """Collects the problems of one raw item."""

    def __init__(self, raw: RawItem) -> None:
        self.raw = raw
        self.problems: list[Problem] = []

    def fail(self, name: str, reason: str) -> None:
        key = self.raw.data.get("key")
        prefix = f"item {key}: " if isinstance(key, str) and key.strip() else "item: "
        self.problems.append(Problem(self.raw.file, self.raw.line_of(name), prefix + reason))

    def text(self, name: str, value: object, what: str) -> str | None:
        if not isinstance(value, str):
            self.fail(name, f"{what} must be text, got {_type_name(value)}")
            return None
        if not value.strip():
            self.fail(name, f"{what} is empty")
            return None
        return value.strip()

    def labelled(self, name: str, what: str) -> dict[str, str] | None:
        """Check a mapping of exactly the labels A-D to non-empty text."""
        value = self.raw.data.get(name)
        if not isinstance(value, Mapping):
            self.fail(
                name,
                f"'{name}' must map each of A, B, C and D to text, got {_type_name(value)}",
            )
            return None
        result: dict[str, str] = {}
        ok = True
        for label, text in value.items():
            if label not in OPTION_LABELS:
                self.fail(
                    f"{name}.{label}",
                    f"unexpected {what} label {label!r}: items have exactly four options, "
                    "labelled A, B, C and D",
                )
                ok = False
                continue
            checked = self.text(f"{name}.{label}", text, f"{what} {label}")
            if checked is None:
                ok = False
            else:
                result[label] = checked
        missing = [label for label in OPTION_LABELS if label not in value]
        if missing:
            self.fail(name, f"{what} missing for {', '.join(missing)}: give one for A, B, C and D")
            ok = False
        return result if ok else None

    def text_list(self, name: str, what: str, *, required: bool) -> tuple[str, ...] | None:
        value = self.raw.data.get(name)
        if value is None and not required:
            return ()
        if not isinstance(value, list):
            self.fail(name, f"'{name}' must be a list of {what}, got {_type_name(value)}")
            return None
        result: list[str] = []
        ok = True
        for index, entry in enumerate(value):
            checked = self.text(f"{name}.{index}", entry, f"{name} entry {index + 1}")
            if checked is None:
                ok = False
            else:
                result.append(checked)
        if required and not value:
            self.fail(name, f"'{name}' needs at least one entry")
            ok = False
        return tuple(result) if ok else None


def parse_as_of(value: object) -> dt.date | str:
    """Return the date an ``as_of`` value names, or the reason it is not a YYYY-MM-DD date."""
    if isinstance(value, dt.datetime):
        return "as_of must be a date (YYYY-MM-DD), not a date and time"
    if isinstance(value, dt.date):
        return value
    if value is None:
        return "as_of is empty: give the date the facts were checked, YYYY-MM-DD"
    if not isinstance(value, str):
        return f"as_of must be a date written YYYY-MM-DD, got {_type_name(value)}"
    text = value.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return f"as_of {text!r} must be a date written YYYY-MM-DD, e.g. 2026-12-04"
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return f"as_of {text!r} is not a calendar date"


def _subdomain_of(check: _ItemCheck, blueprint: Blueprint) -> tuple[str, str] | None:
    """Resolve the item's sub-domain (item field, else the file's) and its domain."""
    raw = check.raw
    if "subdomain" in raw.data:
        code = check.text("subdomain", raw.data["subdomain"], "subdomain")
        if code is None:
            return None
        if raw.file_subdomain is not None and code != raw.file_subdomain:
            check.fail(
                "subdomain",
                f"sub-domain {code!r} differs from the file's sub-domain {raw.file_subdomain!r}",
            )
            return None
        line = raw.line_of("subdomain")
    elif raw.file_subdomain is not None:
        code = raw.file_subdomain
        line = raw.file_subdomain_line or raw.line
    else:
        check.fail("key", "missing required field 'subdomain' (give it on the item or the file)")
        return None
    try:
        sub = blueprint.subdomain(code)
    except BlueprintError:
        known = ", ".join(blueprint.subdomain_codes)
        # Reported against the subdomain's own line: one report for a whole file.
        check.problems.append(
            Problem(raw.file, line, f"unknown sub-domain {code!r} (known: {known})")
        )
        return None
    return sub.code, sub.domain


def _validate_one(raw: RawItem, blueprint: Blueprint) -> tuple[ItemRecord | None, list[Problem]]:
    check = _ItemCheck(raw)
    data = raw.data
    for name in data:
        if name not in ITEM_FIELDS:
            check.fail(
                str(name),
                f"unknown field {name!r}{did_you_mean(str(name), ITEM_FIELDS)}",
            )
    for name in REQUIRED_FIELDS:
        if name not in data:
            check.fail(name, f"missing required field {name!r}")

    located = _subdomain_of(check, blueprint)

    key: str | None = None
    if "key" in data:
        key = check.text("key", data["key"], "key")
        if key is not None and located is not None:
            subdomain = located[0]
            if not key_pattern(subdomain).fullmatch(key):
                if key.startswith(subdomain + "-"):
                    check.fail(
                        "key",
                        f"key {key!r} must be {subdomain}-NNN with exactly "
                        f"{KEY_NUMBER_DIGITS} digits, e.g. {subdomain}-007",
                    )
                else:
                    check.fail(
                        "key",
                        f"key {key!r} does not match sub-domain {subdomain}: "
                        f"expected {subdomain}-NNN",
                    )

    difficulty = data.get("difficulty")
    if "difficulty" in data and difficulty not in DIFFICULTIES:
        check.fail(
            "difficulty",
            f"difficulty {difficulty!r} must be one of {', '.join(DIFFICULTIES)}",
        )

    stem = check.text("stem", data["stem"], "stem") if "stem" in data else None
    options = check.labelled("options", "option") if "options" in data else None
    rationale = check.labelled("rationale", "rationale") if "rationale" in data else None

    answer_index: int | None = None
    if "answer" in data:
        answer = data["answer"]
        if isinstance(answer, str) and answer.strip() in OPTION_LABELS:
            answer_index = OPTION_LABELS.index(answer.strip())
        else:
            check.fail(
                "answer",
                f"answer {answer!r} must be one of the option letters A, B, C, D",
            )

    references = (
        check.text_list("references", "citations", required=True) if "references" in data else None
    )
    enemies = check.text_list("enemies", "item keys", required=False)
    as_of: dt.date | None = None
    if "as_of" in data:
        parsed = parse_as_of(data["as_of"])
        if isinstance(parsed, str):
            check.fail("as_of", parsed)
        else:
            as_of = parsed

    source_ref = ""
    if "source_ref" in data:
        value = data["source_ref"]
        if isinstance(value, str | int) and not isinstance(value, bool):
            source_ref = str(value).strip()
        else:
            check.fail("source_ref", f"source_ref must be text, got {_type_name(value)}")

    if check.problems:
        return None, check.problems
    assert located is not None and key is not None and stem is not None
    assert options is not None and rationale is not None and answer_index is not None
    assert references is not None and enemies is not None and isinstance(difficulty, str)
    record = ItemRecord(
        key=key,
        subdomain=located[0],
        domain=located[1],
        stem=stem,
        options=tuple(options[label] for label in OPTION_LABELS),
        answer=answer_index,
        rationales=tuple(rationale[label] for label in OPTION_LABELS),
        references=references,
        difficulty=difficulty,
        enemies=tuple(dict.fromkeys(enemies)),
        as_of=as_of,
        source_ref=source_ref,
        source=SourceRef(raw.file, raw.line),
        field_lines=raw.lines,  # shared, not copied: the raw item is dropped after this
    )
    return record, []


def validate_items(
    raw_items: Iterable[RawItem], blueprint: Blueprint
) -> tuple[list[ItemRecord], list[Problem]]:
    """Check items one by one and across the bank; return the valid records and all problems.

    A record is returned only for an item with no problem of its own; of two items with the
    same key the first is kept and the second reported. Problems come sorted by file and line,
    without repeats (a file's unknown sub-domain is reported once).
    """
    raws = list(raw_items)
    problems: list[Problem] = []
    candidates: list[tuple[RawItem, ItemRecord | None]] = []
    for raw in raws:
        record, found = _validate_one(raw, blueprint)
        problems.extend(found)
        candidates.append((raw, record))

    # Referential checks use every key written, valid or not, so one bad item does not
    # also turn each reference to it into an error.
    all_keys = frozenset(key for raw, _ in candidates if (key := _raw_key(raw)))
    first_seen: dict[str, RawItem] = {}
    records: list[ItemRecord] = []
    for raw, record in candidates:
        own: list[Problem] = []
        key = _raw_key(raw)
        if key and key in first_seen:
            other = first_seen[key]
            own.append(
                Problem(
                    raw.file,
                    raw.line_of("key"),
                    f"duplicate key {key!r}: also defined at {other.file}:{other.line_of('key')}",
                )
            )
        elif key:
            first_seen[key] = raw
        if record is not None:
            own.extend(_enemy_problems(raw, record.key, all_keys))
        problems.extend(own)
        if record is not None and not own:
            records.append(record)
    return records, sorted(set(problems), key=lambda p: (p.file, p.line, p.reason))


def _raw_key(raw: RawItem) -> str:
    key = raw.data.get("key")
    return key.strip() if isinstance(key, str) else ""


def _enemy_problems(raw: RawItem, key: str, all_keys: frozenset[str]) -> list[Problem]:
    value = raw.data.get("enemies")
    if not isinstance(value, list):
        return []
    found: list[Problem] = []
    for index, entry in enumerate(value):
        if not isinstance(entry, str):
            continue
        enemy = entry.strip()
        line = raw.line_of(f"enemies.{index}")
        if enemy == key:
            found.append(Problem(raw.file, line, f"item {key} lists itself as an enemy"))
        elif enemy not in all_keys:
            found.append(
                Problem(
                    raw.file,
                    line,
                    f"item {key}: enemy {enemy!r} is not a key in the bank"
                    f"{did_you_mean(enemy, all_keys)}",
                )
            )
    return found


def enemy_graph(items: Iterable[ItemRecord]) -> dict[str, frozenset[str]]:
    """Return each key's enemies in both directions (listing one side is enough)."""
    graph: dict[str, set[str]] = {}
    for item in items:
        graph.setdefault(item.key, set())
        for enemy in item.enemies:
            if enemy == item.key:
                continue
            graph[item.key].add(enemy)
            graph.setdefault(enemy, set()).add(item.key)
    return {key: frozenset(value) for key, value in graph.items()}
