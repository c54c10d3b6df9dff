"""Pre-registration: a study's frozen analysis plan and the logged amendments to it.

``prereg_plans`` holds one frozen plan per study (its canonical JSON, the rendered
document, the SHA-256 of the JSON, when it was frozen and how many responses existed
then); ``prereg_amendments`` holds every later change, in order, with its reason and the
plan as amended.  Rows of both tables are never updated or deleted.

Revision ID: 0006_prereg
Revises: 0007_cache
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_prereg"
down_revision = "0007_cache"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prereg_plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("study_id", sa.Integer(), sa.ForeignKey("studies.id"), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("frozen_at", sa.DateTime(), nullable=False),
        sa.Column("n_responses", sa.Integer(), nullable=False),
        sa.UniqueConstraint("study_id", name="uq_prereg_plans_study_id"),
    )
    op.create_table(
        "prereg_amendments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("study_id", sa.Integer(), sa.ForeignKey("studies.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("previous_sha256", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("amended_at", sa.DateTime(), nullable=False),
        sa.Column("n_responses", sa.Integer(), nullable=False),
        sa.UniqueConstraint("study_id", "seq", name="uq_prereg_amendments_study_seq"),
    )


def downgrade() -> None:
    op.drop_table("prereg_amendments")
    op.drop_table("prereg_plans")
