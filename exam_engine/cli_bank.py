"""``flask bank ...`` and ``flask exam ...`` commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from exam_engine.domain.assembly import BankIndex, assemble
from exam_engine.domain.errors import AssemblyError, SourceError
from exam_engine.domain.lint import lint, summarize
from exam_engine.extensions import current_session
from exam_engine.models import User, utcnow
from exam_engine.services import attempts, bank, catalog
from question_bank import BUNDLED_BANK, LoadedBank, load_bank

bank_cli = AppGroup("bank", help="Validate, lint, import and count the question bank.")
exam_cli = AppGroup("exam", help="Assemble exam forms and finalize expired attempts.")

PATH_ARG = click.argument(
    "path", required=False, type=click.Path(path_type=Path), default=None, metavar="[PATH]"
)


def _load(path: Path | None) -> LoadedBank:
    """Load a bank or exit 1 with its file:line problems (a missing path or bad blueprint)."""
    try:
        return load_bank(path or BUNDLED_BANK)
    except SourceError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        sys.exit(1)


@bank_cli.command("validate")
@PATH_ARG
def validate_command(path: Path | None) -> None:
    """Check schema and references; exit 0 when clean, else 1 with file:line: reason lines."""
    loaded = _load(path)
    for problem in loaded.problems:
        click.echo(str(problem))
    if loaded.problems:
        click.echo(f"{len(loaded.problems)} problem(s) in {len(loaded.files)} file(s)", err=True)
        sys.exit(1)
    click.echo(f"ok: {len(loaded.items)} items in {len(loaded.files)} file(s)")


@bank_cli.command("lint")
@PATH_ARG
@click.option("--errors-only", is_flag=True, help="Hide warnings.")
def lint_command(path: Path | None, errors_only: bool) -> None:
    """Apply the item-writing rules; exit 1 when any error (or validation problem) is found."""
    loaded = _load(path)
    for problem in loaded.problems:
        click.echo(f"{problem} [validate]")
    findings = lint(loaded.items)
    for found in findings:
        if found.level == "error" or not errors_only:
            click.echo(str(found))
    totals = summarize(findings)
    click.echo(
        f"{len(loaded.items)} items: {totals['errors']} error(s), {totals['warnings']} warning(s)"
        + (f", {len(loaded.problems)} validation problem(s)" if loaded.problems else "")
    )
    if totals["errors"] or loaded.problems:
        sys.exit(1)


@bank_cli.command("import")
@PATH_ARG
@click.option("--draft", is_flag=True, help="Import as drafts instead of publishing.")
def import_command(path: Path | None, draft: bool) -> None:
    """Load the bank into the database in one transaction (idempotent; changes make versions)."""
    loaded = _load(path)
    if loaded.problems:
        for problem in loaded.problems:
            click.echo(str(problem), err=True)
        click.echo("nothing imported", err=True)
        sys.exit(1)
    session = current_session()
    show_bar = sys.stderr.isatty() and len(loaded.items) > 50
    with click.progressbar(
        length=len(loaded.items), label="importing", file=sys.stderr if show_bar else None
    ) as bar:
        report = bank.import_bank(
            session, loaded, publish=not draft, progress=bar.update if show_bar else None
        )
    click.echo(
        f"imported {len(loaded.items)} items: {len(report.created)} new, "
        f"{len(report.new_versions)} new version(s), {report.unchanged} unchanged; "
        f"{report.templates_changed} template(s) created or updated"
    )


@bank_cli.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats_command(as_json: bool) -> None:
    """Counts by domain, sub-domain, difficulty and status, and the lint totals."""
    stats = bank.bank_stats(current_session())
    if as_json:
        click.echo(json.dumps(stats, indent=2, sort_keys=True))
        return
    click.echo(f"items: {stats['items']} ({stats['published']} published)")
    for label in ("by_status", "by_domain", "by_subdomain", "by_difficulty"):
        values = ", ".join(f"{k} {v}" for k, v in stats[label].items()) or "none"
        click.echo(f"{label.replace('_', ' ')}: {values}")
    click.echo(f"lint: {stats['lint']['errors']} error(s), {stats['lint']['warnings']} warning(s)")


@exam_cli.command("assemble")
@click.option("--template", "template_name", required=True, help="Template name.")
@click.option("--seed", type=int, default=None, help="Seed (random when omitted).")
@click.option("--for", "email", default=None, help="Avoid items this candidate has seen.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def assemble_command(
    template_name: str, seed: int | None, email: str | None, as_json: bool
) -> None:
    """Print the form a template would give (nothing is stored)."""
    import random

    session = current_session()
    template = catalog.get_template(session, template_name)
    seen: dict[str, int] = {}
    if email:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.ClickException(f"no user with email {email}")
        seen = attempts.seen_counts(session, user.id)
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    try:
        form = assemble(
            BankIndex(attempts.published_pool(session)),
            catalog.blueprint_named(template.blueprint),
            catalog.template_spec(template),
            seed=seed,
            seen=seen,
        )
    except AssemblyError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        payload = {
            "template": form.template,
            "seed": form.seed,
            "items": [
                {
                    "position": i.position,
                    "key": i.key,
                    "domain": i.domain,
                    "subdomain": i.subdomain,
                    "difficulty": i.difficulty,
                }
                for i in form.items
            ],
            "by_domain": form.by_domain,
            "by_subdomain": form.by_subdomain,
        }
        click.echo(json.dumps(payload, indent=2))
        return
    click.echo(f"template {form.template}, seed {form.seed}, {len(form.items)} items")
    click.echo("by domain: " + ", ".join(f"{k} {v}" for k, v in form.by_domain.items()))
    for item in form.items:
        click.echo(f"{item.position:3d}  {item.key:<12} {item.subdomain:<6} {item.difficulty}")


@exam_cli.command("sweep")
def sweep_command() -> None:
    """Finalize attempts past their deadline + grace (safe from cron, safe to run twice)."""
    done = attempts.sweep_expired(
        current_session(), now=utcnow(), grace_seconds=int(current_app.config["GRACE_SECONDS"])
    )
    click.echo(f"finalized {len(done)} expired attempt(s)" + (f": {done}" if done else ""))
