"""``flask bank ...`` and ``flask exam ...`` commands."""

from __future__ import annotations

import io
import json
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path

import click
from flask import current_app

from exam_engine.cli_support import CommandGroup
from exam_engine.domain import formats, review, testwise
from exam_engine.domain.errors import SourceError
from exam_engine.domain.formats.limits import (
    PROBLEM_LINES,
    ImportLimits,
    more_line,
    size_problem,
)
from exam_engine.domain.lint import lint, summarize
from exam_engine.domain.lint.staleness import DEFAULT_STALE_DAYS, dated_evidence, stale_items
from exam_engine.domain.plurals import counted, plural
from exam_engine.domain.vocabulary import VersionStatus
from exam_engine.extensions import current_session
from exam_engine.models import utcnow
from exam_engine.models.question import STATUSES
from exam_engine.services import bank, interchange
from exam_engine.services.bank import ImportFailed
from exam_engine.services.errors import ValidationFailed
from question_bank import BUNDLED_BANK, LoadedBank, load_bank
from question_bank.loader import display_path
from question_bank.reviews import load_reviews, review_folder

bank_cli = CommandGroup("bank", help="Validate, lint, import and count the question bank.")

PATH_ARG = click.argument(
    "path", required=False, type=click.Path(path_type=Path), default=None, metavar="[PATH]"
)


def _limits() -> ImportLimits:
    """The app's import limits (``IMPORT_MAX_BYTES``, ``ITEM_FIELD_LIMITS``)."""
    return ImportLimits.from_config(current_app.config)


def _echo_capped(
    lines: Iterable[object], *, noun: str = "problem", prefix: str = "", err: bool = True
) -> None:
    """Print the first lines (already in file and line order) and a count of the rest."""
    listed = [str(line) for line in lines]
    for line in listed[:PROBLEM_LINES]:
        click.echo(f"{prefix}{line}", err=err)
    more = len(listed) - PROBLEM_LINES
    if more > 0:
        click.echo(f"{prefix}{more_line(more).replace('problem', noun)}", err=err)


def _load(path: Path | None) -> LoadedBank:
    """Load a bank or exit 1 with its file:line problems (a missing path or bad blueprint)."""
    try:
        return load_bank(path or BUNDLED_BANK, limits=_limits())
    except SourceError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        sys.exit(1)


@bank_cli.command("validate")
@PATH_ARG
def validate_command(path: Path | None) -> None:
    """Check schema and references; exit 0 when clean, else 1 with file:line: reason lines."""
    loaded = _load(path)
    _echo_capped(loaded.problems, err=False)
    if loaded.problems:
        click.echo(
            f"{counted(len(loaded.problems), 'problem')} in {counted(len(loaded.files), 'file')}",
            err=True,
        )
        sys.exit(1)
    click.echo(f"ok: {len(loaded.items)} items in {counted(len(loaded.files), 'file')}")


@bank_cli.command("lint")
@PATH_ARG
@click.option("--errors-only", is_flag=True, help="Hide warnings.")
def lint_command(path: Path | None, errors_only: bool) -> None:
    """Apply the item-writing rules; exit 1 when any error (or validation problem) is found.

    Items whose as_of is older than EXAM_ENGINE_STALE_DAYS (365) are warned about as stale.
    """
    loaded = _load(path)
    for problem in loaded.problems:
        click.echo(f"{problem} [validate]")
    findings = lint(loaded.items, today=utcnow().date(), stale_days=_stale_days())
    for found in findings:
        if found.level == "error" or not errors_only:
            click.echo(str(found))
    totals = summarize(findings)
    click.echo(
        f"{len(loaded.items)} items: {counted(totals['errors'], 'error')}, "
        f"{counted(totals['warnings'], 'warning')}"
        + (f", {counted(len(loaded.problems), 'validation problem')}" if loaded.problems else "")
    )
    if totals["errors"] or loaded.problems:
        sys.exit(1)


