"""Jobs report how far they are as a count (rows done of total), not only a percentage.

Revision ID: 20261206_job_counts
Revises: 20261206_jobs
Create Date: 2026-12-06 05:15:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "20261206_job_counts"
down_revision = "20261206_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: an expand-only change the release before this one runs on unchanged.
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("progress_done", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("progress_total", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("progress_total")
        batch.drop_column("progress_done")
