"""Accounts say whether their email address is verified.

Accounts that exist when this runs are marked verified (the server default): they were made
before verification existed, by staff, the CLI or their owners, and locking them all out
until a mail arrives would break every install without a mail server.

Revision ID: 20261205_email_verification
Revises: 20261205_login_sessions
Create Date: 2026-12-05 04:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "20261205_email_verification"
down_revision = "20261205_login_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_verified", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email_verified")
