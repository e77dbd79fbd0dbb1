"""``flask exam ...`` commands: print a form a template would give, and sweep expired attempts."""

from __future__ import annotations

import json
import random

import click
from flask import current_app
from sqlalchemy import select

from exam_engine.cli_support import CommandGroup
from exam_engine.domain.assembly import BankIndex, assemble
from exam_engine.domain.errors import AssemblyError
from exam_engine.domain.plurals import counted
from exam_engine.extensions import current_session
from exam_engine.models import User, utcnow
from exam_engine.services import attempts, catalog, pool
from exam_engine.services.errors import ServiceError

exam_cli = CommandGroup("exam", help="Assemble exam forms and finalize expired attempts.")


@exam_cli.command("assemble")
@click.option("--template", "template_name", required=True, help="Template name.")
@click.option("--seed", type=int, default=None, help="Seed (random when omitted).")
@click.option("--for", "email", default=None, help="Avoid items this candidate has seen.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def assemble_command(
    template_name: str, seed: int | None, email: str | None, as_json: bool
) -> None:
    """Print the form a template would give (nothing is stored)."""
    session = current_session()
    try:
        template = catalog.get_template(session, template_name)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
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
            BankIndex(pool.published_pool(session)),
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
    click.echo(f"finalized {counted(len(done), 'expired attempt')}" + (f": {done}" if done else ""))
