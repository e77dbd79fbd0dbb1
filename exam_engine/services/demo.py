"""Demo data for a first look: accounts and the bundled bank (idempotent)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from exam_engine.services import accounts
from exam_engine.services.bank import import_bank
from question_bank import BUNDLED_BANK, load_bank


@dataclass(frozen=True)
class DemoAccount:
    """A demo login printed for the user."""

    email: str
    password: str
    role: str
    name: str


# Demo-only credentials, printed by `flask demo` and listed in the README.
DEMO_ACCOUNTS = (
    DemoAccount("admin@example.com", "demo-admin-pass", "admin", "Ada Admin"),
    DemoAccount("instructor@example.com", "demo-instructor-pass", "instructor", "Ivan Instructor"),
    DemoAccount("reviewer@example.com", "demo-reviewer-pass", "instructor", "Rita Reviewer"),
    DemoAccount("candidate@example.com", "demo-candidate-pass", "candidate", "Cara Candidate"),
    DemoAccount("candidate2@example.com", "demo-candidate-pass", "candidate", "Carl Candidate"),
)


@dataclass
class DemoReport:
    """What ``seed_demo`` created or found."""

    accounts: list[DemoAccount] = field(default_factory=list)
    created: list[str] = field(default_factory=list)


def seed_demo(session: Session, echo: Callable[[str], None] = print) -> DemoReport:
    """Create whatever demo data is missing; running it twice changes nothing."""
    report = DemoReport()
    for account in DEMO_ACCOUNTS:
        if accounts.find_user(session, account.email) is None:
            accounts.create_user(
                session, account.email, account.password, role=account.role, name=account.name
            )
            report.created.append(account.email)
        report.accounts.append(account)
    echo(f"demo accounts: {len(report.created)} created, {len(DEMO_ACCOUNTS)} in all")
    loaded = load_bank(BUNDLED_BANK)
    imported = import_bank(session, loaded)
    echo(
        f"question bank: {len(loaded.items)} items ({len(imported.created)} new, "
        f"{len(imported.new_versions)} updated, {imported.unchanged} unchanged)"
    )
    return report
