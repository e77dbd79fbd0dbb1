"""Read a question bank from YAML files: the blueprint and the items, with their lines.

Parsing keeps each YAML node's mark, so every problem names its file and 1-based line.
Nothing here raises on a bad item file: syntax errors, bad encodings and schema problems
all become :class:`~exam_engine.domain.bank.Problem` values in the :class:`LoadedBank`.
"""

from __future__ import annotations

import codecs
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from exam_engine.domain.bank import (
    ItemRecord,
    Problem,
    RawItem,
    did_you_mean,
    validate_items,
)
from exam_engine.domain.blueprint import (
    DIFFICULTIES,
    MODES,
    Blueprint,
    Domain,
    Subdomain,
    TemplateSpec,
)
from exam_engine.domain.errors import BankError, BlueprintError, BlueprintFileError
from exam_engine.domain.formats.limits import (
    DEFAULT_IMPORT_LIMITS,
    DEFAULT_MAX_BYTES,
    ImportLimits,
    field_problems,
    size_problem,
    utf8_problem,
)
from question_bank.item_stream import (
    LIBYAML,
    Entry,
    StreamedFile,
    duplicate_keys,
    field_lines,
    read_stream,
)

# Path(__file__) rather than the working directory: a non-editable install ships the
# bank as package data next to this module.
PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLED_BANK = PACKAGE_DIR / "aaism"
BLUEPRINT_FILE = "blueprint.yaml"
ITEMS_DIR = "items"
ITEM_SUFFIXES = (".yaml", ".yml")
FILE_FIELDS = ("subdomain", "items")
# libyaml's C loader when PyYAML was built with it; the pure-Python one otherwise.
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class LoadedBank:
    """A bank as read from disk: the blueprint, the valid items, and every problem."""

    blueprint: Blueprint
    items: tuple[ItemRecord, ...]
    problems: tuple[Problem, ...]
    files: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the bank has no problem and can be imported."""
        return not self.problems

    def raise_for_problems(self) -> None:
        """Raise BankError listing every problem, if there is any."""
        if self.problems:
            raise BankError(self.problems)


def display_path(path: Path) -> str:
    """Name a file for messages: relative to the working directory when inside it."""
    absolute = path.absolute()
    cwd = Path.cwd()
    if cwd == Path(cwd.anchor):  # relative to / reads worse than absolute
        return str(absolute)
    try:
        return str(absolute.relative_to(cwd))
    except ValueError:
        return str(path)


# --- YAML with lines ----------------------------------------------------------------------


def parse_yaml(
    path: Path, display: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[yaml.Node | None, Any, list[Problem]]:
    """Parse one YAML file into (node, data); on failure return problems instead.

    A file larger than ``max_bytes`` is refused before it is read. libyaml's parser is used
    when PyYAML has it (about ten times faster, and its marks hold no copy of the text).
    """
    try:
        too_big = size_problem(display, path.stat().st_size, max_bytes)
        if too_big is not None:
            return None, None, [too_big]
        raw = path.read_bytes()
    except OSError as exc:
        return None, None, [Problem(display, 1, f"cannot read the file: {exc.strerror or exc}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, None, [utf8_problem(raw, display) or Problem(display, 1, "not UTF-8")]
    pure = SAFE_LOADER is yaml.SafeLoader
    if not pure:
        del text  # libyaml reads the checked bytes: no second copy of a large file
    loader: Any = None
    try:
        loader = SAFE_LOADER(text if pure else raw)
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        return None, None, [Problem(display, *_syntax_error(exc))]
    except yaml.reader.ReaderError as exc:
        # A control character, say: the error has a position (libyaml's counts bytes).
        if pure:
            line = text[: exc.position].count("\n") + 1
        else:
            line = raw.count(b"\n", 0, exc.position) + 1
        character = exc.character if isinstance(exc.character, int) else ord(str(exc.character))
        reason = f"character #x{character:04x} is not allowed in YAML ({exc.reason})"
        return None, None, [Problem(display, line, reason)]
    except yaml.YAMLError as exc:
        return None, None, [Problem(display, 1, f"YAML error: {exc}")]
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        return None, None, [Problem(display, 1, "the file is empty")]
    return node, data, _duplicate_keys(node, display)


def _syntax_error(exc: yaml.MarkedYAMLError) -> tuple[int, str]:
    """Return (line, reason): the line where PyYAML noticed, and where the construct began."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 1
    context = exc.context or ""
    if exc.context and exc.context_mark is not None and exc.context_mark.line + 1 != line:
        context += f" (from line {exc.context_mark.line + 1})"
    parts = [part for part in (context, exc.problem) if part]
    return line, "YAML syntax error: " + ", ".join(parts)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _duplicate_keys(root: yaml.Node, display: str) -> list[Problem]:
    """Report repeated keys in any mapping: PyYAML would silently keep the last one."""
    return [
        Problem(display, line, f"{name!r} is given twice (first at line {first})")
        for line, name, first in duplicate_keys(root)
    ]


