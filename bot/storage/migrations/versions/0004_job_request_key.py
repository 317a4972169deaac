"""jobs.request_key: a caller's key that makes submitting the same request twice one job.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable key with a unique index (rows from before keep NULL)."""
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("request_key", sa.String(length=100), nullable=True))
        batch.create_index("ux_jobs_request_key", ["request_key"], unique=True)


def downgrade() -> None:
    """Drop the index and the column again."""
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ux_jobs_request_key")
        batch.drop_column("request_key")
