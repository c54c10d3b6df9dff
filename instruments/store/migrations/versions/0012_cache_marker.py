"""The data marker of a cached analysis.

``analysis_cache.data_marker`` holds a fingerprint of the stored rows the analysis was
read from (:func:`instruments.store.cache.data_marker`), found by a few aggregate queries
without laying the study out; the analyst's page shows a cached analysis by it without
reading the data again.  Rows cached before this revision have none and are found by
their data fingerprint as before.

Revision ID: 0012_cache_marker
Revises: 0011_exclusions
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_cache_marker"
down_revision = "0011_exclusions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("analysis_cache", sa.Column("data_marker", sa.String(64), nullable=True))
    op.create_index("ix_analysis_cache_data_marker", "analysis_cache", ["data_marker"])


def downgrade() -> None:
    op.drop_index("ix_analysis_cache_data_marker", table_name="analysis_cache")
    with op.batch_alter_table("analysis_cache") as batch:
        batch.drop_column("data_marker")