@bank_cli.command("testwise")
@PATH_ARG
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--limit",
    type=click.FloatRange(0, 1),
    default=testwise.HIT_RATE_LIMIT,
    show_default=True,
    help="Highest hit rate a strategy may reach over the bank.",
)
@click.option("--worst", type=click.IntRange(0), default=0, help="List the N most cued items.")
@click.option(
    "--words",
    type=click.IntRange(0),
    default=0,
    help="List the N words most telling of keys and the N most telling of distractors.",
)
def testwise_command(
    path: Path | None, as_json: bool, limit: float, worst: int, words: int
) -> None:
    """Answer every item with no-knowledge strategies; exit 1 when one beats --limit.

    Chance is 25%. Rates are given over the bank and per file; --worst lists the items on
    which the strategies together earn the most credit (rewrite those first); --words lists
    the words a learner uses to tell keys from distractors (vary those).
    """
    loaded = _load(path)
    for problem in loaded.problems:
        click.echo(f"{problem} [validate]", err=True)
    report = testwise.run(loaded.items)
    files = {item.key: item.source.file for item in loaded.items}
    by_file: dict[str, dict[str, float]] = {}
    for name, per_item in report.credits.items():
        grouped: dict[str, list[float]] = {}
        for key, value in per_item.items():
            grouped.setdefault(files[key], []).append(value)
        for file, values in grouped.items():
            by_file.setdefault(file, {})[name] = round(sum(values) / len(values), 4)
    load = sorted(report.cue_load().items(), key=lambda pair: (-pair[1], pair[0]))[:worst]
    failing = report.failing(limit)
    telling = testwise.telling_words(loaded.items) if words else []
    leaning = {
        "keys": [t for t in telling if t.log_ratio > 0][:words],
        "distractors": [t for t in reversed(telling) if t.log_ratio < 0][:words],
    }
    if as_json:
        payload = {
            "items": report.items,
            "limit": limit,
            "testwise": {name: round(rate, 4) for name, rate in report.hit_rates.items()},
            "failing": sorted(failing),
            "by_file": dict(sorted(by_file.items())),
            "worst": [
                {
                    "key": key,
                    "credit": round(value, 3),
                    "strategies": sorted(
                        name for name, per in report.credits.items() if per.get(key) == 1.0
                    ),
                }
                for key, value in load
            ],
        }
        if words:
            payload["telling_words"] = {
                side: [
                    {
                        "word": t.word,
                        "in_keys": t.in_keys,
                        "in_distractors": t.in_distractors,
                        "log_ratio": round(t.log_ratio, 3),
                    }
                    for t in found
                ]
                for side, found in leaning.items()
            }
        click.echo(json.dumps(payload, indent=2))
    else:
        click.echo(f"{report.items} items; chance 25%, limit {limit:.0%}")
        for name, rate in sorted(report.hit_rates.items(), key=lambda pair: -pair[1]):
            mark = "  FAIL" if name in failing else ""
            summary = testwise.STRATEGIES[name].summary
            click.echo(f"  {rate:6.1%}  {name:<20} {summary}{mark}")
        if len(by_file) > 1:
            click.echo("highest rate per file:")
            for file, rates in sorted(by_file.items()):
                name, rate = max(rates.items(), key=lambda pair: pair[1])
                click.echo(f"  {file}: {rate:.1%} ({name})")
        for key, value in load:
            names = [n for n, per in report.credits.items() if per.get(key) == 1.0]
            click.echo(f"  {key}: credit {value:.2f} from {', '.join(sorted(names)) or '-'}")
        for side, found in leaning.items():
            if found:
                click.echo(f"words leaning to {side} (in keys / in distractors):")
                click.echo(
                    "  " + ", ".join(f"{t.word} {t.in_keys}/{t.in_distractors}" for t in found)
                )
    if failing or loaded.problems:
        sys.exit(1)


FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(interchange.FORMATS, case_sensitive=False),
    default=None,
    help="yaml, csv, gift (Moodle), qti (QTI 3.0 package) or moodlexml (Moodle XML).",
)


