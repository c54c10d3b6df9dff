"""Analysis results cached per study, data fingerprint and settings.

Revision ID: 0007_cache
Revises: 0005_mail
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_cache"
down_revision = "0005_mail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analysis_cache",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("study_id", sa.Integer(), sa.ForeignKey("studies.id"), nullable=False),
        sa.Column("cache_key", sa.String(64), nullable=False),
        sa.Column("data_sha256", sa.String(64), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("report_html", sa.Text(), nullable=False),
        sa.Column("analysis_json", sa.Text(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("cache_key", name="uq_analysis_cache_key"),
    )
    op.create_index("ix_analysis_cache_study_id", "analysis_cache", ["study_id"])


def downgrade() -> None:
    op.drop_index("ix_analysis_cache_study_id", table_name="analysis_cache")
    op.drop_table("analysis_cache")
