"""Each user's time zone (an IANA name such as Europe/Paris); null until the browser tells it.

Revision ID: 20261206_time_zone
Revises: 20261206_drafts
Create Date: 2026-12-06 02:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "20261206_time_zone"
down_revision = "20261206_drafts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("time_zone")
