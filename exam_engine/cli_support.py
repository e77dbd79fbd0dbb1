"""What every ``flask`` command group shares: a clear message when the database is not ready."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError, ProgrammingError


class CommandGroup(AppGroup):
    """An AppGroup whose commands say "run flask db upgrade" instead of a traceback.

    A database that was never created, or is behind the code's migrations, raises "no such
    table" / "no such column" (SQLite) or "relation ... does not exist" (PostgreSQL) from the
    first query; an unreachable one raises a connection error.
    """

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, turning database errors into a message and exit status 1."""
        try:
            return super().invoke(ctx)
        except (OperationalError, ProgrammingError) as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            if "no such" in reason or "does not exist" in reason:
                hint = (
                    "the database is not set up or is behind this version: run `flask db upgrade`"
                )
            else:
                hint = "the database cannot be reached: check DATABASE_URL and that it is running"
            raise click.ClickException(f"{hint} ({reason})") from None