@bank_cli.command("import")
@PATH_ARG
@FORMAT_OPTION
@click.option(
    "--publish/--draft",
    default=None,
    help="Publish the items, or import them as drafts. Default: publish for yaml (the "
    "bundled bank), drafts for csv, gift and qti.",
)
@click.option(
    "--subdomain",
    "subdomain",
    default=None,
    metavar="CODE",
    help="Sub-domain (e.g. D2-A) for items of another tool's file that name none.",
)
def import_command(
    path: Path | None, fmt: str | None, publish: bool | None, subdomain: str | None
) -> None:
    """Load items into the database in one transaction (idempotent; changes make versions).

    PATH is a bank directory, items directory or item file (yaml; the bundled bank when
    omitted), or a file in --format csv, gift or qti (a .zip of YAML files works too). The
    format is guessed from a .csv, .gift, .xml or .zip name when --format is not given.
    Another tool's GIFT or CSV file lands each supported item as a draft (with what it still
    lacks listed) and names each skipped item; --publish refuses one with an incomplete item.
    """
    data: bytes | None = None
    limits = _limits()
    if path is not None and path.is_file():
        data = _read(path, limits.max_bytes)
    elif path is not None and not path.exists() and fmt not in (None, "yaml"):
        click.echo(f"{display_path(path)}:1: no such file", err=True)
        sys.exit(1)
    if fmt is None:
        fmt = (interchange.guess_format(path.name, data) if path is not None else None) or "yaml"
    fmt = fmt.lower()
    if publish is None:
        publish = fmt == "yaml"
    if fmt == "yaml" and (data is None or not formats.is_zip(data)):
        _import_bank_path(path, publish)
        return
    if path is None or data is None:
        raise click.UsageError(f"--format {fmt} needs PATH, a file")
    try:
        result = interchange.import_file(
            current_session(),
            fmt,
            data,
            filename=display_path(path),
            publish=publish,
            author_id=None,
            subdomain=subdomain,
            limits=limits,
        )
    except ImportFailed as error:
        _echo_capped(error.warnings, noun="warning", prefix="warning: ")
        _echo_capped(error.problems)
        click.echo("nothing imported", err=True)
        sys.exit(1)
    except ValidationFailed as error:
        click.echo(f"error: {error}", err=True)
        click.echo("nothing imported", err=True)
        sys.exit(1)
    _echo_capped(result.warnings, noun="warning", prefix="warning: ")
    if result.foreign:
        _draft_report(result)
        return
    published = f", {counted(len(result.published), 'draft')} published" if result.published else ""
    click.echo(
        f"imported {result.total} items from {result.filename} ({fmt}) as {result.status}: "
        f"{len(result.created)} new, {counted(len(result.new_versions), 'new version')}, "
        f"{result.unchanged} unchanged{published}"
        + (f"; {len(result.warnings)} skipped or noted (see warnings)" if result.warnings else "")
    )


def _draft_report(result: interchange.ImportResult) -> None:
    """Each item created from another tool's file: key, source_ref and what it lacks."""
    incomplete = sum(1 for note in result.drafts if note.missing)
    click.echo(
        f"imported {len(result.drafts)} items from {result.filename} ({result.format}, another "
        f"tool's file) as {result.status}: {incomplete} incomplete, "
        f"{len(result.warnings)} skipped or noted (see warnings)"
    )
    for note in result.drafts:
        ref = f" ({note.source_ref})" if note.source_ref else ""
        needs = f": needs {'; '.join(note.missing)}" if note.missing else ": complete"
        click.echo(f"  {note.key}{ref}{needs}")


