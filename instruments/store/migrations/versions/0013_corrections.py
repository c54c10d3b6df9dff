"""Corrections of answers by the study lead, at the respondent's request.

``answer_corrections`` keeps one row per corrected answer (which item, why, who, when);
the values themselves are in the answer log, where the correction is a later answer.

Revision ID: 0013_corrections
Revises: 0012_cache_marker
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_corrections"
down_revision = "0012_cache_marker"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answer_corrections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("study_id", sa.Integer(), sa.ForeignKey("studies.id"), nullable=False),
        sa.Column("invitation_id", sa.Integer(), sa.ForeignKey("invitations.id"),
                  nullable=False),
        sa.Column("item_id", sa.String(100), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("corrected_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_answer_corrections_study_id", "answer_corrections", ["study_id"])
    op.create_index("ix_answer_corrections_invitation_id", "answer_corrections",
                    ["invitation_id"])


def downgrade() -> None:
    op.drop_index("ix_answer_corrections_invitation_id", table_name="answer_corrections")
    op.drop_index("ix_answer_corrections_study_id", table_name="answer_corrections")
    op.drop_table("answer_corrections")
