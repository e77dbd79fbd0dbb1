"""A revision token of the published bank, kept by triggers, read instead of hashing the bank.

Every start asked whether the published bank had changed by hashing an aggregate of every
published version (2.2 ms of PostgreSQL time per start at the bundled bank's size, growing
with the bank). Triggers now replace a one-row token whenever a change that assembly would
see commits: a published version inserted, deleted or changed in what assembly reads (its
status, question, domain, sub-domain, difficulty or enemies), or a question's key. The token
is random, so a table emptied and refilled can never bring back an old value.

Revision ID: 20261206_bank_revision
Revises: 20261206_job_counts
Create Date: 2026-12-06 08:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "20261206_bank_revision"
down_revision = "20261206_job_counts"
branch_labels = None
depends_on = None

# The columns of question_versions that assembly reads (services/pool.py).
_ASSEMBLY_COLUMNS = "status, question_id, domain, subdomain, difficulty, enemies"
_PUBLISHED = "'published'"

_PG_FUNCTION = """
CREATE FUNCTION bank_revision_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO bank_revisions (id, token)
    VALUES (1, md5(random()::text || clock_timestamp()::text || txid_current()::text))
    ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
    RETURN NULL;
END
$$
"""
_SQLITE_BUMP = (
    "INSERT INTO bank_revisions (id, token) VALUES (1, lower(hex(randomblob(16))))"
    " ON CONFLICT (id) DO UPDATE SET token = excluded.token;"
)
# (trigger name, event, table, condition)
_TRIGGERS = [
    ("bank_revision_version_insert", "INSERT", "question_versions", f"NEW.status = {_PUBLISHED}"),
    ("bank_revision_version_delete", "DELETE", "question_versions", f"OLD.status = {_PUBLISHED}"),
    (
        "bank_revision_version_update",
        f"UPDATE OF {_ASSEMBLY_COLUMNS}",
        "question_versions",
        f"OLD.status = {_PUBLISHED} OR NEW.status = {_PUBLISHED}",
    ),
    ("bank_revision_question_key", "UPDATE OF key", "questions", "OLD.key <> NEW.key"),
]


def upgrade() -> None:
    op.create_table(
        "bank_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_revisions")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for name, event, table, condition in _TRIGGERS:
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW"
                f" WHEN ({condition}) EXECUTE FUNCTION bank_revision_bump()"
            )
    else:
        for name, event, table, condition in _TRIGGERS:
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW"
                f" WHEN {condition} BEGIN {_SQLITE_BUMP} END"
            )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, _, table, _ in _TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON {table}" if postgresql else f"DROP TRIGGER {name}")
    if postgresql:
        op.execute("DROP FUNCTION bank_revision_bump()")
    op.drop_table("bank_revisions")
