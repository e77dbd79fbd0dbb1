"""Input no view should ever see: ids out of the database's range, deep JSON, control characters.

Each is refused before the view runs, with a 404 (an id no row can have) or a 400 that names
the field, instead of reaching the database driver and coming back as a 500 (PostgreSQL
refuses a NUL in text and an integer past 2**31 - 1; deep JSON exhausts the parser's stack).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.routing import IntegerConverter, Map

from exam_engine.services.errors import ValidationFailed

# Every id column is an INTEGER: 32 bits on PostgreSQL, the narrower of the two engines.
ID_MAX = 2**31 - 1
ID_MIN = -(2**31)
MAX_JSON_DEPTH = 32
# C0 controls but tab, LF and CR; DEL; C1 controls. None belongs in text a person typed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")
# Query parameters a view sanitizes itself: an unsafe ``next`` is ignored, not refused.
_SELF_CHECKED_ARGS = frozenset({"next"})


class BoundedIntegerConverter(IntegerConverter):
    """``<int:...>`` limited to the database's integer range, so a larger id is a 404."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(
            map,
            fixed_digits=fixed_digits,
            min=ID_MIN if signed and min is None else min,
            max=ID_MAX if max is None else max,
            signed=signed,
        )


def describe(char: str) -> str:
    """Name a control character for a message: NUL, or its code point."""
    return "a NUL byte" if char == "\x00" else f"control character U+{ord(char):04X}"


def control_character(text: str) -> str | None:
    """The first character ``text`` may not hold (tab, CR and LF are allowed), or None."""
    match = _CONTROL.search(text)
    return match.group() if match else None


def json_depth(raw: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text (strings may hold any bracket)."""
    depth = deepest = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub(b'""', raw)):
        depth += 1 if bracket in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


def json_strings(value: Any, path: str = "body") -> Iterator[tuple[str, str]]:
    """Every string in a parsed JSON value, keys included, with its path (``items[0].stem``)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for i, element in enumerate(value):
            yield from json_strings(element, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, element in value.items():
            where = key if path == "body" else f"{path}.{key}"
            yield where, key
            yield from json_strings(element, where)


def is_safe_next(target: str | None) -> bool:
    """Tell whether ``next`` is a plain path on this site (not //host, not /\\host, no controls)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if "\\" in target or control_character(target) or any(c < " " for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _refuse(where: str, char: str) -> None:
    # A name can hold the character too: it is not echoed back raw.
    shown = _CONTROL.sub("?", where)
    raise ValidationFailed(f"{shown}: contains {describe(char)}, which is not allowed")


def _check_request() -> None:
    """Refuse a request whose text holds a control character or whose JSON nests too deep."""
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and (char := control_character(value)):
            _refuse(f"{name} (in the URL path)", char)
    for name, value in request.args.items(multi=True):
        if name in _SELF_CHECKED_ARGS:
            continue
        for text in (name, value):
            if char := control_character(text):
                _refuse(f"{name} (query parameter)", char)
    if request.is_json:
        _check_json()
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            for text in (name, value):
                if char := control_character(text):
                    _refuse(name, char)


def _check_json() -> None:
    raw = request.get_data(cache=True)
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise ValidationFailed(
            f"body: JSON nested more than {MAX_JSON_DEPTH} levels deep; flatten the request"
        )
    # Malformed JSON is the view's to report (it knows what it expected).
    for where, text in json_strings(request.get_json(silent=True)):
        if char := control_character(text):
            _refuse(where, char)


def install_converter(app: Flask) -> None:
    """Make ``<int:...>`` bounded; call before any blueprint adds its rules."""
    app.url_map.converters["int"] = BoundedIntegerConverter


def register(app: Flask) -> None:
    """Check every request's input before its view runs."""
    app.before_request(_check_request)
