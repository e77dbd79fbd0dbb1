"""``flask bank calibrate``: fit IRT item parameters from first-exposure mock responses."""

from __future__ import annotations

import json

import click
from flask import current_app

from exam_engine.cli_bank import bank_cli
from exam_engine.domain.irt.model import MODELS, RASCH
from exam_engine.extensions import current_session
from exam_engine.models import utcnow
from exam_engine.services import calibration, item_stats
from exam_engine.services.errors import ServiceError


def _dec(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


@bank_cli.command("calibrate")
@click.option(
    "--model",
    type=click.Choice(MODELS),
    default=RASCH,
    show_default=True,
    help="Rasch (difficulty only) or 2PL (difficulty and discrimination).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def calibrate_command(model: str, as_json: bool) -> None:
    """Calibrate every item version with first-exposure mock responses and store the result."""
    session = current_session()
    try:
        minimum = item_stats.min_responses_setting(current_app.config)
        report = calibration.recalibrate(session, model=model, now=utcnow())
        data = calibration.calibration_listing(session, model=model, min_responses=minimum)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"calibrated {report.items:,} item versions ({model}) from {report.attempts:,} finished "
        f"mock attempts ({report.responses:,} first-exposure responses) in "
        f"{report.iterations} EM iterations{'' if report.converged else ' (NOT converged)'}: "
        f"load {report.load_seconds:.2f} s, fit {report.fit_seconds:.2f} s, "
        f"write {report.write_seconds:.2f} s",
        err=True,
    )
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    cut = data["run"].get("cut")
    click.echo(f"cut (65% expected on a blueprint form): {_dec(cut)}")
    click.echo(
        f"{'item':<14} {'ver':>3} {'resp':>6} {'b':>6} {'se':>5} {'a':>5} {'se':>5} "
        f"{'infit':>5} {'outfit':>6}"
    )
    for item in data["items"]:
        thin = "" if item["enough_responses"] else "  (few responses: near its prior)"
        click.echo(
            f"{item['key']:<14} {'v' + str(item['version']):>3} {item['responses']:>6,} "
            f"{item['difficulty']:>6.2f} {item['difficulty_se']:>5.2f} "
            f"{item['discrimination']:>5.2f} {_dec(item['discrimination_se']):>5} "
            f"{_dec(item['infit']):>5} {_dec(item['outfit']):>6}{thin}"
        )
