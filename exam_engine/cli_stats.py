"""``flask bank item-stats``: item analysis on the command line, the same numbers as the page."""

from __future__ import annotations

import json
from typing import Any

import click
from flask import current_app

from exam_engine.cli_bank import bank_cli
from exam_engine.domain.item_analysis import FLAG_LABELS
from exam_engine.domain.plurals import counted, plural
from exam_engine.extensions import current_session
from exam_engine.models import utcnow
from exam_engine.services import item_stats
from exam_engine.services.errors import ServiceError
from exam_engine.web.formatting import decimal, share

HEADER = (
    f"{'item':<14} {'ver':>3} {'resp':>6} {'facility':>8} {'sd':>5} {'disc':>6} {'eff':>5} "
    f"{'upper':>5} {'lower':>5}  flags"
)


def _pct(value: Any, digits: int = 1) -> str:
    return share(value, digits, missing="-")


def _dec(value: Any) -> str:
    return decimal(value, missing="-")


def _item_line(item: dict[str, Any]) -> str:
    head = f"{item['key']:<14} {'v' + str(item['version']):>3} {item['responses']:>6,}"
    if "too-few-responses" in item["flags"]:
        return f"{head} too few responses (minimum {item.get('min_responses')})"
    flags = ", ".join(FLAG_LABELS[f].lower() for f in item["flags"]) or "-"
    return (
        f"{head} {_pct(item['facility']):>8} {_dec(item.get('sd')):>5} "
        f"{_dec(item['discrimination']):>6} {_pct(item.get('efficiency'), 0):>5} "
        f"{_pct(item.get('upper'), 0):>5} {_pct(item.get('lower'), 0):>5}  {flags}"
    )


def _test_lines(test: dict[str, Any], attempts: int) -> list[str]:
    if not attempts or not test.get("items"):
        return ["test: no finished mock attempts analysed"]
    reliability = (
        f"too few attempts for alpha (minimum {test.get('min_responses')})"
        if test.get("suppressed")
        else f"alpha (KR-20) {_dec(test.get('alpha'))}, SEM {test.get('sem_percent', 0):.1f}% "
        f"({test.get('sem', 0):.1f} items)"
    )
    distribution = " | ".join(
        f"{10 * i}-{100 if i == 9 else 10 * i + 9}%: {count}"
        for i, count in enumerate(test.get("distribution", []))
    )
    return [
        f"test: {attempts:,} attempts (each user's first), {test['items']} items, "
        f"mean {test['mean_percent']:.1f}%, SD {test.get('sd_percent') or 0:.1f}%, {reliability}",
        f"score distribution: {distribution}",
    ]


@bank_cli.command("item-stats")
@click.option(
    "--template",
    "template_name",
    default="",
    metavar="NAME",
    help="One template's statistics (default: all templates together).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--recompute", is_flag=True, help="Recompute every statistic first (idempotent; cron-safe)."
)
@click.option(
    "--if-stale",
    is_flag=True,
    help="With --recompute: only when attempts finished since the last recompute.",
)
@click.option("--flagged", is_flag=True, help="List only items with a review flag.")
def item_stats_command(
    template_name: str, as_json: bool, recompute: bool, if_stale: bool, flagged: bool
) -> None:
    """Item analysis per item version over first attempts (Moodle-style statistics)."""
    if if_stale and not recompute:
        raise click.UsageError("--if-stale only makes sense with --recompute")
    session = current_session()
    try:
        item_stats.scope_status(session, template_name)
        if recompute:
            minimum = item_stats.min_responses_setting(current_app.config)
            everything = item_stats.scope_status(session, item_stats.ALL_TEMPLATES)
            if if_stale and not everything.stale:
                click.echo("statistics are up to date; nothing to recompute", err=True)
            else:
                report = item_stats.recompute(session, now=utcnow(), min_responses=minimum)
                click.echo(
                    f"recomputed {report.rows:,} item rows from {report.attempts:,} finished "
                    f"mock attempts ({report.responses:,} first-attempt responses): load "
                    f"{report.load_seconds:.2f} s, compute {report.compute_seconds:.2f} s, "
                    f"write {report.write_seconds:.2f} s"
                    + (" (skipped: a newer recompute had written)" if report.skipped else ""),
                    err=True,
                )
        data = item_stats.export_scope(session, template_name, flagged=flagged)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    scope = template_name or "all templates"
    click.echo(f"Item analysis: {scope}")
    if data["computed_at"] is None:
        click.echo("not computed yet: run `flask bank item-stats --recompute`")
        return
    click.echo(f"computed {data['computed_at']}")
    if data["stale"]:
        click.echo(
            f"stale: {counted(data['new_attempts'], 'mock attempt')} finished since; "
            "run `flask bank item-stats --recompute`"
        )
    if template_name:
        for line in _test_lines(data["test"], data["attempts"]):
            click.echo(line)
    items = data["items"]
    click.echo(
        f"{len(items):,} {plural(len(items), 'item version')}"
        + (" with a review flag" if flagged else "")
        + f", {sum(1 for i in items if set(i['flags']) & item_stats.REVIEW_FLAGS)} flagged"
    )
    if items:
        click.echo(HEADER)
        for item in items:
            click.echo(_item_line(item))