def _child(node: yaml.Node, step: str | int) -> tuple[yaml.Node | None, int | None]:
    """Return (value node, key line) for a mapping key or a sequence index."""
    if isinstance(node, yaml.MappingNode) and isinstance(step, str):
        for key_node, value_node in reversed(node.value):
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == step:
                return value_node, _line(key_node)
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int):
        if 0 <= step < len(node.value):
            return node.value[step], _line(node.value[step])
    return None, None


def line_at(root: yaml.Node, *path: str | int) -> int:
    """Return the line of the deepest key or entry along ``path`` that exists."""
    node: yaml.Node | None = root
    line = _line(root)
    for step in path:
        if node is None:
            break
        node, found = _child(node, step)
        if found is None:
            break
        line = found
    return line


def _string_keys(data: Mapping[Any, Any]) -> dict[str, object]:
    # YAML turns a key like `yes:` into True; as text it is reported as an unknown field.
    return {str(k): v for k, v in data.items()}


# --- item files ---------------------------------------------------------------------------


def _utf8_problem(path: Path, display: str) -> Problem | None:
    """The file's first byte that is not UTF-8, read in chunks (no copy of a large file)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as stream:
        try:
            while chunk := stream.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raw = path.read_bytes()  # only to name the line of the bad byte
            return utf8_problem(raw, display) or Problem(display, 1, "not UTF-8")
    return None


def _reader_error_line(path: Path, position: int) -> int:
    """The line of a libyaml reader error's position (a byte offset) or a character's."""
    if LIBYAML:
        return path.read_bytes().count(b"\n", 0, position) + 1
    return path.read_text(encoding="utf-8-sig")[:position].count("\n") + 1


def stream_items_file(
    path: Path, display: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[StreamedFile | None, list[Problem]]:
    """Read an item file entry by entry (see :mod:`question_bank.item_stream`), or problems.

    A file larger than ``max_bytes`` is refused before it is read; the parser reads the file
    itself in chunks, so neither the file's bytes nor its whole node tree are ever held.
    """
    try:
        too_big = size_problem(display, path.stat().st_size, max_bytes)
        if too_big is not None:
            return None, [too_big]
        not_utf8 = _utf8_problem(path, display)
        if not_utf8 is not None:
            return None, [not_utf8]
        with path.open("rb") as stream:
            read = read_stream(stream if LIBYAML else stream.read().decode("utf-8-sig"))
    except OSError as exc:
        return None, [Problem(display, 1, f"cannot read the file: {exc.strerror or exc}")]
    except yaml.MarkedYAMLError as exc:
        return None, [Problem(display, *_syntax_error(exc))]
    except yaml.reader.ReaderError as exc:
        # A control character, say: the error has a position (libyaml's counts bytes).
        character = exc.character if isinstance(exc.character, int) else ord(str(exc.character))
        reason = f"character #x{character:04x} is not allowed in YAML ({exc.reason})"
        return None, [Problem(display, _reader_error_line(path, exc.position), reason)]
    except yaml.YAMLError as exc:
        return None, [Problem(display, 1, f"YAML error: {exc}")]
    if read is None:
        return None, [Problem(display, 1, "the file is empty")]
    problems = [
        Problem(display, line, f"{name!r} is given twice (first at line {first})")
        for line, name, first in read.duplicates
    ]
    return read, problems


def read_items_file(
    path: Path, display: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[list[RawItem], list[Problem]]:
    """Parse one item file into raw items (not yet validated) and file-level problems.

    A file is either one sub-domain (``subdomain:`` and an ``items:`` list) or one item (a
    mapping with ``key:``). A file over ``max_bytes`` is one problem and is not read.
    """
    name = display or display_path(path)
    read, problems = stream_items_file(path, name, max_bytes)
    if read is None:
        return [], problems
    node, data = read.root, read.data
    if not isinstance(data, Mapping):
        problems.append(
            Problem(name, _line(node), "expected a mapping with 'subdomain' and 'items'")
        )
        return [], problems
    if "items" not in data:
        if "key" in data:  # one item a file
            item = RawItem(name, _line(node), _string_keys(data), field_lines(node))
            return [item], problems
        problems.append(
            Problem(
                name,
                _line(node),
                "expected 'items' (a list of items, with 'subdomain') or a single item's 'key'",
            )
        )
        return [], problems

    for field_name in data:
        if str(field_name) not in FILE_FIELDS:
            problems.append(
                Problem(
                    name,
                    line_at(node, str(field_name)),
                    f"unknown top-level field {str(field_name)!r}"
                    f"{did_you_mean(str(field_name), FILE_FIELDS)}: a file has "
                    "'subdomain' and 'items'",
                )
            )
    file_subdomain: str | None = None
    subdomain_line: int | None = None
    if "subdomain" in data:
        subdomain_line = line_at(node, "subdomain")
        value = data["subdomain"]
        if isinstance(value, str) and value.strip():
            file_subdomain = value.strip()
        else:
            problems.append(Problem(name, subdomain_line, "'subdomain' must be a code like D2-B"))
    entries = read.entries
    if entries is None:  # not streamed (a tagged or anchored list): the whole node is here
        items_node, _ = _child(node, "items")
        values = data["items"]
        if not isinstance(values, list) or not isinstance(items_node, yaml.SequenceNode):
            problems.append(
                Problem(
                    name, line_at(node, "items"), "'items' must be a list of items ('- key: ...')"
                )
            )
            return [], problems
        entries = [
            Entry(_line(entry_node), value, field_lines(entry_node))
            for value, entry_node in zip(values, items_node.value, strict=True)
        ]
    raws: list[RawItem] = []
    for entry in entries:
        if not isinstance(entry.data, Mapping):
            problems.append(
                Problem(name, entry.line, "an item must be a mapping of fields (key: ...)")
            )
            continue
        raws.append(
            RawItem(
                file=name,
                line=entry.line,
                data=_string_keys(entry.data),
                lines=entry.lines,
                file_subdomain=file_subdomain,
                file_subdomain_line=subdomain_line,
            )
        )
    return raws, problems


# --- the blueprint ------------------------------------------------------------------------

BLUEPRINT_FIELDS = ("name", "title", "domains", "templates")
DOMAIN_FIELDS = ("code", "title", "weight", "subdomains")
SUBDOMAIN_FIELDS = ("code", "title", "weight")
TEMPLATE_FIELDS = (
    "name",
    "title",
    "description",
    "item_count",
    "minutes",
    "mode",
    "domain_weights",
    "subdomains",
    "difficulty_mix",
)


class _BlueprintReader:
    """Turns blueprint YAML data into a Blueprint, collecting problems with lines."""

    def __init__(self, node: yaml.Node, display: str) -> None:
        self.node = node
        self.display = display
        self.problems: list[Problem] = []

    def fail(self, path: tuple[str | int, ...], reason: str) -> None:
        self.problems.append(Problem(self.display, line_at(self.node, *path), reason))

    def mapping(
        self, value: object, path: tuple[str | int, ...], what: str, known: Sequence[str]
    ) -> Mapping[str, object] | None:
        if not isinstance(value, Mapping):
            self.fail(path, f"{what} must be a mapping of fields")
            return None
        for name in value:
            if str(name) not in known:
                self.fail(
                    (*path, str(name)),
                    f"unknown field {str(name)!r} in {what}{did_you_mean(str(name), known)}",
                )
        return {str(k): v for k, v in value.items()}

    def text(
        self, data: Mapping[str, object], name: str, path: tuple[str | int, ...], what: str
    ) -> str:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            if name in data:
                self.fail((*path, name), f"{what} '{name}' must be non-empty text")
            else:
                self.fail(path, f"{what} needs '{name}'")
            return ""
        return value.strip()

    def count(
        self,
        data: Mapping[str, object],
        name: str,
        path: tuple[str | int, ...],
        what: str,
        default: int | None = None,
        minimum: int = 1,
    ) -> int:
        if name not in data and default is not None:
            return default
        value = data.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            where = (*path, name) if name in data else path
            self.fail(where, f"{what} '{name}' must be a whole number >= {minimum}")
            return default if default is not None else minimum
        return value

    def read(self, data: object) -> Blueprint | None:
        top = self.mapping(data, (), "the blueprint", BLUEPRINT_FIELDS)
        if top is None:
            return None
        name = self.text(top, "name", (), "the blueprint")
        title = self.text(top, "title", (), "the blueprint")
        domains = self.domains(top.get("domains"))
        templates = self.templates(top.get("templates", []), domains)
        if self.problems:
            return None
        blueprint = Blueprint(name=name, title=title, domains=domains, templates=templates)
        for index, template in enumerate(templates):
            try:
                blueprint.weights_for(template)
            except BlueprintError as exc:
                self.fail(("templates", index), str(exc))
        return None if self.problems else blueprint

    def domains(self, value: object) -> tuple[Domain, ...]:
        if not isinstance(value, list) or not value:
            self.fail(("domains",), "the blueprint needs a non-empty list of 'domains'")
            return ()
        codes: dict[str, tuple[str | int, ...]] = {}
        result: list[Domain] = []
        for index, entry in enumerate(value):
            path: tuple[str | int, ...] = ("domains", index)
            data = self.mapping(entry, path, f"domain {index + 1}", DOMAIN_FIELDS)
            if data is None:
                continue
            code = self.text(data, "code", path, "a domain")
            self.unique(code, codes, path)
            title = self.text(data, "title", path, f"domain {code}")
            weight = self.count(data, "weight", path, f"domain {code}")
            subs = self.subdomains(data.get("subdomains"), code, path, codes)
            result.append(Domain(code=code, title=title, weight=weight, subdomains=subs))
        return tuple(result)

    def unique(
        self,
        code: str,
        codes: dict[str, tuple[str | int, ...]],
        path: tuple[str | int, ...],
    ) -> None:
        if not code:
            return
        if code in codes:
            first = line_at(self.node, *codes[code], "code")
            self.fail((*path, "code"), f"code {code!r} is used twice (first at line {first})")
        else:
            codes[code] = path

    def subdomains(
        self,
        value: object,
        domain: str,
        parent: tuple[str | int, ...],
        codes: dict[str, tuple[str | int, ...]],
    ) -> tuple[Subdomain, ...]:
        if not isinstance(value, list) or not value:
            self.fail((*parent, "subdomains"), f"domain {domain} needs a list of 'subdomains'")
            return ()
        result: list[Subdomain] = []
        for index, entry in enumerate(value):
            path = (*parent, "subdomains", index)
            data = self.mapping(entry, path, f"a sub-domain of {domain}", SUBDOMAIN_FIELDS)
            if data is None:
                continue
            code = self.text(data, "code", path, "a sub-domain")
            self.unique(code, codes, path)
            title = self.text(data, "title", path, f"sub-domain {code}")
            weight = self.count(data, "weight", path, f"sub-domain {code}", default=1)
            result.append(Subdomain(code=code, domain=domain, title=title, weight=weight))
        return tuple(result)

    def templates(self, value: object, domains: tuple[Domain, ...]) -> tuple[TemplateSpec, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(("templates",), "'templates' must be a list")
            return ()
        domain_codes = {d.code for d in domains}
        sub_codes = {s.code for d in domains for s in d.subdomains}
        names: dict[str, tuple[str | int, ...]] = {}
        result: list[TemplateSpec] = []
        for index, entry in enumerate(value):
            path: tuple[str | int, ...] = ("templates", index)
            data = self.mapping(entry, path, f"template {index + 1}", TEMPLATE_FIELDS)
            if data is None:
                continue
            name = self.text(data, "name", path, "a template")
            if name in names:
                first = line_at(self.node, *names[name], "name")
                self.fail(
                    (*path, "name"), f"template name {name!r} is used twice (first at line {first})"
                )
            elif name:
                names[name] = path
            what = f"template {name or index + 1}"
            title = self.text(data, "title", path, what)
            description = data.get("description", "")
            if not isinstance(description, str):
                self.fail((*path, "description"), f"{what} 'description' must be text")
                description = ""
            item_count = self.count(data, "item_count", path, what)
            minutes = self.count(data, "minutes", path, what)
            mode = data.get("mode", "exam")
            if mode not in MODES:
                self.fail(
                    (*path, "mode"), f"{what} mode {mode!r} must be one of {', '.join(MODES)}"
                )
                mode = "exam"
            result.append(
                TemplateSpec(
                    name=name,
                    title=title,
                    item_count=item_count,
                    minutes=minutes,
                    mode=str(mode),
                    domain_weights=self.domain_weights(data, path, what, domain_codes),
                    subdomains=self.template_subdomains(data, path, what, sub_codes),
                    difficulty_mix=self.difficulty_mix(data, path, what),
                    description=description.strip(),
                )
            )
        return tuple(result)

    def domain_weights(
        self,
        data: Mapping[str, object],
        path: tuple[str | int, ...],
        what: str,
        known: set[str],
    ) -> dict[str, int]:
        value = data.get("domain_weights")
        if value is None:
            return {}
        where = (*path, "domain_weights")
        if not isinstance(value, Mapping):
            self.fail(where, f"{what} 'domain_weights' must map domain codes to weights")
            return {}
        weights: dict[str, int] = {}
        for code, weight in value.items():
            if str(code) not in known:
                self.fail(
                    (*where, str(code)),
                    f"{what} weights unknown domain {str(code)!r}{did_you_mean(str(code), known)}",
                )
            elif isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
                self.fail((*where, str(code)), f"{what} weight of {code} must be a number >= 0")
            else:
                weights[str(code)] = weight
        if weights and not any(weights.values()):
            self.fail(where, f"{what} 'domain_weights' needs one weight above 0")
        return weights

    def template_subdomains(
        self,
        data: Mapping[str, object],
        path: tuple[str | int, ...],
        what: str,
        known: set[str],
    ) -> tuple[str, ...]:
        value = data.get("subdomains")
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail((*path, "subdomains"), f"{what} 'subdomains' must be a list of codes")
            return ()
        codes: list[str] = []
        for index, code in enumerate(value):
            if not isinstance(code, str) or code not in known:
                self.fail(
                    (*path, "subdomains", index),
                    f"{what} filters on unknown sub-domain {code!r}"
                    f"{did_you_mean(str(code), known)}",
                )
            else:
                codes.append(code)
        return tuple(codes)

    def difficulty_mix(
        self, data: Mapping[str, object], path: tuple[str | int, ...], what: str
    ) -> dict[str, float]:
        value = data.get("difficulty_mix")
        if value is None:
            return {}
        where = (*path, "difficulty_mix")
        if not isinstance(value, Mapping):
            self.fail(where, f"{what} 'difficulty_mix' must map difficulties to shares")
            return {}
        mix: dict[str, float] = {}
        for level, share in value.items():
            if level not in DIFFICULTIES:
                self.fail(
                    (*where, str(level)),
                    f"{what} difficulty {level!r} must be one of {', '.join(DIFFICULTIES)}",
                )
            elif (
                isinstance(share, bool)
                or not isinstance(share, int | float)
                or not 0 <= share <= 1
                or math.isnan(share)
            ):
                self.fail((*where, str(level)), f"{what} share of {level} must be between 0 and 1")
            else:
                mix[str(level)] = float(share)
        if mix and len(mix) == len(value) and not math.isclose(sum(mix.values()), 1, abs_tol=1e-6):
            self.fail(
                where, f"{what} 'difficulty_mix' shares add up to {sum(mix.values()):g}, not 1"
            )
        return mix


def load_blueprint(path: str | Path) -> Blueprint:
    """Read and check a blueprint.yaml; raise BlueprintFileError with file:line reasons."""
    path = Path(path)
    if path.is_dir():
        path = path / BLUEPRINT_FILE
    display = display_path(path)
    if not path.is_file():
        raise BlueprintFileError([Problem(display, 1, "no such blueprint file")])
    node, data, problems = parse_yaml(path, display)
    if node is None or problems:
        raise BlueprintFileError(problems)
    reader = _BlueprintReader(node, display)
    blueprint = reader.read(data)
    if blueprint is None:
        ordered: list[Problem] = sorted(reader.problems, key=lambda p: (p.line, p.reason))
        raise BlueprintFileError(ordered)
    return blueprint


# --- a whole bank -------------------------------------------------------------------------


def _is_item_file(path: Path) -> bool:
    return path.is_file() and path.suffix in ITEM_SUFFIXES and not path.name.startswith(".")


def _locate(path: Path) -> tuple[Path, list[Path]]:
    """Return (blueprint file, item files) for a bank directory, items directory or file."""
    if path.is_dir():
        if (path / BLUEPRINT_FILE).is_file():
            items_dir: Path | None = path / ITEMS_DIR
            blueprint = path / BLUEPRINT_FILE
        else:  # an items directory
            items_dir = path
            blueprint = path.parent / BLUEPRINT_FILE
        files = (
            sorted(p for p in items_dir.rglob("*") if _is_item_file(p))
            if items_dir is not None and items_dir.is_dir()
            else []
        )
    else:
        files = [path]
        blueprint = path.parent / BLUEPRINT_FILE
        if not blueprint.is_file():
            blueprint = path.parent.parent / BLUEPRINT_FILE
    if not blueprint.is_file():
        blueprint = BUNDLED_BANK / BLUEPRINT_FILE
    return blueprint, files


_SIBLING = "<sibling file>"


def _sibling_keys(path: Path) -> list[str]:
    """Keys of the other item files beside a lone item file in a bank's items/ folder."""
    if not path.is_file() or path.parent.name != ITEMS_DIR:
        return []
    keys: list[str] = []
    for sibling in sorted(p for p in path.parent.rglob("*") if _is_item_file(p)):
        if sibling.resolve() == path.resolve():
            continue
        sibling_raws, _ = read_items_file(sibling, display_path(sibling))
        keys.extend(
            key.strip() for raw in sibling_raws if isinstance(key := raw.data.get("key"), str)
        )
    return keys


