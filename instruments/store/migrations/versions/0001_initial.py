"""Initial schema: studies, waves, invitations, respondents, page submissions, answers.

Timestamps are naive UTC (the models convert to and from timezone-aware UTC).

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "studies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("instrument_id", sa.String(100), nullable=False),
        sa.Column("instrument_version", sa.String(50), nullable=False),
        sa.Column("instrument_hash", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("name", name="uq_studies_name"),
    )
    op.create_table(
        "waves",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("study_id", sa.Integer(), sa.ForeignKey("studies.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("study_id", "name", name="uq_waves_study_name"),
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("study_id", sa.Integer(), sa.ForeignKey("studies.id"), nullable=False),
        sa.Column("wave_id", sa.Integer(), sa.ForeignKey("waves.id"), nullable=False),
        sa.Column("alliance_id", sa.String(100), nullable=False),
        sa.Column("firm_role", sa.String(1), nullable=True),
        sa.Column("partner_name", sa.String(300), nullable=True),
        sa.Column("language", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("token_hash", name="uq_invitations_token_hash"),
        sa.CheckConstraint(
            "status IN ('invited', 'started', 'completed', 'screened_out', 'expired')",
            name="ck_invitations_status",
        ),
        sa.CheckConstraint(
            "firm_role IS NULL OR firm_role IN ('A', 'B')", name="ck_invitations_firm_role"
        ),
    )
    op.create_index("ix_invitations_study_id", "invitations", ["study_id"])
    op.create_index("ix_invitations_wave_id", "invitations", ["wave_id"])
    op.create_index("ix_invitations_alliance_id", "invitations", ["alliance_id"])
    op.create_table(
        "respondents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("invitation_id", sa.Integer(), sa.ForeignKey("invitations.id"), nullable=False),
        sa.Column("current_page", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("invitation_id", name="uq_respondents_invitation_id"),
    )
    op.create_table(
        "page_submissions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("respondent_id", sa.Integer(), sa.ForeignKey("respondents.id"), nullable=False),
        sa.Column("page", sa.String(100), nullable=False),
        sa.Column("page_index", sa.Integer(), nullable=False),
        sa.Column("submission_key", sa.String(100), nullable=False),
        sa.Column("shown_at", sa.DateTime(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("duration_sec", sa.Float(), nullable=True),
        sa.Column("n_answers", sa.Integer(), nullable=False),
        sa.Column("next_page", sa.Integer(), nullable=False),
        sa.UniqueConstraint("respondent_id", "submission_key", name="uq_page_submissions_key"),
    )
    op.create_index("ix_page_submissions_respondent_id", "page_submissions", ["respondent_id"])
    op.create_table(
        "answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("respondent_id", sa.Integer(), sa.ForeignKey("respondents.id"), nullable=False),
        sa.Column(
            "submission_id", sa.Integer(), sa.ForeignKey("page_submissions.id"), nullable=False
        ),
        sa.Column("item_id", sa.String(100), nullable=False),
        sa.Column("value_int", sa.BigInteger(), nullable=True),
        sa.Column("value_num", sa.Float(), nullable=True),
        sa.Column("value_text", sa.Text(), nullable=True),
        sa.Column("page", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_answers_respondent_id", "answers", ["respondent_id"])
    op.create_index("ix_answers_submission_id", "answers", ["submission_id"])


def downgrade() -> None:
    op.drop_table("answers")
    op.drop_table("page_submissions")
    op.drop_table("respondents")
    op.drop_table("invitations")
    op.drop_table("waves")
    op.drop_table("studies")
