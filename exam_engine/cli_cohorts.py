"""``flask cohort ...`` commands."""

from __future__ import annotations

import click

from exam_engine.cli_support import CommandGroup
from exam_engine.domain.plurals import counted
from exam_engine.domain.vocabulary import CohortRole, values
from exam_engine.extensions import current_session
from exam_engine.services import accounts, cohorts
from exam_engine.services.errors import ServiceError

cohort_cli = CommandGroup("cohort", help="Create cohorts and enrol their members.")


@cohort_cli.command("create")
@click.argument("name")
@click.option("--instructor", "email", required=True, help="Email of the teaching instructor.")
def create_command(name: str, email: str) -> None:
    """Create a cohort taught by an instructor; print its id."""
    session = current_session()
    instructor = accounts.find_user(session, email)
    if instructor is None:
        raise click.ClickException(f"no account for {email.strip().lower()}")
    try:
        cohort = cohorts.create_cohort(session, name, instructor.id)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(cohort.id)


@cohort_cli.command("enroll")
@click.argument("cohort_id", metavar="ID", type=int)
@click.argument("emails", metavar="EMAIL...", nargs=-1, required=True)
@click.option(
    "--role",
    type=click.Choice(values(CohortRole)),
    default=CohortRole.STUDENT.value,
    show_default=True,
    help="Enrol as students (candidate accounts) or as co-instructors.",
)
def enroll_command(cohort_id: int, emails: tuple[str, ...], role: str) -> None:
    """Enrol existing accounts in a cohort (all or nothing)."""
    try:
        added = cohorts.enroll(current_session(), cohort_id, emails, role=role)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    skipped = len({e.strip().lower() for e in emails}) - len(added)
    click.echo(
        f"enrolled {counted(len(added), role)} in cohort {cohort_id}"
        + (f"; {skipped} already enrolled" if skipped else "")
    )
