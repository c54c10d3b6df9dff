"""Respondents' rights: withdrawal with deletion, the respondent's language, test
responses, per-study privacy and completion settings.

- ``respondents.language``: the language the respondent last chose (used on refresh
  and resume instead of the invitation's language);
- ``respondents.withdrawn_at``: set when the respondent's answers were erased; the
  respondent row stays as the tombstone (no answer content) so that the link keeps
  saying what happened;
- ``invitations.is_test``: responses made by the study lead in preview mode, left
  out of exports, analyses and response rates;
- ``studies.settings``: JSON with the controller, contact, purpose, legal basis and
  retention shown on the consent page, and the completion code / redirect URL;
- ``deletions``: the audit log of erasures (who, when, why, how much; never what).

Revision ID: 0004_respondent_rights
Revises: 0002_page_language
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_respondent_rights"
down_revision = "0002_page_language"
branch_labels = None
depends_on = None

_STATUS_CHECK = "status IN ('invited', 'started', 'completed', 'screened_out', 'expired'{})"
_WITH = ", 'withdrawn'"


def upgrade() -> None:
    with op.batch_alter_table("respondents") as batch:
        batch.add_column(sa.Column("language", sa.String(10), nullable=True))
        batch.add_column(sa.Column("withdrawn_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("invitations") as batch:
        batch.add_column(
            sa.Column("is_test", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.drop_constraint("ck_invitations_status", type_="check")
        batch.create_check_constraint("ck_invitations_status", _STATUS_CHECK.format(_WITH))
    with op.batch_alter_table("studies") as batch:
        batch.add_column(sa.Column("settings", sa.Text(), nullable=True))
    op.create_table(
        "deletions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("study_id", sa.Integer(), sa.ForeignKey("studies.id"), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("respondent_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(30), nullable=False),
        sa.Column("channel", sa.String(30), nullable=False),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("n_answers", sa.Integer(), nullable=False),
        sa.Column("n_pages", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_deletions_study_id", "deletions", ["study_id"])


def downgrade() -> None:
    op.drop_index("ix_deletions_study_id", table_name="deletions")
    op.drop_table("deletions")
    with op.batch_alter_table("studies") as batch:
        batch.drop_column("settings")
    with op.batch_alter_table("invitations") as batch:
        batch.drop_column("is_test")
        batch.drop_constraint("ck_invitations_status", type_="check")
        batch.create_check_constraint("ck_invitations_status", _STATUS_CHECK.format(""))
    with op.batch_alter_table("respondents") as batch:
        batch.drop_column("withdrawn_at")
        batch.drop_column("language")
