"""audio_cache.meta: what the caption said, so a reuse by file_id says the same.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable JSON column (rows from before keep NULL)."""
    with op.batch_alter_table("audio_cache") as batch:
        batch.add_column(sa.Column("meta", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop the column again."""
    with op.batch_alter_table("audio_cache") as batch:
        batch.drop_column("meta")
