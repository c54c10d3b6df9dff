"""Exclusions of respondents from the analysis, with the study lead's reason.

``analysis_exclusions`` keeps one row per exclusion (who, why, when) and, when it is
taken back, when and why; excluded responses stay in the store and in the exports
(flagged), but leave the analysis input.

Revision ID: 0011_exclusions
Revises: 0010_wave_instrument
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_exclusions"
down_revision = "0010_wave_instrument"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analysis_exclusions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("study_id", sa.Integer(), sa.ForeignKey("studies.id"), nullable=False),
        sa.Column("invitation_id", sa.Integer(), sa.ForeignKey("invitations.id"),
                  nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("excluded_at", sa.DateTime(), nullable=False),
        sa.Column("restored_at", sa.DateTime(), nullable=True),
        sa.Column("restore_reason", sa.String(500), nullable=True),
    )
    op.create_index("ix_analysis_exclusions_study_id", "analysis_exclusions", ["study_id"])
    op.create_index("ix_analysis_exclusions_invitation_id", "analysis_exclusions",
                    ["invitation_id"])


def downgrade() -> None:
    op.drop_index("ix_analysis_exclusions_invitation_id", table_name="analysis_exclusions")
    op.drop_index("ix_analysis_exclusions_study_id", table_name="analysis_exclusions")
    op.drop_table("analysis_exclusions")