def load_bank(
    path: str | Path = BUNDLED_BANK,
    blueprint: Blueprint | None = None,
    limits: ImportLimits = DEFAULT_IMPORT_LIMITS,
) -> LoadedBank:
    """Load and validate a bank: a directory (blueprint.yaml + items/) or one item file.

    For a lone item file or items directory, the blueprint beside it (or one directory up)
    is used, else the bundled one; pass ``blueprint`` to choose. Item problems are returned,
    never raised; a missing path raises BankError and a bad blueprint BlueprintFileError.
    ``limits`` bound each file's size and each field's length (over-long fields are
    problems naming the item and the field).
    """
    path = Path(path)
    if not path.exists():
        raise BankError([Problem(display_path(path), 1, "no such file or directory")])
    blueprint_file, files = _locate(path)
    if blueprint is None:
        blueprint = load_blueprint(blueprint_file)
    raws: list[RawItem] = []
    problems: list[Problem] = []
    names: list[str] = []
    for file in files:
        name = display_path(file)
        names.append(name)
        file_raws, file_problems = read_items_file(file, name, limits.max_bytes)
        raws.extend(file_raws)
        problems.extend(file_problems)
    # A lone file of a bank's items/ folder may name enemies in its sibling files: their
    # keys stand in (validated for nothing else) so such enemies are not reported missing.
    stand_ins = [RawItem(_SIBLING, 0, {"key": key}) for key in _sibling_keys(path)]
    items, item_problems = validate_items([*raws, *stand_ins], blueprint)
    problems.extend(p for p in item_problems if p.file != _SIBLING)
    items = [item for item in items if item.source.file != _SIBLING]
    problems.extend(field_problems(items, limits.fields))
    ordered = sorted(set(problems), key=lambda p: (p.file, p.line, p.reason))
    return LoadedBank(blueprint, tuple(items), tuple(ordered), tuple(names))