def _read(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, or exit 1 naming it when it is over the size cap (before reading)."""
    try:
        too_big = size_problem(display_path(path), path.stat().st_size, max_bytes)
        if too_big is not None:
            click.echo(str(too_big), err=True)
            click.echo("nothing imported", err=True)
            sys.exit(1)
        return path.read_bytes()
    except OSError as error:
        click.echo(f"{display_path(path)}:1: cannot read the file: {error.strerror}", err=True)
        sys.exit(1)


def _import_bank_path(path: Path | None, publish: bool) -> None:
    """The YAML bank import: a directory, items directory or item file, via the loader."""
    loaded = _load(path)
    if loaded.problems:
        _echo_capped(loaded.problems)
        click.echo("nothing imported", err=True)
        sys.exit(1)
    session = current_session()
    show_bar = sys.stderr.isatty() and len(loaded.items) > 50
    with click.progressbar(
        length=len(loaded.items), label="importing", file=sys.stderr if show_bar else None
    ) as bar:
        report = interchange.import_loaded_bank(
            session,
            loaded,
            source=display_path(path or BUNDLED_BANK),
            publish=publish,
            progress=bar.update if show_bar else None,
        )
    published = f", {counted(len(report.published), 'draft')} published" if report.published else ""
    click.echo(
        f"imported {len(loaded.items)} items: {len(report.created)} new, "
        f"{counted(len(report.new_versions), 'new version')}, "
        f"{report.unchanged} unchanged{published}; "
        f"{counted(report.templates_changed, 'template')} created or updated"
    )


@bank_cli.command("export")
@FORMAT_OPTION
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUSES),
    default=(VersionStatus.PUBLISHED.value,),
    show_default=True,
    help="Export each question's newest version with this status (repeat for several).",
)
@click.argument("out", type=click.Path(path_type=Path, allow_dash=True))
def export_command(fmt: str | None, statuses: tuple[str, ...], out: Path) -> None:
    """Write the bank to OUT in --format yaml, csv, gift, qti or moodlexml ('-': standard output).

    yaml writes a bank directory (blueprint.yaml + items/, one file per sub-domain) unless
    OUT ends in .zip; qti writes a content package (zip).
    """
    if fmt is None:
        raise click.UsageError("--format is required: yaml, csv, gift, qti or moodlexml")
    fmt = fmt.lower()
    to_stdout = str(out) == "-"
    as_directory = fmt == "yaml" and not to_stdout and out.suffix.lower() != ".zip"
    if as_directory and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise click.ClickException(
            f"{display_path(out)} exists and is not an empty directory; choose a new or empty "
            "directory, or a name ending in .zip"
        )
    try:
        export = interchange.export(current_session(), fmt, statuses=statuses)
    except ValidationFailed as error:
        raise click.ClickException(str(error)) from None
    if to_stdout:
        sys.stdout.buffer.write(export.content)
        sys.stdout.buffer.flush()
    elif as_directory:
        with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
            for name in archive.namelist():
                target = out / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(name))
    else:
        try:
            out.write_bytes(export.content)
        except OSError as error:
            raise click.ClickException(f"cannot write {out}: {error.strerror}") from None
    if export.left_out:
        click.echo(
            f"warning: {counted(len(export.left_out), 'incomplete draft')} left out (complete them "
            f"first): {', '.join(export.left_out)}",
            err=True,
        )
    where = "standard output" if to_stdout else display_path(out)
    click.echo(
        f"exported {counted(export.items, 'item')} ({', '.join(statuses)}) as {fmt} to {where}",
        err=to_stdout,
    )


def _stale_days(override: int | None = None) -> int:
    """The age in days after which an item's facts are stale (EXAM_ENGINE_STALE_DAYS)."""
    if override is not None:
        return override
    raw = current_app.config.get("STALE_DAYS", DEFAULT_STALE_DAYS)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise click.ClickException(
            f"EXAM_ENGINE_STALE_DAYS must be a whole number of days, 0 or more; got {raw!r}"
        )
    return raw


@bank_cli.command("stale")
@PATH_ARG
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(0),
    default=None,
    help="Age in days (default EXAM_ENGINE_STALE_DAYS, else 365).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stale_command(path: Path | None, days: int | None, as_json: bool) -> None:
    """List items whose facts (as_of) were last checked longer ago than the limit.

    Also lists items that depend on dated facts but carry no as_of at all. Exit 1 when any
    item is listed, so a scheduled job can alert.
    """
    loaded = _load(path)
    limit = _stale_days(days)
    today = utcnow().date()
    old = stale_items(loaded.items, today, limit)
    undated = [
        (item, evidence)
        for item in loaded.items
        if item.as_of is None and (evidence := dated_evidence(item)) is not None
    ]
    if as_json:
        payload = {
            "today": today.isoformat(),
            "older_than_days": limit,
            "items": len(loaded.items),
            "stale": [
                {
                    "key": s.item.key,
                    "as_of": s.item.as_of.isoformat() if s.item.as_of else None,
                    "age_days": s.age_days,
                    "file": s.item.source.file,
                    "line": s.item.line_of("as_of"),
                }
                for s in old
            ],
            "undated": [
                {"key": item.key, "because": evidence, "file": item.source.file}
                for item, evidence in undated
            ],
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        for s in old:
            where = f"{s.item.source.file}:{s.item.line_of('as_of')}"
            click.echo(f"{where}: {s.item.key} checked {s.item.as_of}, {s.age_days} days ago")
        for item, evidence in undated:
            click.echo(
                f"{item.source.file}:{item.source.line}: {item.key} has no as_of ({evidence!r})"
            )
        click.echo(
            f"{len(old)} of {len(loaded.items)} items checked more than {limit} days ago; "
            f"{counted(len(undated), 'dated item')} without as_of"
        )
    if old or undated:
        sys.exit(1)


@bank_cli.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats_command(as_json: bool) -> None:
    """Counts by domain, sub-domain, difficulty and status, lint totals, guessing rates."""
    stats = bank.bank_stats(current_session(), today=utcnow().date(), stale_days=_stale_days())
    if as_json:
        click.echo(json.dumps(stats, indent=2, sort_keys=True))
        return
    click.echo(f"items: {stats['items']} ({stats['published']} published)")
    for label in ("by_status", "by_domain", "by_subdomain", "by_difficulty"):
        values = ", ".join(f"{k} {v}" for k, v in stats[label].items()) or "none"
        click.echo(f"{label.replace('_', ' ')}: {values}")
    click.echo(
        f"lint: {counted(stats['lint']['errors'], 'error')}, "
        f"{counted(stats['lint']['warnings'], 'warning')}"
    )
    click.echo(f"stale: {counted(stats['stale'], 'published item')} past the as_of limit")
    rates = sorted(stats["testwise"].items(), key=lambda pair: -pair[1])
    click.echo(
        "no-knowledge guessing (chance 25%): "
        + ", ".join(f"{name} {rate:.1%}" for name, rate in rates[:5])
    )


@bank_cli.command("review-packet")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--writer", required=True, help="Who wrote (or last rewrote) these items.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder for the blind packet (.packet.md) and the review sheet (.review.csv).",
)
@click.option("--key", "keys", multiple=True, help="Only these item keys (repeat).")
def review_packet_command(path: Path, writer: str, out: Path, keys: tuple[str, ...]) -> None:
    """Write a blind packet (stems and options, no keys) and a review sheet for PATH's items.

    The protocol is question_bank/REVIEW.md: answer every item from the packet first, then
    open the item file and judge each one on the sheet.
    """
    # A file inside a bank's items/ folder is read with its bank, so enemies in other files
    # resolve; its own items are the packet.
    in_bank = path.is_file() and path.resolve().parent.name == "items"
    loaded = _load(path.resolve().parent.parent if in_bank else path)
    mine = {display_path(path.resolve())} if in_bank else None
    # Only the packet's own file must be valid: other files may be mid-edit.
    own = [p for p in loaded.problems if mine is None or p.file in mine]
    if own:
        for problem in own:
            click.echo(str(problem), err=True)
        sys.exit(1)
    items = [
        item
        for item in loaded.items
        if (mine is None or display_path(Path(item.source.file).resolve()) in mine)
        and (not keys or item.key in keys)
    ]
    unknown = sorted(set(keys) - {item.key for item in items})
    if unknown:
        raise click.ClickException(
            f"no such {plural(len(unknown), 'item')} in {display_path(path)}: {', '.join(unknown)}"
        )
    out.mkdir(parents=True, exist_ok=True)
    stem = path.stem if path.is_file() else "bank"
    packet, sheet = out / f"{stem}.packet.md", out / f"{stem}.review.csv"
    for target in (packet, sheet):
        if target.exists():
            raise click.ClickException(f"{display_path(target)} exists; choose another --out")
    packet.write_text(review.blind_packet(items), "utf-8")
    sheet.write_text(review.skeleton(items, writer), "utf-8")
    click.echo(f"{counted(len(items), 'item')}: {display_path(packet)} and {display_path(sheet)}")


@bank_cli.command("review-check")
@PATH_ARG
@click.option(
    "--reviews",
    "reviews_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder of review sheets (default: the bank's reviews/ folder).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def review_check_command(path: Path | None, reviews_dir: Path | None, as_json: bool) -> None:
    """Check that every item has a passing blind review of its current text; report agreement."""
    loaded = _load(path)
    folder = reviews_dir or review_folder(path or BUNDLED_BANK)
    reviews, problems = load_reviews(folder)
    found = review.coverage(loaded.items, reviews)
    rates = review.agreement(loaded.items, reviews, found.reviewed)
    if as_json:
        payload = {
            "items": len(loaded.items),
            "reviewed": len(found.reviewed),
            "unreviewed": list(found.unreviewed),
            "stale": list(found.stale),
            "failed": list(found.failed),
            "problems": [str(p) for p in problems],
            "agreement": rates.to_dict(),
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        for problem in problems:
            click.echo(str(problem))
        click.echo(
            f"{len(found.reviewed)} of {len(loaded.items)} items have a passing review of their "
            f"current text; unreviewed {len(found.unreviewed)}, stale {len(found.stale)}, "
            f"awaiting rewrite {len(found.failed)}"
        )
        click.echo(
            f"first reviews {rates.first_reviews}: blind answer = key "
            f"{rates.first_key_agreement:.1%}, passed as written {rates.first_pass_rate:.1%}; "
            f"passing reviews {rates.final_reviews}: blind answer = key "
            f"{rates.final_key_agreement:.1%}, difficulty agreed {rates.difficulty_agreement:.1%}"
        )
        for label, keys in (
            ("unreviewed", found.unreviewed),
            ("stale", found.stale),
            ("awaiting rewrite", found.failed),
        ):
            if keys:
                click.echo(f"{label}: {', '.join(keys)}")
    if problems or not found.complete:
        sys.exit(1)
