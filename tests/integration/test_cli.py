"""The ``flask users`` and ``flask demo`` commands."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from exam_engine.models import AuditEvent, User
from exam_engine.services import item_stats
from exam_engine.services.demo import DEMO_ACCOUNTS


def test_users_create_with_password(app, session) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "Boss@Example.com",
            "--role",
            "admin",
            "--password",
            "long-enough-pw",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "created admin boss@example.com" in result.output
    assert session.query(User).filter_by(email="boss@example.com").one().role == "admin"


def test_users_create_prompts_for_password(app, session) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "p@example.com"], input="long-enough-pw\nlong-enough-pw\n"
    )
    assert result.exit_code == 0, result.output
    assert "Password" in result.output
    assert session.query(User).filter_by(email="p@example.com").one().role == "candidate"


def test_users_create_unknown_role_exits_2(app, session) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "x@example.com",
            "--role",
            "wizard",
            "--password",
            "long-enough-pw",
        ]
    )
    assert result.exit_code == 2
    assert "'wizard' is not one of" in result.output
    assert session.query(User).count() == 0


def test_users_create_duplicate_exits_1(app, session) -> None:
    runner = app.test_cli_runner()
    args = ["users", "create", "d@example.com", "--password", "quartz-lantern-orbit-42"]
    assert runner.invoke(args=args).exit_code == 0
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert session.query(User).count() == 1


def test_demo_is_idempotent(app, session) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    users_after_first = session.query(User).count()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert session.query(User).count() == users_after_first
    emails = {u.email for u in session.query(User)}
    assert {account.email for account in DEMO_ACCOUNTS} <= emails
    for account in DEMO_ACCOUNTS:
        assert account.email in second.output
        assert account.password in second.output
    assert "http://127.0.0.1:5000/" in second.output
    # The first run computes the item statistics of the demo mocks; the second finds them
    # up to date, so the item-analysis page is populated after `flask demo`.
    assert re.search(r"item statistics: \d+ rows from \d+ finished mocks", first.output)
    assert "item statistics: up to date" in second.output
    status = item_stats.scope_status(session, item_stats.ALL_TEMPLATES)
    assert status.computed
    assert not status.stale
    assert status.attempts > 100
    page = item_stats.list_items(session, item_stats.ALL_TEMPLATES)
    assert page.all_items > 0
    # Each run's import of the bundled bank is audited as `flask bank import` is.
    imports = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "import").order_by(AuditEvent.id)
    ).all()
    assert len(imports) == 2
    assert all("bundled bank (flask demo)" in event.summary for event in imports)
    assert imports[1].details["unchanged"] == len(imports[0].details["created"]) > 0


def test_users_create_refuses_a_weak_password_with_the_reason(app, session) -> None:
    runner = app.test_cli_runner()
    for password, reason in (
        ("password12", "at least 12 characters"),
        ("password1234", "This is a very common password."),
        ("weak.user@example.com", "contains your email address"),
    ):
        args = ["users", "create", "weak.user@example.com", "--password", password]
        result = runner.invoke(args=args)
        assert result.exit_code == 1
        assert "password: " in result.output
        assert reason in result.output
    assert session.query(User).count() == 0


def test_every_demo_password_passes_the_rules_and_signs_in(app, session, client) -> None:
    from exam_engine.services.accounts import check_password_rules

    assert app.test_cli_runner().invoke(args=["demo", "--skip-migrate"]).exit_code == 0
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for account in DEMO_ACCOUNTS:
        check_password_rules(account.password, account.email, account.name)
        assert f"| {account.email} | {account.password} |" in readme
        assert client.login(account.email, account.password).status_code == 302
        client.post("/logout")


def test_accounts_made_by_the_cli_and_the_demo_are_verified(app, session) -> None:
    runner = app.test_cli_runner()
    made = runner.invoke(
        args=["users", "create", "cli@example.com", "--password", "quartz-lantern-orbit-42"]
    )
    assert made.exit_code == 0, made.output
    assert runner.invoke(args=["demo"]).exit_code == 0
    users = session.query(User).all()
    assert len(users) > len(DEMO_ACCOUNTS)
    assert [u.email for u in users if not u.email_verified] == []
