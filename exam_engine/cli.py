"""``flask`` commands over the services."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from exam_engine.cli_support import CommandGroup
from exam_engine.domain.vocabulary import Role
from exam_engine.extensions import current_session
from exam_engine.models import ROLES
from exam_engine.services.errors import ServiceError

users_cli = CommandGroup("users", help="Manage accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default=Role.CANDIDATE.value, show_default=True)
@click.option("--name", default="", help="Display name.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted (hidden, twice) when omitted.",
)
def create_user_command(email: str, role: str, name: str, password: str) -> None:
    """Create an account with a role."""
    from exam_engine.services import accounts

    try:
        user = accounts.create_user(current_session(), email, password, role=role, name=name)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created {user.role} {user.email} (id {user.id})")


@click.command("demo")
@click.option("--skip-migrate", is_flag=True, help="Do not run migrations first.")
@with_appcontext
def demo_command(skip_migrate: bool) -> None:
    """Create (idempotently) the database, demo accounts and demo content; print logins."""
    from exam_engine.services import demo

    if not skip_migrate:
        from flask_migrate import upgrade

        upgrade(directory=current_app.extensions["migrate"].directory)
    from exam_engine.services import item_stats

    report = demo.seed_demo(
        current_session(),
        echo=click.echo,
        min_responses=item_stats.min_responses_setting(current_app.config),
    )
    click.echo("")
    click.echo("Demo logins (password for each account shown):")
    for account in report.accounts:
        click.echo(f"  {account.role:<10} {account.email:<32} {account.password}")
    click.echo("")
    click.echo("Start the server with `flask run` and open http://127.0.0.1:5000/")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run what is queued (and due) now, then exit.")
@click.option("--no-schedule", is_flag=True, help="Only run queued jobs, not the schedule.")
@with_appcontext
def worker_command(burst: bool, no_schedule: bool) -> None:
    """Run background jobs from Redis and the schedule (sweep, overnight statistics)."""
    from exam_engine.extensions import db
    from exam_engine.services.jobs.worker import run_worker

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    run_worker(app, db, burst=burst, schedule=not no_schedule, echo=click.echo)


def register(app: Flask) -> None:
    """Attach the command groups to the app."""
    from exam_engine import (
        cli_calibrate,  # noqa: F401  (adds `flask bank calibrate`)
        cli_stats,  # noqa: F401  (adds `flask bank item-stats`)
    )
    from exam_engine.cli_bank import bank_cli
    from exam_engine.cli_cohorts import cohort_cli
    from exam_engine.cli_exam import exam_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(bank_cli)
    app.cli.add_command(exam_cli)
    app.cli.add_command(cohort_cli)
    app.cli.add_command(worker_command)


def main() -> None:
    """Entry point for the ``exam-engine`` console script (same commands as ``flask``)."""
    from exam_engine import create_app

    group = FlaskGroup(create_app=lambda: create_app())
    sys.exit(group.main())
