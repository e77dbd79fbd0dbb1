"""Static files under content-hashed URLs, cached for a year, and one stylesheet a page.

``static_url("js/exam.js")`` names a file by a digest of its bytes, so a changed file gets a
new URL and an unchanged one can be cached as immutable: no page view revalidates it.
``stylesheet_url(["scorecard"])`` names a bundle: the site's stylesheet, the page's own
sheets in that order, and the print sheet inside ``@media print``, concatenated into the one
render-blocking stylesheet the page links.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, url_for

bp = Blueprint("assets", __name__)

YEAR_SECONDS = 31_536_000
DIGEST_LENGTH = 12
BASE_SHEET = "app"
PRINT_SHEET = "print"
_SHEET_NAME = re.compile(r"[a-z][a-z0-9_]*")
_MIMETYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Asset:
    """The bytes of one file or bundle and the digest its URL carries."""

    body: bytes
    digest: str
    mimetype: str


# Keyed by what the bytes were read from, so an edited file (a new mtime or size) is read
# again and gets a new digest while an unchanged one costs a stat only.
_cache: dict[tuple[Any, ...], Asset] = {}


def _static_root() -> Path:
    return Path(str(current_app.static_folder)).resolve()


def _signature(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return (str(path), stat.st_mtime_ns, stat.st_size)


def _asset(key: tuple[Any, ...], build: Any, mimetype: str) -> Asset:
    found = _cache.get(key)
    if found is None:
        body: bytes = build()
        digest = hashlib.sha256(body).hexdigest()[:DIGEST_LENGTH]
        found = _cache[key] = Asset(body, digest, mimetype)
    return found


def _file(filename: str) -> Asset:
    """One file under the static folder; 404 for anything outside it or missing."""
    root = _static_root()
    path = (root / filename).resolve()
    if root not in path.parents or not path.is_file():
        abort(404)
    mimetype = _MIMETYPES.get(path.suffix, "application/octet-stream")
    return _asset(("file", *_signature(path)), path.read_bytes, mimetype)


def _sheet_path(name: str) -> Path:
    if not _SHEET_NAME.fullmatch(name):
        abort(404)
    path = _static_root() / "css" / f"{name}.css"
    if not path.is_file():
        abort(404)
    return path


def _bundle_names(sheets: Iterable[str]) -> tuple[str, ...]:
    """The page's own sheets, without repeats and without the two every bundle has."""
    names: list[str] = []
    for name in sheets:
        if name not in names and name not in (BASE_SHEET, PRINT_SHEET):
            names.append(name)
    return tuple(names)


def _bundle(names: tuple[str, ...]) -> Asset:
    """The site's sheet, then ``names`` in order, then the print sheet for print only."""
    paths = [_sheet_path(BASE_SHEET), *(_sheet_path(name) for name in names)]
    printed = _sheet_path(PRINT_SHEET)

    def build() -> bytes:
        parts = [f"/* {p.name} */\n{p.read_text(encoding='utf-8')}" for p in paths]
        parts.append(f"/* {printed.name} */\n@media print {{\n{printed.read_text('utf-8')}\n}}")
        return "\n".join(parts).encode("utf-8")

    key = ("bundle", *(_signature(p) for p in [*paths, printed]))
    return _asset(key, build, "text/css")


def _bundle_filename(names: tuple[str, ...]) -> str:
    return "bundle/" + "-".join((BASE_SHEET, *names)) + ".css"


def static_url(filename: str) -> str:
    """The content-hashed URL of a file under ``static/``.

    A template naming a file that is not there is a bug in the page, not a missing page:
    it raises rather than answering the page itself with 404.
    """
    if not (_static_root() / filename).is_file():
        raise LookupError(f"static file {filename!r} does not exist")
    asset = _file(filename)
    return url_for("assets.serve", digest=asset.digest, filename=filename)


def stylesheet_url(sheets: Iterable[str] = ()) -> str:
    """The content-hashed URL of the one stylesheet of a page that also uses ``sheets``."""
    names = _bundle_names(sheets)
    for name in names:
        if (
            not _SHEET_NAME.fullmatch(name)
            or not (_static_root() / "css" / f"{name}.css").is_file()
        ):
            raise LookupError(f"stylesheet {name!r} does not exist under static/css")
    asset = _bundle(names)
    return url_for("assets.serve", digest=asset.digest, filename=_bundle_filename(names))


def _lookup(filename: str) -> Asset:
    if filename.startswith("bundle/") and filename.endswith(".css"):
        stem = filename.removeprefix("bundle/").removesuffix(".css")
        first, *rest = stem.split("-")
        if first != BASE_SHEET or _bundle_names(rest) != tuple(rest):
            abort(404)
        return _bundle(tuple(rest))
    return _file(filename)


@bp.get("/assets/<digest>/<path:filename>")
def serve(digest: str, filename: str) -> Any:
    """Serve a file or bundle whose digest matches, cacheable for a year as immutable."""
    asset = _lookup(filename)
    if digest != asset.digest:
        # A page from before a deploy asks for bytes no longer here: say so, cache nothing.
        abort(404)
    response = current_app.response_class(asset.body, mimetype=asset.mimetype)
    response.cache_control.public = True
    response.cache_control.max_age = YEAR_SECONDS
    response.cache_control.immutable = True
    return response


def register(app: Any) -> None:
    """Add the route and the two template helpers."""
    app.register_blueprint(bp)
    app.jinja_env.globals["static_url"] = static_url
    app.jinja_env.globals["stylesheet_url"] = stylesheet_url
