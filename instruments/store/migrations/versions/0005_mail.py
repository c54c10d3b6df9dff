"""E-mailed fieldwork: contacts, per-study sender settings, the send log and opt-outs.

Revision ID: 0005_mail
Revises: 0004_respondent_rights
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_mail"
down_revision = "0004_respondent_rights"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "study_mail_settings",
        sa.Column("study_id", sa.Integer(), sa.ForeignKey("studies.id"), primary_key=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("security", sa.String(10), nullable=False),
        sa.Column("username", sa.String(255), nullable=True),
        sa.Column("password_env", sa.String(100), nullable=True),
        sa.Column("sender", sa.String(320), nullable=False),
        sa.Column("sender_name", sa.String(200), nullable=True),
        sa.Column("lead_name", sa.String(200), nullable=False),
        sa.Column("lead_email", sa.String(320), nullable=False),
        sa.Column("base_url", sa.String(500), nullable=False),
        sa.Column("rate_per_minute", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "security IN ('none', 'starttls', 'ssl')", name="ck_study_mail_settings_security"
        ),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("study_id", sa.Integer(), sa.ForeignKey("studies.id"), nullable=False),
        sa.Column("invitation_id", sa.Integer(), sa.ForeignKey("invitations.id"), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("firm", sa.String(300), nullable=False),
        sa.Column("language", sa.String(10), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("optout_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("invitation_id", name="uq_contacts_invitation_id"),
        sa.UniqueConstraint("optout_hash", name="uq_contacts_optout_hash"),
    )
    op.create_index("ix_contacts_study_id", "contacts", ["study_id"])
    op.create_index("ix_contacts_email", "contacts", ["email"])
    op.create_table(
        "mail_optouts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("study_id", sa.Integer(), sa.ForeignKey("studies.id"), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("study_id", "email", name="uq_mail_optouts_study_email"),
    )
    op.create_table(
        "mail_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("study_id", sa.Integer(), sa.ForeignKey("studies.id"), nullable=False),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contacts.id"), nullable=False),
        sa.Column("invitation_id", sa.Integer(), sa.ForeignKey("invitations.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("smtp_reply", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('invitation', 'reminder')", name="ck_mail_log_kind"),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'failed', 'opted_out')", name="ck_mail_log_status"
        ),
    )
    op.create_index("ix_mail_log_study_id", "mail_log", ["study_id"])
    op.create_index("ix_mail_log_contact_id", "mail_log", ["contact_id"])
    op.create_index("ix_mail_log_invitation_id", "mail_log", ["invitation_id"])


def downgrade() -> None:
    op.drop_table("mail_log")
    op.drop_table("mail_optouts")
    op.drop_table("contacts")
    op.drop_table("study_mail_settings")
